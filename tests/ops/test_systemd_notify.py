"""sd_notify protocol against a local Unix datagram socket: STATUS while starting, READY=1 only once
store, bus and both venues' first books are in, WATCHDOG=1 at half WATCHDOG_USEC, no pings while
the event loop is blocked, STOPPING=1 at shutdown."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest
from notify_listener import NotifyListener
from ops_harness import ops_engine, ops_settings

from arbees_engine.ops.drive import drive_sim
from arbees_engine.telemetry.notify import ServiceNotifier, watchdog_interval_s


@pytest.fixture
def listener(monkeypatch):
    listen = NotifyListener()
    monkeypatch.setenv("NOTIFY_SOCKET", listen.path)
    monkeypatch.setenv("WATCHDOG_USEC", "200000")  # WatchdogSec=0.2 → a ping every 0.1 s
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    yield listen
    listen.close()


def test_watchdog_interval_from_environment(monkeypatch):
    assert watchdog_interval_s({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval_s({}) is None
    assert watchdog_interval_s({"WATCHDOG_USEC": "junk"}) is None
    assert watchdog_interval_s({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None  # meant for another pid
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    quiet = ServiceNotifier()
    quiet.ready("x")
    assert not quiet.enabled and quiet.sent == 0


async def test_ready_after_first_books_then_watchdog_and_stopping(pg_dsn, redis_url, listener):
    settings = ops_settings(pg_dsn, redis_url)
    async with ops_engine(settings) as (engine, world):
        await asyncio.to_thread(listener.wait_for, lambda t: t.startswith("STATUS=starting: waiting for"), 10)
        assert not any("READY=1" in text for _, text in listener.messages)  # no markets, no books yet
        await drive_sim(engine, world, 5)
        await asyncio.wait_for(engine.ops.ready_event.wait(), 10)
        ready_at, ready = await asyncio.to_thread(listener.wait_for, lambda t: "READY=1" in t, 10)
        assert "STATUS=mode auto" in ready
        assert {"kalshi", "polymarket"} <= {v for v, n in engine.ops.ticks_by_venue.items() if n}
        pings = await asyncio.to_thread(listener.wait_pings, 8, 10)
        gaps = [b - a for a, b in itertools.pairwise(pings)]
        assert 0.08 <= sum(gaps) / len(gaps) <= 0.3, gaps  # configured: 0.1 s

        blocked_from = time.monotonic()
        time.sleep(1.0)  # noqa: ASYNC251 - a wedged event loop (a bad frame, a sync call), deliberately
        blocked_to = time.monotonic()
        await asyncio.to_thread(listener.wait_for, lambda t: t == "WATCHDOG=1", 10, len(listener.messages))
        during = [t for t in listener.pings() if blocked_from + 0.05 < t < blocked_to]
        assert during == []  # the loop sent nothing while blocked: systemd would restart it
        assert engine.ops.looplag.max_s >= 0.9
    stop_at, _ = listener.wait_for(lambda t: t.startswith("STOPPING=1"), 5)
    assert stop_at > ready_at
