"""LoopLagMonitor and LogHistogram: a blocked loop shows as lag; percentiles cover every sample."""

from __future__ import annotations

import asyncio
import time

import pytest

from arbees_engine.telemetry.histogram import BOUNDS_NS, LogHistogram
from arbees_engine.telemetry.looplag import LoopLagMonitor


def test_histogram_percentiles_cover_every_sample_within_a_bucket():
    hist = LogHistogram()
    for us in range(1, 100_001):  # 100k samples: 1 µs … 100 ms, far beyond a 4,096 ring
        hist.record(us * 1_000)
    assert hist.count == 100_000
    p50, p99 = hist.percentile_ns(0.5), hist.percentile_ns(0.99)
    assert 50_000_000 <= p50 <= 50_000_000 * 2**0.25  # upper bound of the containing bucket
    assert 99_000_000 <= p99 <= 100_000_000
    assert hist.max_ns == 100_000_000
    assert hist.summary_ms()["max_ms"] == 100.0
    assert hist.cumulative((BOUNDS_NS[0], BOUNDS_NS[-1]))[-1] == 100_000


def test_histogram_empty_and_negative():
    hist = LogHistogram()
    assert hist.percentile_ns(0.99) == 0
    hist.record(-5)
    assert hist.count == 1 and hist.max_ns == 0


def test_interval_must_be_positive():
    with pytest.raises(ValueError):
        LoopLagMonitor(0)


async def test_blocked_loop_shows_as_lag():
    monitor = LoopLagMonitor(interval_s=0.01)
    task = asyncio.create_task(monitor.run())
    try:
        await monitor.next_sample()
        quiet = monitor.max_s
        sample = asyncio.ensure_future(monitor.next_sample())
        await asyncio.sleep(0)  # the waiter is registered; now block the loop on purpose
        time.sleep(0.25)  # noqa: ASYNC251 - blocking the loop is what this test measures
        lag = await sample
    finally:
        task.cancel()
    assert lag >= 0.2, lag
    assert monitor.max_s >= 0.2 > quiet
    assert monitor.take_recent_max() >= 0.2 and monitor.take_recent_max() == 0.0
