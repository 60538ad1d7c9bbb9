"""`arbees-engine run --venue kalshi,polymarket --feed espn` against recorded real payloads.

A local HTTP server on 127.0.0.1 serves the fixtures at the venues' paths; the engine runs as
its own process (the real CLI) with real PostgreSQL and Redis; `arbees-engine status --json`
must show the fixtures' games (with model probabilities for the live ones) and quotes.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys

from fixture_server import Reply, fixture, gamma_routes, load_fixture, start_fixture_server

from arbees_engine.bus.client import BusClient

ROUTES = {
    "/football/nfl/scoreboard": fixture("espn", "scoreboard_nfl_2022wk1_in_post_pre.json"),
    "/hockey/nhl/scoreboard": fixture("espn", "scoreboard_nhl_2022pre_in_post.json"),
    "/basketball/nba/scoreboard": fixture("espn", "scoreboard_nba_events_in_post_2022pre_extracted.json"),
    "/soccer/eng.1/scoreboard": fixture("espn", "scoreboard_soccer_eng1_ft_and_postponed_20260321.json"),
    "/markets?series_ticker=KXNBAGAME": fixture("kalshi", "markets_nba_game_settled.json"),
    "/markets?series_ticker=KXELONMARS": fixture("kalshi", "markets_open_two_tickers.json"),
    "/markets/KXELONMARS-99/orderbook": fixture("kalshi", "orderbook_fp_full_KXELONMARS-99.json"),
    **gamma_routes(load_fixture("polymarket", "gamma_events_sports_game_mlp_open.json"), retired_markets=False),
    "/book": Reply(404, {"error": "No orderbook exists for the requested token id"}),
}


def _env(url: str, pg_dsn: str, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "ARBEES_DATABASE_URL": pg_dsn,
            "ARBEES_REDIS_URL": redis_url,
            "ARBEES_INSTANCE": "real",
            "ARBEES_KILL_FILE": "/nonexistent/arbees-kill",
            "ARBEES_ENDPOINTS__ESPN_BASE_URL": url,
            "ARBEES_ENDPOINTS__KALSHI_BASE_URL": url,
            "ARBEES_ENDPOINTS__POLYMARKET_GAMMA_URL": url,
            "ARBEES_ENDPOINTS__POLYMARKET_CLOB_URL": url,
            "ARBEES_ENDPOINTS__ESPN_LEAGUES": json.dumps(
                ["football/nfl", "hockey/nhl", "basketball/nba", "soccer/eng.1"]
            ),
            "ARBEES_ENDPOINTS__KALSHI_SERIES": json.dumps(["KXNBAGAME", "KXELONMARS"]),
            "ARBEES_ENDPOINTS__POLL_LIVE_S": "0.5",
            "ARBEES_ENDPOINTS__VENUE_POLL_S": "0.5",
        }
    )
    return env


async def _wait_for_state(redis_url: str, timeout_s: float = 60.0) -> None:
    client = BusClient(redis_url, "real")
    try:
        loop = asyncio.get_running_loop()
        deadline, after = loop.time() + timeout_s, "0-0"
        seen_games, seen_quotes, refusals = set(), set(), False
        while loop.time() < deadline:  # wait on the engine's own event stream
            for _eid, event in await client.read_events(after, block_ms=1000):
                after = _eid
                if event.kind == "game":
                    seen_games.add(event.game_id)
                elif event.kind == "quote" and event.yes_bid is not None:
                    seen_quotes.add(event.market_id)
                elif event.kind == "engine":
                    refusals = event.rejections.get("match:no_game", 0) > 0 and event.counts.get("games", 0) >= 9
            if len(seen_games) >= 9 and "kalshi:KXELONMARS-99" in seen_quotes and refusals:
                return
        raise AssertionError(
            f"engine did not publish the fixtures: games={sorted(seen_games)} quotes={sorted(seen_quotes)}"
        )
    finally:
        await client.close()


async def test_real_payload_run_shows_games_and_quotes_in_status(pg_dsn, redis_url):
    with start_fixture_server(ROUTES) as server:
        env = _env(server.url, pg_dsn, redis_url)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "arbees_engine",
            "run",
            "--venue",
            "kalshi,polymarket",
            "--feed",
            "espn",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await _wait_for_state(redis_url)
            status = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "arbees_engine", "status", "--json", env=env, stdout=asyncio.subprocess.PIPE
            )
            out, _ = await status.communicate()
            assert status.returncode == 0
        finally:
            proc.send_signal(signal.SIGTERM)
            summary, errors = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, errors.decode()[-2000:]
    assert b"Arbees engine run summary" in summary

    data = json.loads(out)
    assert data["online"] and data["heartbeat_age_s"] < 5
    games = {g["game_id"]: g for g in data["games"]}
    nfl = (
        games["espn:nfl:401437654"]
        if "espn:nfl:401437654" in games
        else next(g for g in games.values() if g["league"] == "nfl" and g["status"] == "live")
    )
    assert nfl["status"] == "live" and nfl["period"] == 4 and 0 < nfl["model_p_home"] < 1
    assert nfl["clock_s"] == 48.0
    assert {g["status"] for g in games.values()} >= {"live", "final", "scheduled", "postponed"}
    live = [g for g in games.values() if g["status"] == "live"]
    assert len(live) >= 3 and all(g["model_p_home"] is not None for g in live)
    quotes = {q["market_id"]: q for q in data["quotes"]}
    assert quotes["kalshi:KXELONMARS-99"]["yes_bid"].startswith("0.08")
    assert quotes["kalshi:KXELONMARS-99"]["yes_ask"].startswith("0.12")
    assert any(q["venue"] == "polymarket" for q in quotes.values())
    engine = data["engine"]
    assert engine["rejections"].get("match:no_game", 0) >= 1  # the settled NBA Finals game isn't on the feed
    assert engine["rejections"].get("polymarket:http_404", 0) >= 1  # no /book recorded for that token
    assert engine["latency"]["pricing"]["count"] >= 3
