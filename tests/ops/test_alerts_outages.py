"""Store and bus outages reach the operator: a private PostgreSQL / Redis is stopped under a running
engine and the "down" alert arrives at a local apprise JSON endpoint (then "back up" for Redis)."""

from __future__ import annotations

import asyncio

import pytest
from alert_sink import AlertSink
from ops_harness import ops_engine, ops_settings

from arbees_engine.ops.drive import drive_sim
from arbees_engine.ops.embedded import EmbeddedPostgres, EmbeddedRedis
from arbees_engine.store.migrate import migrate


@pytest.fixture
def sink():
    endpoint = AlertSink()
    yield endpoint
    endpoint.close()


@pytest.mark.slow
async def test_store_down_alert(redis_url, tmp_path, sink):
    pg = EmbeddedPostgres(tmp_path / "pg")
    pg.start()
    try:
        dsn = await pg.create_database("alerts")
        await migrate(dsn)
        async with ops_engine(ops_settings(dsn, redis_url, ops={"alert_urls": [sink.url]})) as (engine, world):
            await drive_sim(engine, world, 30)
            await asyncio.wait_for(engine.ops.ready_event.wait(), 10)
            pg.stop()
            await drive_sim(engine, world, 120)  # rows to write meet the dead server
            alert = await asyncio.to_thread(sink.wait_for, "Store down (PostgreSQL)")
            assert alert["type"] == "failure" and not engine.store_ok
    finally:
        pg.stop()


@pytest.mark.slow
async def test_bus_down_and_up_alerts(pg_dsn, tmp_path, sink):
    redis = EmbeddedRedis(tmp_path / "redis")
    redis.start()
    try:
        settings = ops_settings(pg_dsn, redis.url_for(0), ops={"alert_urls": [sink.url]})
        async with ops_engine(settings) as (engine, world):
            await drive_sim(engine, world, 30)
            await asyncio.wait_for(engine.ops.ready_event.wait(), 10)
            redis.stop()
            await asyncio.to_thread(sink.wait_for, "Bus down (Redis)")
            await asyncio.to_thread(redis.start)  # the same socket and users: the engine's URL works again
            await asyncio.to_thread(sink.wait_for, "Bus back up")
    finally:
        redis.stop()
