"""Reconnect benchmark: N forced drops of a local Polymarket-protocol server (127.0.0.1 only).

Moved out of `adapters/reconnect.py` so the policy module does not import a venue stream (that
was the reconnect ↔ polymarket/ws import circle). Run: `python -m arbees_engine.ops.bench_reconnect [N]`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from websockets.exceptions import ConnectionClosed

from ..adapters.reconnect import ReconnectPolicy, percentile

_BOOK = {
    "event_type": "book",
    "asset_id": "bench",
    "timestamp": "1",
    "hash": "h",
    "bids": [{"price": "0.48", "size": "10"}],
    "asks": [{"price": "0.52", "size": "10"}],
}


class _BookSink:
    """The stream's sink: `got` is set on every book delivered; stale marks and rejections are ignored."""

    def __init__(self) -> None:
        self.got = asyncio.Event()

    def on_book(self, update) -> None:
        self.got.set()

    def on_book_stale(self, market_id: str, reason: str) -> None:
        pass

    def reject(self, source: str, reason: str, detail: str = "") -> None:
        pass


class _DroppingPeers:
    """The local server's side: answers every message but PING with one book snapshot; `drop()`
    aborts every open connection the way a network drop does (no close frame)."""

    def __init__(self) -> None:
        self.conns: list = []

    async def handler(self, ws) -> None:
        self.conns.append(ws)
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                if raw != "PING":
                    await ws.send(json.dumps([_BOOK]))

    def drop(self) -> None:
        for ws in self.conns:
            ws.transport.abort()  # a network drop: no close frame
        self.conns.clear()


async def _time_drops(sink: _BookSink, peers: _DroppingPeers, n: int, healthy_s: float) -> list[float]:
    """Wait for the first book, then `n` times: drop, and time until the next book (seconds)."""
    times: list[float] = []
    await asyncio.wait_for(sink.got.wait(), 10)
    for _ in range(n):
        await asyncio.sleep(healthy_s)  # the connection lives long enough to count as healthy
        sink.got.clear()
        dropped = time.monotonic()
        peers.drop()
        await asyncio.wait_for(sink.got.wait(), 30)
        times.append(time.monotonic() - dropped)
    return times


async def measure_reconnects(n: int, healthy_s: float) -> dict[str, float]:
    """N forced drops of a local Polymarket-protocol server; seconds from abort to next book."""
    from websockets.asyncio.server import serve

    from ..adapters.polymarket.ws import PolymarketBookStream

    sink, peers = _BookSink(), _DroppingPeers()
    policy = ReconnectPolicy(initial_s=0.05, cap_s=2.0, healthy_after_s=healthy_s)
    async with serve(peers.handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        stream = PolymarketBookStream(["bench"], url=f"ws://127.0.0.1:{port}", policy=policy)
        task = asyncio.create_task(stream.run(sink))
        try:
            times = await _time_drops(sink, peers, n, healthy_s)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    return {
        "count": float(len(times)),
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "max": max(times),
        "policy_p50": policy.summary()["p50"],
    }


def bench_reconnect(n: int = 50, healthy_s: float = 0.1) -> dict[str, float]:
    """Run `n` forced disconnects against a local server and print reconnect p50/p95/max (seconds).

    Reconnect time = server-side drop → first book message delivered to the sink again.
    Target: p50 < 1 s, p95 < 5 s. Returns the numbers as a dict.
    Run: `python -m arbees_engine.ops.bench_reconnect [N]`.
    """
    result = asyncio.run(measure_reconnects(n, healthy_s))
    print(
        f"reconnect over {n} forced drops: p50={result['p50'] * 1000:.1f} ms "
        f"p95={result['p95'] * 1000:.1f} ms max={result['max'] * 1000:.1f} ms"
    )
    return result


if __name__ == "__main__":
    import sys

    bench_reconnect(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
