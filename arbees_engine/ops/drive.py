"""Drive the simulated world through an engine step by step, deterministically.

Used by tests and benchmarks instead of wall-clock pacing: each sim second's events are
delivered, then the executor queue is awaited, so the same seed always gives the same trades.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..node.kernel import Engine


async def drive_sim(engine: Engine, world, sim_seconds: int, until: Callable[[Engine], bool] | None = None) -> int:
    """Advance `world` (a SimWorld) up to `sim_seconds` seconds, feeding `engine`; stop early when
    `until(engine)` is true. Returns the sim seconds actually run."""
    for second in range(1, sim_seconds + 1):
        for event in world.step():
            world._dispatch(engine, event)
        engine.housekeeping()
        await engine.settle_queue()
        await asyncio.sleep(0)  # let the store writer and bus publisher run, as they would live
        if until is not None and until(engine):
            return second
    return sim_seconds
