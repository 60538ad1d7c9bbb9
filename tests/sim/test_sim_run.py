"""SimWorld.run: pushes into a Sink, paced without changing the event sequence, survives sink bugs."""

from __future__ import annotations

import asyncio
import math

from sim_helpers import RecordingSink, run_steps

from arbees_engine.adapters.base import Adapter
from arbees_engine.adapters.sim import SimWorld
from arbees_engine.model import BookUpdate, GameState, Market


class StopAfter(RecordingSink):
    """Records, and signals `done` once the world's clock passes `sim_seconds`."""

    def __init__(self, world: SimWorld, sim_seconds: int) -> None:
        super().__init__()
        self.world, self.sim_seconds, self.done = world, sim_seconds, asyncio.Event()

    def on_book(self, update: BookUpdate) -> None:
        super().on_book(update)
        if self.world.clock.elapsed_s >= self.sim_seconds:
            self.done.set()


async def _run_for(world: SimWorld, sink: StopAfter) -> None:
    task = asyncio.create_task(world.run(sink))
    await asyncio.wait_for(sink.done.wait(), timeout=60)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass


async def test_run_pushes_the_same_events_as_step_whatever_the_speed() -> None:
    for speed in (None, math.inf, 2000.0):
        world = SimWorld(seed=12, speed=speed)
        sink = StopAfter(world, 300)
        await _run_for(world, sink)
        steps = world.clock.elapsed_s
        expected = run_steps(SimWorld(seed=12), steps)
        assert sink.events == expected  # run stops between steps, so whole steps match
        assert any(isinstance(e, GameState) for e in sink.events)
        assert any(isinstance(e, Market) for e in sink.events)


async def test_run_paces_at_the_requested_speed() -> None:
    world = SimWorld(seed=13, speed=400.0)
    sink = StopAfter(world, 100)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await _run_for(world, sink)
    elapsed = loop.time() - started
    assert elapsed >= 0.2  # 100 sim s at 400× takes ≥ 0.25 s wall; not as fast as possible


async def test_a_failing_sink_is_counted_and_the_world_keeps_running() -> None:
    class Broken(StopAfter):
        def on_game_state(self, state: GameState) -> None:
            raise RuntimeError("engine bug")

    world = SimWorld(seed=14, speed=None)
    sink = Broken(world, 50)
    await _run_for(world, sink)
    assert world.sink_errors > 0
    assert world.clock.elapsed_s >= 50


def test_sim_world_is_an_adapter() -> None:
    world: Adapter = SimWorld()
    assert world.name == "sim"
    assert asyncio.iscoroutinefunction(world.run)
