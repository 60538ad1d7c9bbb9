"""`arbees-engine run --venue kalshi,polymarket --feed espn` against local venue servers.

The engine runs as its own process (the real CLI) with real PostgreSQL and Redis. Discovery is
REST (fixture server), books stream over the fake Kalshi websocket (signed handshake, checked
with the test key's public half) and the fake Polymarket market channel. Faults are injected
from the servers: a Kalshi sequence gap, Polymarket lost and duplicated changes, and dropped
connections on both. Every one must be counted in the engine's status, and the books must end
up equal to the servers' books.
"""

from __future__ import annotations

from decimal import Decimal as D

from live_engine_world import (
    COLON,
    ELON,
    PM_YES,
    TOR,
    UTA,
    BusWatch,
    Venues,
    start_engine,
    status_json,
    stop_engine,
    synced,
)


async def test_streamed_books_become_quotes_and_faults_are_counted(pg_dsn, redis_url, kalshi_key, kalshi_key_file):
    async with Venues() as venues:
        await venues.start(kalshi_key.public_key())
        kalshi, pm = venues.kalshi, venues.polymarket
        env = venues.env(pg_dsn, redis_url, "stream", kalshi_key_file)
        proc = await start_engine(env, "run", "--venue", "kalshi,polymarket", "--feed", "espn", "--mode", "manual")
        watch = BusWatch(redis_url, "stream")
        try:
            tor, pm_id = f"kalshi:{TOR}", f"polymarket:{PM_YES}"
            await watch.wait(
                lambda w: (
                    synced(kalshi, TOR, tor)(w)
                    and synced(pm, PM_YES, pm_id)(w)
                    and all(w.quote(f"kalshi:{t}") for t in (UTA, ELON, COLON))
                ),
                30,
                "streamed books",
            )
            assert watch.quote(tor)[:2] == (D("0.50"), D("0.55"))  # yes bid 0.50, 1 − no bid 0.45
            assert watch.quote(pm_id)[:2] == (D("0.45"), D("0.55"))

            # Kalshi: a delta after a skipped seq → counted gap, resubscribe, fresh snapshot.
            await kalshi.delta(TOR, "yes", "0.51", "5", fault="gap")
            await watch.wait(
                lambda w: w.rejections("kalshi:seq_gap") >= 1 and synced(kalshi, TOR, tor)(w), 20, "kalshi gap resync"
            )
            assert watch.quote(tor)[0] == D("0.51")
            # Duplicate and swapped deltas: the stale copies are counted, the book stays exact.
            await kalshi.delta(TOR, "yes", "0.50", "3", fault="duplicate")
            await kalshi.delta(TOR, "no", "0.46", "7")
            await watch.wait(
                lambda w: w.rejections("kalshi:stale_seq") >= 1 and synced(kalshi, TOR, tor)(w), 20, "kalshi duplicate"
            )
            assert watch.quote(tor)[1] == D("0.54")

            # Out of order (seq n+2 before n+1) → a gap → resync; malformed frames are counted.
            await kalshi.swapped_deltas(UTA, ("yes", "0.45", "6"), ("no", "0.49", "2"))
            await kalshi.send_raw('{"type": "orderbook_delta", "sid": 1')
            await pm.send_raw("[not json")
            await watch.wait(
                lambda w: (
                    w.rejections("kalshi:seq_gap") >= 2
                    and w.rejections("kalshi:malformed") >= 1
                    and w.rejections("polymarket:malformed") >= 1
                    and synced(kalshi, UTA, f"kalshi:{UTA}")(w)
                ),
                20,
                "kalshi swap resync",
            )

            # Polymarket: a lost change → the next change's book hash disagrees with ours → REST resync.
            await pm.change(PM_YES, "SELL", "0.54", "5", fault="lost")  # a new best ask we never see
            await pm.change(PM_YES, "BUY", "0.46", "10")
            await watch.wait(
                lambda w: (
                    w.rejections("polymarket:hash_mismatch") >= 1
                    and pm.rest_calls >= 1
                    and synced(pm, PM_YES, pm_id)(w)
                ),
                20,
                "polymarket resync",
            )
            await pm.change(PM_YES, "BUY", "0.47", "1", fault="duplicate")
            await watch.wait(
                lambda w: w.rejections("polymarket:duplicate") >= 1 and synced(pm, PM_YES, pm_id)(w),
                20,
                "polymarket duplicate",
            )

            # Both connections drop (no close frame): counted, books stale, then quotes flow again.
            connections = (kalshi.connections, pm.connections)
            await kalshi.drop()
            await pm.drop()
            await watch.wait(
                lambda w: w.rejections("kalshi:disconnected") >= 1 and w.rejections("polymarket:disconnected") >= 1,
                20,
                "drops counted",
            )
            await watch.wait(
                lambda _w: kalshi.connections > connections[0] and pm.connections > connections[1], 20, "reconnects"
            )
            await kalshi.delta(TOR, "yes", "0.40", "9")
            await pm.change(PM_YES, "SELL", "0.60", "5")
            await watch.wait(
                lambda w: synced(kalshi, TOR, tor)(w) and synced(pm, PM_YES, pm_id)(w), 20, "quotes after reconnect"
            )

            status = await status_json(env)
        finally:
            await watch.close()
            summary, errors = await stop_engine(proc)
    assert "Arbees engine run summary" in summary
    engine = status["engine"]
    rejections = engine["rejections"]
    print("fault counts:", {k: v for k, v in sorted(rejections.items()) if k.split(":")[0] in ("kalshi", "polymarket")})
    print("reconnect latency:", {k: v for k, v in engine["latency"].items() if k.startswith("reconnect")})
    kalshi_resyncs = sum(1 for c in kalshi.commands if c["cmd"] == "unsubscribe")  # resubscribe = rebuild
    print(f"resyncs: kalshi={kalshi_resyncs} (resubscribes) polymarket={pm.rest_calls} (REST /book)")
    assert kalshi_resyncs == rejections["kalshi:seq_gap"] == 2  # one rebuild per gap, none otherwise
    assert pm.rest_calls == rejections["polymarket:hash_mismatch"] == 1
    assert rejections["kalshi:seq_gap"] >= 2 and rejections["kalshi:stale_seq"] >= 1
    assert rejections["kalshi:malformed"] >= 1 and rejections["polymarket:malformed"] >= 1
    assert rejections["kalshi:disconnected"] >= 1 and rejections["polymarket:disconnected"] >= 1
    assert rejections["polymarket:hash_mismatch"] >= 1 and rejections["polymarket:duplicate"] >= 1
    # the feeds as the desk reads them: state, each market's last update age, watchdog/hash counters
    feeds = engine["feeds"]
    assert feeds["kalshi"]["state"] == "live" and feeds["polymarket"]["state"] == "live", feeds
    assert feeds["polymarket"]["market_age_s"][pm_id] is not None and tor in feeds["kalshi"]["market_age_s"]
    assert feeds["polymarket"]["counts"]["hash_mismatch"] == 1 and feeds["polymarket"]["counts"]["hash_ok"] >= 1
    assert feeds["polymarket"]["counts"]["hash_unverifiable"] == 0
    assert not any(k.startswith("kalshi:http_") for k in rejections), rejections  # no REST book polling
    assert engine["latency"]["reconnect_kalshi"]["count"] >= 1
    assert engine["latency"]["reconnect_polymarket"]["count"] >= 1
    assert engine["latency"]["reconnect_kalshi"]["p50_ms"] < 1000
    assert kalshi.rejected_handshakes == 0  # every handshake was correctly signed
    quotes = {q["market_id"]: q for q in status["quotes"]}
    assert quotes[f"kalshi:{TOR}"]["game_id"] == "espn:nba:401474846"
    assert "kalshi.rest_polling" not in errors
