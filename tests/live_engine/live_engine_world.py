"""Local venues for whole-engine runs: fake Kalshi websocket, fake Polymarket websocket + CLOB
REST, and one HTTP fixture server for ESPN, Kalshi REST discovery and Polymarket Gamma.
Everything binds 127.0.0.1.

Payloads: ESPN's NBA scoreboard (UTAH @ TOR in progress, 47-41 2nd quarter) and Gamma's sports
event are recorded real payloads from ../shared/fixtures. `kalshi_utator_markets()` is
SYNTHETIC-BUT-SCHEMA-VALID: the real `GET /markets?series_ticker=KXNBAGAME` capture with its
tickers/titles/status rewritten to an open KXNBAGAME event for that ESPN game, so the matcher
ties it to a live game (no real capture of such a market exists). The websocket frames are
produced by the fake servers from the documented schemas (tests/live).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import os
import signal
import sys
from decimal import Decimal as D
from pathlib import Path

from fixture_server import fixture, gamma_routes, load_fixture, start_fixture_server
from live_fake_kalshi import FakeKalshiWs
from live_fake_polymarket import FakePolymarketWs

from arbees_engine.bus.client import BusClient

EVENT = "KXNBAGAME-22OCT02UTATOR"
TOR, UTA = f"{EVENT}-TOR", f"{EVENT}-UTA"
ELON, COLON = "KXELONMARS-99", "KXCOLONIZEMARS-50"
PM_YES = "36280099875251751745818064964562734168278241751001325046514103806779905894113"
GAME = "espn:nba:401474846"


def kalshi_utator_markets() -> dict:
    """Open KXNBAGAME markets for UTAH @ TOR (2022-10-02), built from the real capture's schema."""
    real = load_fixture("kalshi", "markets_nba_game_settled.json")["markets"]
    out = []
    for market, code, name, other in zip(real, ("TOR", "UTA"), ("Toronto", "Utah"), ("Utah", "Toronto"), strict=True):
        m = copy.deepcopy(market)
        m.update(
            event_ticker=EVENT,
            ticker=f"{EVENT}-{code}",
            status="active",
            result="",
            yes_sub_title=name,
            no_sub_title=other,
            title="Utah at Toronto Winner?",
            rules_primary=f"If {name} wins the Utah at Toronto professional basketball game originally "
            "scheduled for Oct 2, 2022, then the market resolves to Yes.",
            close_time="2022-10-03T05:00:00Z",
            expected_expiration_time="2022-10-03T02:00:00Z",
            occurrence_datetime="2022-10-03T01:00:00Z",
            # Whole contracts, as these tests were written for (the 2026 capture is fractional).
            # A fractional size shows a record→replay gap whole contracts hide: live sizing of the
            # next signal still counts the first one reserved at its limit, replay after its fill.
            fractional_trading_enabled=False,
        )
        out.append(m)
    return {"markets": out, "cursor": ""}


def kalshi_series(ticker: str) -> dict:
    """GET /series/{ticker} as SDK kalshi-typescript 3.30.0 `GetSeriesResponse` (synthetic): the
    general fee schedule (quadratic with maker fees, multiplier 1)."""
    return {"series": {"ticker": ticker, "fee_type": "quadratic_with_maker_fees", "fee_multiplier": 1}}


def kalshi_books() -> dict:
    """True books (yes/no bid ladders, dollars → contracts). TOR's YES ask 0.55 is below the model's
    0.70 for the home side leading by 6 in the 2nd at a neutral site (0.61 after shrinking toward
    the mid), so auto mode buys it once the minimum edge allows ~3.8¢ (see test_record_replay)."""
    return {
        TOR: {"yes": {D("0.50"): D("40")}, "no": {D("0.45"): D("30")}},
        UTA: {"yes": {D("0.44"): D("20")}, "no": {D("0.48"): D("25")}},
        ELON: {"yes": {D("0.08"): D("100")}, "no": {D("0.88"): D("50")}},
        COLON: {"yes": {D("0.20"): D("10")}, "no": {}},
    }


def polymarket_books() -> dict:
    """True book of the Gamma fixture's moneyline YES token."""
    return {PM_YES: {"bids": {D("0.45"): D("100")}, "asks": {D("0.55"): D("80")}}}


class Venues:
    """All servers of one run; `env(...)` points an engine process at them."""

    def __init__(self) -> None:
        self.kalshi: FakeKalshiWs | None = None
        self.polymarket: FakePolymarketWs | None = None
        self.http = None

    async def __aenter__(self) -> Venues:
        return self

    async def start(self, public_key) -> Venues:
        """Start the three servers (Kalshi's checks signatures with `public_key`)."""
        self.kalshi = await FakeKalshiWs(kalshi_books(), public_key=public_key).__aenter__()
        self.polymarket = await FakePolymarketWs(polymarket_books()).__aenter__()
        self.http = start_fixture_server(
            {
                "/basketball/nba/scoreboard": fixture("espn", "scoreboard_nba_events_in_post_2022pre_extracted.json"),
                "/markets?series_ticker=KXNBAGAME": kalshi_utator_markets(),
                "/markets?series_ticker=KXELONMARS": fixture("kalshi", "markets_open_two_tickers.json"),
                **gamma_routes(
                    load_fixture("polymarket", "gamma_events_sports_game_mlp_open.json"), retired_markets=False
                ),
                # Kalshi's series fee schedules and exchange status (SDK 3.30.0 shapes; synthetic).
                **{f"/series/{s}": kalshi_series(s) for s in ("KXNBAGAME", "KXELONMARS", "KXCOLONIZEMARS")},
                "/exchange/status": {"exchange_active": True, "trading_active": True},
                "/exchange/schedule": {"schedule": {"standard_hours": [], "maintenance_windows": []}},
            }
        )
        return self

    async def __aexit__(self, *exc) -> None:
        if self.http is not None:
            self.http.close()
        for server in (self.kalshi, self.polymarket):
            if server is not None:
                await server.__aexit__(None, None, None)

    def env(self, pg_dsn: str, redis_url: str, instance: str, key_file: Path | None, **extra: str) -> dict[str, str]:
        """Environment for `python -m arbees_engine ...` against these servers."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARBEES_")}
        env.update(
            {
                "ARBEES_DATABASE_URL": pg_dsn,
                "ARBEES_REDIS_URL": redis_url,
                "ARBEES_INSTANCE": instance,
                "ARBEES_KILL_FILE": "/nonexistent/arbees-kill",
                "ARBEES_CONFIG": "/nonexistent/arbees.toml",
                "ARBEES_ENDPOINTS__ESPN_BASE_URL": self.http.url,
                "ARBEES_ENDPOINTS__KALSHI_BASE_URL": self.http.url,
                "ARBEES_ENDPOINTS__POLYMARKET_GAMMA_URL": self.http.url,
                "ARBEES_ENDPOINTS__POLYMARKET_CLOB_URL": self.polymarket.rest_url,
                "ARBEES_ENDPOINTS__KALSHI_WS_URL": self.kalshi.url,
                "ARBEES_ENDPOINTS__POLYMARKET_WS_URL": self.polymarket.url,
                "ARBEES_ENDPOINTS__ESPN_LEAGUES": json.dumps(["basketball/nba"]),
                "ARBEES_ENDPOINTS__KALSHI_SERIES": json.dumps(["KXNBAGAME", "KXELONMARS"]),
                "ARBEES_ENDPOINTS__POLL_LIVE_S": "0.5",
                "ARBEES_ENDPOINTS__VENUE_POLL_S": "0.5",
            }
        )
        if key_file is not None:
            env.update(
                {"ARBEES_ENDPOINTS__KALSHI_KEY_ID": "test-key-id", "ARBEES_ENDPOINTS__KALSHI_KEY_FILE": str(key_file)}
            )
        env.update(extra)
        return env

    @staticmethod
    def replay_env(pg_dsn: str, redis_url: str, instance: str, **extra: str) -> dict[str, str]:
        """Environment for a replay: no venue endpoints at all (the recording names them)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("ARBEES_")}
        env.update(
            {
                "ARBEES_DATABASE_URL": pg_dsn,
                "ARBEES_REDIS_URL": redis_url,
                "ARBEES_INSTANCE": instance,
                "ARBEES_KILL_FILE": "/nonexistent/arbees-kill",
                "ARBEES_CONFIG": "/nonexistent/arbees.toml",
            }
        )
        env.update(extra)
        return env


def true_top(server, key: str) -> tuple:
    """The server's true YES (best bid, best ask) for a Kalshi ticker or Polymarket asset."""
    bids, asks = server.yes_view(key)
    return (max(bids) if bids else None, min(asks) if asks else None)


def synced(server, key: str, market_id: str):
    """Condition for BusWatch.wait: the published quote is fresh and equals the server's book."""

    def condition(watch: BusWatch) -> bool:
        quote = watch.quote(market_id)
        return quote is not None and not quote[2] and (quote[0], quote[1]) == true_top(server, key)

    return condition


async def start_engine(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    """`python -m arbees_engine <args>` as its own process (the real CLI)."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "arbees_engine",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def stop_engine(
    proc: asyncio.subprocess.Process, timeout_s: float = 30.0, *, signal_it: bool = True
) -> tuple[str, str]:
    """SIGTERM (if still running and `signal_it`) and collect (stdout, stderr); asserts a clean exit."""
    if signal_it and proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=timeout_s)
    except TimeoutError:
        proc.kill()
        out, err = await proc.communicate()
        raise AssertionError(f"engine did not exit within {timeout_s} s: {err.decode()[-3000:]}") from None
    assert proc.returncode == 0, f"exit {proc.returncode}: {err.decode()[-3000:]}"
    return out.decode(), err.decode()


async def status_json(env: dict[str, str]) -> dict:
    """`arbees-engine status --json` of the engine named by `env`."""
    proc = await start_engine(env, "status", "--json")
    out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 0, err.decode()[-2000:]
    return json.loads(out)


class BusWatch:
    """Follows an engine's event stream on Redis and awaits conditions with a deadline."""

    def __init__(self, redis_url: str, instance: str) -> None:
        self.client = BusClient(redis_url, instance)
        self.after = "0-0"
        self.quotes: dict[str, object] = {}
        self.engine = None
        self.fills: list = []
        self.signals: dict[str, object] = {}

    async def wait(self, condition, timeout_s: float = 20.0, what: str = "condition") -> None:
        """Read events until `condition(self)` holds; AssertionError naming `what` at the deadline."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not condition(self):
            if loop.time() > deadline:
                quotes = {k: (q.yes_bid, q.yes_ask, q.stale, q.game_id) for k, q in self.quotes.items()}
                raise AssertionError(
                    f"timed out waiting for {what}; quotes={quotes} "
                    f"rejections={getattr(self.engine, 'rejections', None)}"
                )
            for eid, event in await self.client.read_events(self.after, block_ms=200):
                self.after = eid
                kind = event.kind
                if kind == "quote":
                    self.quotes[event.market_id] = event
                elif kind == "engine":
                    self.engine = event
                elif kind == "fill":
                    self.fills.append(event)
                elif kind == "signal":
                    self.signals[event.signal_id] = event

    def quote(self, market_id: str) -> tuple:
        """(yes_bid, yes_ask, stale) of the latest published quote, or None."""
        q = self.quotes.get(market_id)
        return None if q is None else (q.yes_bid, q.yes_ask, q.stale)

    def rejections(self, key: str) -> int:
        """A rejection counter of the latest EngineStatus ("kalshi:seq_gap")."""
        return 0 if self.engine is None else self.engine.rejections.get(key, 0)

    async def close(self) -> None:
        """Close the Redis connection."""
        await self.client.close()
