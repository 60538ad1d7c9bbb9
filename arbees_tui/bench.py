"""`arbees bench-desk`: drive the desk headless (App.run_test) under synthetic load and report
keypress latency and frame-time percentiles.

Load: `games` live games × `markets_per_game` markets, `rate` events/s pushed in-process into a
MemorySource (no Redis). Keypress latency = time from sending a key to the games table's cursor
having moved (the handler ran). Frame time = duration of each screen update (layout + render),
measured around Screen._compositor_refresh (layout passes reported separately); paint = one tick applying coalesced
changes.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field

from textual import events

from arbees_engine.bus.messages import utcnow

from .app import ArbeesApp
from .panels.games import GamesTable
from .sample import QuoteStorm, heartbeat, synthetic_snapshot
from .source import MemorySource


@dataclass
class BenchResult:
    """Millisecond samples per measure, and how many events were pushed and applied."""

    key_ms: list[float] = field(default_factory=list)
    frame_ms: list[float] = field(default_factory=list)
    paint_ms: list[float] = field(default_factory=list)
    layout_ms: list[float] = field(default_factory=list)
    events_pushed: int = 0
    events_applied: int = 0
    seconds: float = 0.0


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99/max of `samples` (ms); zeros when empty."""
    if len(samples) < 2:
        v = samples[0] if samples else 0.0
        return {"p50": v, "p95": v, "p99": v, "max": v}
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": q[49], "p95": q[94], "p99": q[98], "max": max(samples)}


def _timed(fn, sink: list[float]):
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            sink.append((time.perf_counter() - t0) * 1000)

    return wrapper


async def run_bench(
    games: int = 500,
    markets_per_game: int = 4,
    rate: float = 200.0,
    seconds: float = 10.0,
    presses: int = 40,
    size: tuple[int, int] = (160, 48),
) -> BenchResult:
    """Run the desk under load for about `seconds` and return the samples."""
    now = utcnow()
    snap = synthetic_snapshot(now, games=games, markets_per_game=markets_per_game)
    source = MemorySource(snap, heartbeat(now))
    storm = QuoteStorm(snap)
    app = ArbeesApp(source, frozen=True, read_only=True)  # it only watches: no key needed
    result = BenchResult()
    async with app.run_test(size=size) as pilot:
        while app.state.events_applied == 0 and len(app.state.games) < games:
            await pilot.pause(0.05)
        screen = app.screen
        screen._compositor_refresh = _timed(screen._compositor_refresh, result.frame_ms)
        screen._refresh_layout = _timed(screen._refresh_layout, result.layout_ms)
        app.tick = _timed(app.tick, result.paint_ms)
        app.set_interval(app.paint_interval_s, app.tick)  # the original timer holds the unwrapped tick

        async def produce() -> None:
            start = time.perf_counter()
            while (elapsed := time.perf_counter() - start) < seconds:
                due = int(elapsed * rate) - result.events_pushed  # catch up so the rate holds under load
                if due > 0:
                    source.push(*(storm.next(utcnow()) for _ in range(due)))
                    result.events_pushed += due
                await asyncio.sleep(0.02)

        producer = asyncio.create_task(produce())
        table = app.screen.query_one(GamesTable)
        table.focus()
        gap = seconds / (presses + 1)
        for i in range(presses):
            await asyncio.sleep(gap)
            key = "down" if (i // 10) % 2 == 0 else "up"
            before = table.cursor_row
            t0 = time.perf_counter()
            app._driver.send_message(events.Key(key, None))
            while table.cursor_row == before and time.perf_counter() - t0 < 2.0:
                await asyncio.sleep(0.0005)
            result.key_ms.append((time.perf_counter() - t0) * 1000)
        await producer
        result.seconds = seconds
        result.events_applied = app.state.events_applied
    return result


def report(result: BenchResult, games: int, markets: int, rate: float) -> str:
    """Human-readable summary."""
    lines = [
        f"bench-desk: {games} games, {markets} markets, {rate:.0f} events/s for {result.seconds:.0f} s "
        f"({result.events_pushed} pushed, {result.events_applied} applied)"
    ]
    for name, samples in (
        ("keypress", result.key_ms),
        ("frame", result.frame_ms),
        ("layout", result.layout_ms),
        ("paint", result.paint_ms),
    ):
        p = percentiles(samples)
        lines.append(
            f"  {name:<9} n={len(samples):<5} p50={p['p50']:.1f} ms  p95={p['p95']:.1f} ms  "
            f"p99={p['p99']:.1f} ms  max={p['max']:.1f} ms"
        )
    return "\n".join(lines)


def main(games: int = 500, markets: int = 2000, rate: float = 200.0, seconds: float = 10.0) -> int:
    """Entry for `arbees bench-desk`; returns 0 if keypress p95 < 100 ms, else 1."""
    per_game = max(2, markets // max(1, games))
    result = asyncio.run(run_bench(games, per_game, rate, seconds))
    print(report(result, games, games * per_game, rate))
    return 0 if percentiles(result.key_ms)["p95"] < 100 else 1
