"""Build engines on the simulated world against the harness's real PostgreSQL and Redis."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from harness import TEST_OPERATORS, authorized_test_operators, command  # noqa: F401 - re-exported for tests

from arbees_engine.adapters.sim import SimWorld
from arbees_engine.bus.client import BusClient
from arbees_engine.bus.messages import Command
from arbees_engine.node.kernel import Engine
from arbees_engine.ops.builder import _publisher
from arbees_engine.settings import Settings
from arbees_engine.store.store import Store


def sim_settings(pg_dsn: str, redis_url: str, **overrides) -> Settings:
    """Settings for a test engine; the kill file points into a fresh temp name so none exists;
    the authorized operators are TEST_OPERATORS."""
    base = dict(
        database_url=pg_dsn,
        redis_url=redis_url,
        instance="test",
        kill_file=f"/tmp/arbees-test-kill-{uuid.uuid4().hex}",
        operators_file=authorized_test_operators(),
        store_journal_file=f"/tmp/arbees-test-journal-{uuid.uuid4().hex}/store-journal.jsonl",
    )
    base.update(overrides)
    return Settings(**base)


@contextlib.asynccontextmanager
async def sim_engine(
    settings: Settings, seed: int = 7, n_games: int = 8, command_clock: Callable[[], datetime] | None = None
) -> AsyncIterator[tuple[Engine, SimWorld, Store]]:
    """A started engine (no adapter task: drive it with ops.drive.drive_sim) and its world.
    `command_clock`: the wall clock commands expire by (default the real one)."""
    store = await Store.connect(settings.database_url)
    world = SimWorld(seed=seed, speed=None, n_games=n_games)
    engine = Engine(
        settings,
        [world],
        store=store,
        publisher_factory=_publisher(settings, settings.redis_url),
        clock=world.clock.now,
        on_fill=world.consume,
    )
    if command_clock is not None:
        engine.commands.guard.clock = command_clock
    await engine.start(with_adapters=False)
    try:
        yield engine, world, store
    finally:
        await engine.shutdown()
        await store.close()


async def send(settings: Settings, cmd: Command, timeout_s: float = 10.0):
    """Send `cmd` over the bus and return the engine's acknowledgement (None on timeout)."""
    client = BusClient(settings.redis_url, settings.instance)
    try:
        return await client.command_and_wait(cmd, timeout_s=timeout_s)
    finally:
        await client.close()
