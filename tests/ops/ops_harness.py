"""An engine on the simulated world with real PostgreSQL and Redis, for the operations tests."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator

from harness import authorized_test_operators

from arbees_engine.adapters.sim import SimWorld
from arbees_engine.node.kernel import Engine
from arbees_engine.ops.builder import _publisher
from arbees_engine.settings import Settings
from arbees_engine.store.store import Store


def ops_settings(pg_dsn: str, redis_url: str, **overrides) -> Settings:
    """Settings for a test engine: instance "ops-test", a kill file that does not exist, the harness's
    test operators authorized (commands signed with harness.command)."""
    base = dict(
        database_url=pg_dsn,
        redis_url=redis_url,
        instance="ops-test",
        kill_file=f"/tmp/arbees-test-kill-{uuid.uuid4().hex}",
        operators_file=authorized_test_operators(),
        store_journal_file=f"/tmp/arbees-test-journal-{uuid.uuid4().hex}/store-journal.jsonl",
    )
    base.update(overrides)
    return Settings(**base)


@contextlib.asynccontextmanager
async def ops_engine(settings: Settings, seed: int = 7, n_games: int = 4) -> AsyncIterator[tuple[Engine, SimWorld]]:
    """A started engine (drive it with ops.drive.drive_sim) and its world; shut down after."""
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
    await engine.start(with_adapters=False)
    try:
        yield engine, world
    finally:
        await engine.shutdown()
        await store.close()
