"""Kalshi feed liveness on a local Kalshi-protocol server (127.0.0.1): the silence watchdog on the
test clock, and the websockets library's protocol ping (keepalive) on a connection that froze."""

from __future__ import annotations

import asyncio
import contextlib
import time
from decimal import Decimal as D

from live_fake_kalshi_feed import FeedFakeKalshi
from live_sink import RecordingSink
from test_feed_watchdog import STEP_S, FakeClock, _drive_until

from arbees_engine.adapters.http import make_client
from arbees_engine.adapters.kalshi.rest import KalshiRestVenue
from arbees_engine.adapters.kalshi.ws import KalshiBookStream
from arbees_engine.adapters.reconnect import ReconnectPolicy
from arbees_engine.adapters.watchdog import WatchdogConfig

A, B = "KXNBAGAME-26JUN13NYKSAS-SAS", "KXNBAGAME-26JUN13NYKSAS-NYK"
# no protocol pings (interval 0): only the silence watchdog can notice the freeze
SILENCE_ONLY = WatchdogConfig(silence_s=5.0, pong_timeout_s=3.0, ping_interval_s=0.0, check_every_s=3600.0)


def _books():
    return {
        A: {"yes": {D("0.35"): D("200"), D("0.42"): D("13")}, "no": {D("0.54"): D("400")}},
        B: {"yes": {D("0.40"): D("10")}, "no": {}},
    }


@contextlib.asynccontextmanager
async def running(server, tickers, sink, **kw):
    async with make_client(timeout_s=2.0) as client:
        rest = KalshiRestVenue(server.rest_url, client)
        stream = KalshiBookStream(
            tickers,
            url=server.url,
            policy=ReconnectPolicy(initial_s=0.01, cap_s=0.05),
            fetch_top=rest.top_of_book,
            **kw,
        )
        task = asyncio.create_task(stream.run(sink))
        try:
            yield stream
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def in_sync(sink, server, *tickers):
    return lambda: all(sink.yes_view(f"kalshi:{t}") == server.yes_view(t) for t in tickers)


async def test_frozen_kalshi_socket_is_found_by_the_silence_watchdog_and_resynced():
    sink, clock = RecordingSink(), FakeClock()
    async with FeedFakeKalshi(_books()) as server:
        async with running(server, [A, B], sink, watchdog=SILENCE_ONLY, clock=clock) as stream:
            await sink.wait_for(in_sync(sink, server, A, B))
            server.freeze()
            await server.delta(A, "yes", "0.43", "5")  # the venue moves on, unseen
            detected = await _drive_until(stream, clock, lambda: stream.watchdog.counts["resubscribes"] >= 1)
            counts = stream.watchdog.counts
            assert counts["book_moved"] == 1 and counts["quiet_ok"] == 1 and server.rest_calls == 2  # A moved, B quiet
            assert detected <= SILENCE_ONLY.silence_s + STEP_S
            assert ("stale", f"kalshi:{A}", "silent") in sink.events
            reconnected = await _drive_until(stream, clock, lambda: counts["reconnects"] == 1)
            assert reconnected <= SILENCE_ONLY.silence_s + STEP_S
            await sink.wait_for(in_sync(sink, server, A, B))
            assert stream.feed_status().state == "live"
    print(f"kalshi freeze: resubscribe after {detected:.2f} s, reconnect {reconnected:.2f} s later (test clock)")
    sink.assert_no_update_while_stale()


async def test_kalshi_protocol_ping_without_pong_reconnects():
    sink = RecordingSink()
    pings = WatchdogConfig(silence_s=3600.0, pong_timeout_s=0.2, ping_interval_s=0.1, check_every_s=3600.0)
    async with FeedFakeKalshi(_books()) as server:
        async with running(server, [A], sink, watchdog=pings) as stream:
            await sink.wait_for(in_sync(sink, server, A))
            frozen_at = time.monotonic()
            server.freeze()
            await server.delta(A, "no", "0.54", "-100")
            await sink.wait_for(lambda: ("stale", f"kalshi:{A}", "disconnected") in sink.events)
            took = time.monotonic() - frozen_at
            await sink.wait_for(in_sync(sink, server, A))  # the new connection's snapshot
            assert server.connections == 2 and stream.watchdog.counts["reconnects"] == 0  # the library did it
    assert took < 5.0
    print(f"kalshi keepalive: frozen connection closed after {took:.2f} s (ping 0.1 s, timeout 0.2 s)")
