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


async def _bench(n: int, healthy_s: float) -> dict[str, float]:
    """N forced drops of a local Polymarket-protocol server; seconds from abort to next book."""
    import contextlib
    import json

    from websockets.asyncio.server import serve
    from websockets.exceptions import ConnectionClosed

    from .polymarket.ws import PolymarketBookStream

    book = {"event_type": "book", "asset_id": "bench", "timestamp": "1", "hash": "h",
            "bids": [{"price": "0.48", "size": "10"}], "asks": [{"price": "0.52", "size": "10"}]}
    conns: list = []
    got = asyncio.Event()

    async def handler(ws) -> None:
        conns.append(ws)
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                if raw != "PING":
                    await ws.send(json.dumps([book]))

    class _Sink:
        def on_book(self, update) -> None:
            got.set()

        def on_book_stale(self, market_id: str, reason: str) -> None:
            pass

        def reject(self, source: str, reason: str, detail: str = "") -> None:
            pass

    policy = ReconnectPolicy(initial_s=0.05, cap_s=2.0, healthy_after_s=healthy_s)
    times: list[float] = []
    async with serve(handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        stream = PolymarketBookStream(["bench"], url=f"ws://127.0.0.1:{port}", policy=policy)
        task = asyncio.create_task(stream.run(_Sink()))
        try:
            await asyncio.wait_for(got.wait(), 10)
            for _ in range(n):
                await asyncio.sleep(healthy_s)  # the connection lives long enough to count as healthy
                got.clear()
                dropped = time.monotonic()
                for ws in conns:
                    ws.transport.abort()  # a network drop: no close frame
                conns.clear()
                await asyncio.wait_for(got.wait(), 30)
                times.append(time.monotonic() - dropped)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    return {"count": float(len(times)), "p50": percentile(times, 50), "p95": percentile(times, 95),
            "max": max(times), "policy_p50": policy.summary()["p50"]}


def bench_reconnect(n: int = 50, healthy_s: float = 0.1) -> dict[str, float]:
    """Run `n` forced disconnects against a local server and print reconnect p50/p95/max (seconds).

    Reconnect time = server-side drop → first book message delivered to the sink again.
    Target: p50 < 1 s, p95 < 5 s. Returns the numbers as a dict.
    Run: `python -m arbees_engine.adapters.reconnect [N]`.
    """
    result = asyncio.run(_bench(n, healthy_s))
    print(f"reconnect over {n} forced drops: p50={result['p50'] * 1000:.1f} ms "
          f"p95={result['p95'] * 1000:.1f} ms max={result['max'] * 1000:.1f} ms")
    return result


if __name__ == "__main__":
    import sys

    bench_reconnect(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
