"""A dead Redis or PostgreSQL: the engine keeps running, stops opening positions, says so,
and (Redis) resynchronises the whole snapshot when the server returns."""

from __future__ import annotations

import asyncio

from engine_harness import sim_engine, sim_settings

from arbees_engine.bus.client import BusClient
from arbees_engine.ops.drive import drive_sim
from arbees_engine.ops.embedded import EmbeddedPostgres, EmbeddedRedis
from arbees_engine.store.migrate import migrate


async def _until(condition, timeout_s: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def test_redis_outage_halts_new_positions_then_resyncs(pg_dsn, tmp_path):
    redis = EmbeddedRedis(tmp_path / "redis")
    redis.start()
    settings = sim_settings(pg_dsn, redis.url_for(0))
    try:
        async with sim_engine(settings, seed=7) as (engine, world, _store):
            await drive_sim(engine, world, 15 * 60, until=lambda e: e.executor.orders >= 1)
            redis.stop()
            await _until(lambda: not engine.bus_ok)
            orders = engine.executor.orders
            await drive_sim(engine, world, 10 * 60)
            assert engine.executor.orders == orders, "opened a position without the control plane"
            assert engine.trader.gate.rejections["control_plane_down"] > 0
            assert not engine.status_view().bus_ok

            redis.start()  # same socket path, same ACL users and passwords: the engine's URL works again
            await _until(lambda: engine.bus_ok)
            client = BusClient(settings.redis_url, settings.instance)
            try:
                await _until(lambda: True)
                snap = await client.load_snapshot()
            finally:
                await client.close()
            assert set(snap.entities["game"]) == set(engine.registry.games), "snapshot not rewritten after the outage"
            assert snap.engine is not None and snap.engine.bus_ok
    finally:
        redis.stop()


async def test_postgres_outage_halts_new_positions_and_keeps_rows(redis_url, tmp_path):
    pg = EmbeddedPostgres(tmp_path / "pg")
    pg.start()
    try:
        dsn = await pg.create_database("outage")
        await migrate(dsn)
        settings = sim_settings(dsn, redis_url)
        async with sim_engine(settings, seed=7) as (engine, world, _store):
            await drive_sim(engine, world, 15 * 60, until=lambda e: e.executor.orders >= 1)
            pg.stop()
            orders = engine.executor.orders
            await drive_sim(engine, world, 10 * 60)
            await _until(lambda: not engine.store_ok)
            await drive_sim(engine, world, 10 * 60)
            assert engine.executor.orders == orders, "sent an order with no store to write its intent to"
            assert engine.status_view().store_ok is False
            assert engine.writer.backlog > 0 and engine.writer.dropped == 0  # kept, not lost
    finally:
        pg.stop()
