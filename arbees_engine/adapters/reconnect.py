"""One reconnect policy for every venue/feed connection, plus reconnect-time measurement.

Backoff: exponential with FULL jitter (sleep ~ U(0, min(cap, initial·2^n))), from tenacity's
`wait_random_exponential` (AWS "Exponential Backoff And Jitter",
https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/). The attempt counter
resets once a connection has stayed healthy for `healthy_after_s` seconds.

Reconnect time = disconnect → first book message flowing again, recorded per outage so
percentiles (p50/p95/max, seconds) can be reported.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass, field
from types import SimpleNamespace

from tenacity import wait_random_exponential

from .recording import Recorder


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of `values`; NaN for an empty list."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class ReconnectPolicy:
    """Backoff and health tracking for one connection.

    initial_s: scale of the first backoff window (seconds); cap_s: largest window (seconds);
    healthy_after_s: a connection up this long resets the attempt counter.
    clock: monotonic seconds (injectable for tests).
    """

    initial_s: float = 0.05
    cap_s: float = 10.0
    healthy_after_s: float = 30.0
    clock: object = time.monotonic
    attempts: int = 0
    reconnect_times: list[float] = field(default_factory=list)
    disconnects: int = 0
    _down_since: float | None = None
    _up_since: float | None = None

    def __post_init__(self) -> None:
        self._wait = wait_random_exponential(multiplier=self.initial_s, max=self.cap_s)

    def next_delay(self) -> float:
        """Seconds to sleep before the next connection attempt (full jitter), and count it."""
        self.attempts += 1
        return float(self._wait(SimpleNamespace(attempt_number=self.attempts)))

    def on_connected(self) -> None:
        """The socket is open (not yet proven healthy)."""
        self._up_since = self.clock()

    def on_disconnected(self) -> None:
        """The connection dropped; starts the outage clock and resets backoff if it was healthy."""
        now = self.clock()
        if self._up_since is not None and now - self._up_since >= self.healthy_after_s:
            self.attempts = 0
        self._up_since = None
        self.disconnects += 1
        if self._down_since is None:
            self._down_since = now

    def on_book_message(self) -> None:
        """A book message arrived: closes an open outage and records its duration (seconds)."""
        if self._down_since is not None:
            self.reconnect_times.append(self.clock() - self._down_since)
            self._down_since = None

    def summary(self) -> dict[str, float]:
        """{"count", "p50", "p95", "max"} of reconnect times in seconds."""
        times = self.reconnect_times
        return {
            "count": float(len(times)),
            "p50": percentile(times, 50),
            "p95": percentile(times, 95),
            "max": max(times) if times else math.nan,
        }


async def run_with_reconnect(session, policy: ReconnectPolicy, on_down, log=None) -> None:
    """Run `await session()` forever, reconnecting under `policy` until cancelled.

    session: coroutine function that connects, calls `policy.on_connected()`, and returns (or
      raises) when the connection ends. on_down(): called after every drop (mark books stale).
    Any exception from `session` is logged and treated as a drop; CancelledError propagates.
    """
    while True:
        try:
            await session()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a dead connection must never kill the adapter
            if log is not None:
                log.warning("connection_failed", error=type(exc).__name__, detail=str(exc)[:200])
        policy.on_disconnected()
        on_down()
        await asyncio.sleep(policy.next_delay())  # backoff, not synchronisation


@dataclass
class ReportingPolicy(ReconnectPolicy):
    """ReconnectPolicy that tells the engine about drops and reconnect times.

    Each drop → `sink.reject(venue, "disconnected")` (counted in EngineStatus.rejections) and a
    "<venue>-conn" record; each reconnect time → the sink's LatencyRecorder stage
    "reconnect_<venue>" (p50/p95 in EngineStatus.latency) when the sink has `latency`.
    """

    venue: str = ""
    sink: object | None = None
    recorder: Recorder | None = None
    _reported: int = field(default=0, repr=False)

    def on_disconnected(self) -> None:
        """Count the drop, record it, and tell the sink."""
        super().on_disconnected()
        if self.recorder is not None:
            self.recorder.record(f"{self.venue}-conn", "down")
        if self.sink is not None:
            self.sink.reject(self.venue, "disconnected", f"drop #{self.disconnects}")

    def on_book_message(self) -> None:
        """Close an outage and publish its duration (seconds → ns into the engine's latency)."""
        super().on_book_message()
        latency = getattr(self.sink, "latency", None)
        while self._reported < len(self.reconnect_times):
            seconds = self.reconnect_times[self._reported]
            self._reported += 1
            if latency is not None:
                latency.record(f"reconnect_{self.venue}", 0, int(seconds * 1e9))
