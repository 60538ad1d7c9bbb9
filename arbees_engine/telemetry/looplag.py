"""Event-loop lag: how late a task that sleeps a fixed interval wakes up.

A callback that blocks the loop (a slow parse, a sync call) delays every other task by as long as
it runs; this task sees that delay as lateness. Same idea as Node's `monitorEventLoopDelay` and
`aiodebug`'s lag monitor: sleep `interval_s`, lag = woke − (went to sleep + interval_s).
"""

from __future__ import annotations

import asyncio
import time

from .histogram import LogHistogram


class LoopLagMonitor:
    """Samples event-loop lag every `interval_s` seconds into a whole-run LogHistogram.

    `max_s` is the worst lag seen (seconds), `last_s` the latest, `recent_max_s` the worst since
    the last `take_recent_max()` (the status pass reads and resets it each second).
    """

    def __init__(self, interval_s: float = 0.05) -> None:
        if not interval_s > 0:
            raise ValueError("interval_s must be > 0")
        self.interval_s = interval_s
        self.histogram = LogHistogram()
        self.last_s = 0.0
        self.recent_max_s = 0.0
        self._waiters: list[asyncio.Future] = []

    @property
    def max_s(self) -> float:
        """Worst lag seen over the run, seconds."""
        return self.histogram.max_ns / 1e9

    def record(self, lag_s: float) -> None:
        """Add one lag sample in seconds (negative clock noise counts as 0)."""
        lag_s = max(0.0, lag_s)
        self.histogram.record(int(lag_s * 1e9))
        self.last_s = lag_s
        self.recent_max_s = max(self.recent_max_s, lag_s)
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(lag_s)

    async def next_sample(self) -> float:
        """Wait for the next sample and return its lag (seconds); for tests and probes."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        return await waiter

    def take_recent_max(self) -> float:
        """Worst lag since the previous call (seconds), then reset."""
        worst, self.recent_max_s = self.recent_max_s, 0.0
        return worst

    async def run(self) -> None:
        """Sample until cancelled."""
        while True:
            went = time.monotonic()
            await asyncio.sleep(self.interval_s)
            self.record(time.monotonic() - went - self.interval_s)
