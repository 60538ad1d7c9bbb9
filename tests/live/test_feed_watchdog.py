"""Feeds that cannot go silently stale: the watchdog on a fake CLOB market channel (127.0.0.1).

Time is the test's: the streams take a `clock` (the engine's Clock port) and the watchdog pass is
driven by `liveness_step()`; its own loop is paced at an hour so it never runs on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from live_fake_polymarket import FakePolymarketWs
from live_sink import RecordingSink

from arbees_engine.adapters.polymarket.ws import PolymarketBookStream, rest_book_fetcher
from arbees_engine.adapters.reconnect import ReconnectPolicy
from arbees_engine.adapters.watchdog import WatchdogConfig

X, Y = "1111", "2222"
BOUNDS = WatchdogConfig(silence_s=5.0, pong_timeout_s=3.0, ping_interval_s=2.0, check_every_s=3600.0)
STEP_S = 0.25  # test-clock seconds between watchdog passes


class FakeClock:
    """The Clock port (aware UTC datetime), moved only by `advance`."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 20, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _books():
    return {
        X: {"bids": {D("0.48"): D("100")}, "asks": {D("0.53"): D("40")}},
        Y: {"bids": {D("0.10"): D("5")}, "asks": {D("0.90"): D("7")}},
    }


@contextlib.asynccontextmanager
async def running(server, assets, sink, clock, config=BOUNDS):
    stream = PolymarketBookStream(
        assets,
        url=server.url,
        fetch_book=rest_book_fetcher(server.rest_url),
        policy=ReconnectPolicy(initial_s=0.01, cap_s=0.05),
        watchdog=config,
        clock=clock,
    )
    task = asyncio.create_task(stream.run(sink))
    try:
        yield stream
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def in_sync(sink, server, *assets):
    return lambda: all(sink.yes_view(f"polymarket:{a}") == server.yes_view(a) for a in assets)


async def _drive_until(stream, clock, done, limit_s: float = 60.0) -> float:
    """Advance the test clock STEP_S at a time, one watchdog pass each, until `done()`; returns the
    test-clock seconds it took. Each pass also yields to the loop so frames in flight land."""
    start = clock()
    while not done():
        assert (clock() - start).total_seconds() < limit_s, "watchdog never acted"
        clock.advance(STEP_S)
        await stream.liveness_step()
        await asyncio.sleep(0)  # one loop turn, not a wait for time
    return (clock() - start).total_seconds()


async def test_frozen_clob_socket_is_detected_within_the_pong_bound_and_resynced():
    sink, clock = RecordingSink(), FakeClock()
    bounds = replace(BOUNDS, silence_s=30.0)  # the PONG bound (2 + 3 s) is the tighter one here
    async with FakePolymarketWs(_books()) as server:
        async with running(server, [X, Y], sink, clock, bounds) as stream:
            await sink.wait_for(in_sync(sink, server, X, Y))
            # a PING answered: the PONG clears it
            await _drive_until(stream, clock, lambda: stream.watchdog.counts["pings"] == 1)
            await server.wait_until(lambda: server.pings == 1)
            await server.change(Y, "BUY", "0.11", "1")  # sent after the PONG: once it lands, so has the PONG
            await sink.wait_for(in_sync(sink, server, Y))
            assert stream.watchdog.counts["pongs"] == 1
            server.freeze()  # TCP stays open; no frame, no PONG from now on
            await server.change(X, "BUY", "0.50", "10")  # the venue moves on, unseen
            detected = await _drive_until(stream, clock, lambda: stream.watchdog.counts["reconnects"] == 1)
            assert stream.watchdog.counts["pong_timeouts"] == 1
            assert detected <= BOUNDS.ping_interval_s + BOUNDS.pong_timeout_s + STEP_S
            await sink.wait_for(lambda: ("stale", f"polymarket:{X}", "disconnected") in sink.events)
            await server.wait_until(lambda: server.connections == 2)
            await sink.wait_for(in_sync(sink, server, X, Y))  # resynced on the new connection
    print(f"frozen socket detected after {detected:.2f} s on the test clock")  # reported in the closing note
    sink.assert_no_update_while_stale()


async def test_silent_market_gets_rest_check_then_resubscribe():
    sink, clock = RecordingSink(), FakeClock()
    async with FakePolymarketWs(_books()) as server:
        async with running(server, [X, Y], sink, clock) as stream:
            await sink.wait_for(in_sync(sink, server, X, Y))
            server.mute(X)  # X's changes stop; PINGs and Y still flow
            await server.change(X, "SELL", "0.52", "4")
            took = await _drive_until(stream, clock, lambda: stream.watchdog.counts["resubscribes"] == 1)
            counts = stream.watchdog.counts
            assert counts["rest_checks"] >= 1 and counts["book_moved"] == 1 and counts["reconnects"] == 0
            assert took <= BOUNDS.silence_s + STEP_S
            await sink.wait_for(lambda: counts["recovered"] == 1 and in_sync(sink, server, X, Y)())
            assert ("stale", f"polymarket:{X}", "silent") in sink.events
            assert server.subscribes[-1] == {"assets_ids": [X], "operation": "subscribe"}
            status = stream.feed_status()
            assert status.state == "live" and status.counts["resubscribes"] == 1
            assert status.market_age_s[f"polymarket:{X}"] == 0.0


async def test_quiet_market_with_the_same_rest_top_is_left_alone():
    sink, clock = RecordingSink(), FakeClock()
    async with FakePolymarketWs(_books()) as server:
        async with running(server, [X], sink, clock) as stream:
            await sink.wait_for(in_sync(sink, server, X))
            await _drive_until(stream, clock, lambda: stream.watchdog.counts["quiet_ok"] == 2)
            counts = stream.watchdog.counts
            assert counts["resubscribes"] == 0 and counts["reconnects"] == 0 and server.connections == 1
            assert stream.feed_status().market_age_s[f"polymarket:{X}"] >= 2 * BOUNDS.silence_s


async def test_resubscribe_unanswered_escalates_to_reconnect():
    sink, clock = RecordingSink(), FakeClock()
    async with FakePolymarketWs(_books()) as server:
        async with running(server, [X, Y], sink, clock) as stream:
            await sink.wait_for(in_sync(sink, server, X, Y))
            server.mute(X, deaf=True)
            await server.change(X, "SELL", "0.52", "4")
            took = await _drive_until(stream, clock, lambda: stream.watchdog.counts["reconnects"] == 1)
            assert stream.watchdog.counts["resubscribes"] == 1 and stream.watchdog.counts["pong_timeouts"] == 0
            assert took <= 2 * BOUNDS.silence_s + STEP_S
            del server.muted[X]
            await server.wait_until(lambda: server.connections == 2)
            await sink.wait_for(in_sync(sink, server, X, Y))
            assert stream.feed_status().state == "live"
