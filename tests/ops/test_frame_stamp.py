"""tick→decision starts when a websocket frame is handed to the stream (before decoding), not when
the decoded update reaches the engine: a stream whose decoding takes 30 ms shows ≥ 30 ms."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from types import SimpleNamespace

from arbees_engine.adapters.sim import SimWorld
from arbees_engine.model import BookLevel, BookUpdate, BookUpdateKind
from arbees_engine.model.money import to_price
from arbees_engine.node.kernel import Engine
from arbees_engine.ops.drive import drive_sim
from arbees_engine.settings import Settings


class SlowDecodingStream:
    """handle_raw(raw, sink) like the venue streams: decode (30 ms here, deliberately), then deliver."""

    def __init__(self) -> None:
        self.market_id = ""

    def handle_raw(self, raw, sink, received_at=None, *, source=None) -> list:
        time.sleep(0.03)  # the decode cost being measured
        sink.on_book(
            BookUpdate(
                self.market_id,
                (BookLevel(to_price("0.40"), Decimal(10)),),
                (BookLevel(to_price("0.45"), Decimal(10)),),
                kind=BookUpdateKind.SNAPSHOT,
            )
        )
        return []


async def test_tick_latency_includes_decoding():
    world = SimWorld(seed=1, speed=None, n_games=1)
    stream = SlowDecodingStream()
    engine = Engine(
        Settings(database_url=None, redis_url=None),
        [world, SimpleNamespace(name="ws", stream=stream)],
        clock=world.clock.now,
        on_fill=world.consume,
    )
    executor = asyncio.create_task(engine.jobs.run())
    try:
        await drive_sim(engine, world, 3)
        sim_ticks, sim_sum = engine.ops.tick_latency.count, engine.ops.tick_latency.sum_ns
        assert sim_ticks > 0
        stream.market_id = next(iter(engine.registry.markets))
        engine.adapters[1].stream.handle_raw(b"{}", engine)  # the wrapped entry point, as ws.py calls it
    finally:
        executor.cancel()
    assert engine.ops.tick_latency.count == sim_ticks + 1
    assert engine.ops.tick_latency.sum_ns - sim_sum >= 30_000_000  # the one framed tick, decoding included
