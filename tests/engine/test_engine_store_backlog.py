"""The engine and its store writer: a writer too far behind counts as the store being down (no new
positions, the reason in status), a clean shutdown writes every queued row, and a PostgreSQL outage
(the network to it cut, then back) loses none."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from engine_harness import sim_engine, sim_settings
from pg_proxy import CuttingProxy

from arbees_engine.adapters.sim import SimWorld
from arbees_engine.node.kernel import Engine
from arbees_engine.ops.builder import _publisher
from arbees_engine.ops.drive import drive_sim
from arbees_engine.store import Store


async def _until(condition, timeout_s: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


def _hold(engine: Engine) -> asyncio.Event:
    """Stall the writer (a slow store): it sits on this job until the returned event is set."""
    release = asyncio.Event()
    engine.writer.submit("hold", release.wait)
    return release


async def test_a_writer_too_far_behind_stops_new_positions_and_says_why(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url, store_backlog_unhealthy=300)
    async with sim_engine(settings, seed=7) as (engine, world, _store):
        await drive_sim(engine, world, 15 * 60, until=lambda e: e.executor.orders >= 1)
        assert engine.store_ok
        release = _hold(engine)
        await drive_sim(engine, world, 20 * 60, until=lambda e: e.writer.backlog > 300)
        assert not engine.store_ok
        status = engine.status_view()
        assert status.store_ok is False and "behind" in status.store_reason and status.counts["store_backlog"] > 300
        orders, refused = engine.executor.orders, engine.trader.gate.rejections["control_plane_down"]
        await drive_sim(engine, world, 10 * 60)
        assert engine.executor.orders == orders, "opened a position while the store was behind"
        assert engine.trader.gate.rejections["control_plane_down"] > refused
        release.set()
        await _until(lambda: engine.store_ok)
        assert engine.status_view().store_reason == "" and engine.writer.dropped == 0


async def _stored_counts(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        return {
            "quote": await conn.fetchval("SELECT count(*) FROM quotes"),
            "audit": await conn.fetchval("SELECT count(*) FROM audit_log WHERE action NOT LIKE '%.%'"),  # not triggers'
            "game": await conn.fetchval("SELECT count(*) FROM games"),
            "market": await conn.fetchval("SELECT count(*) FROM markets"),
            "signal": await conn.fetchval("SELECT count(*) FROM signals"),
        }
    finally:
        await conn.close()


async def test_a_clean_shutdown_writes_every_queued_row(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    store = await Store.connect(pg_dsn)
    world = SimWorld(seed=7, speed=None, n_games=8)
    engine = Engine(
        settings,
        [world],
        store=store,
        publisher_factory=_publisher(settings, redis_url),
        clock=world.clock.now,
        on_fill=world.consume,
    )
    try:
        await engine.start(with_adapters=False)
        release = _hold(engine)
        await drive_sim(engine, world, 30 * 60)
        queued = engine.writer.backlog
        assert queued > 500  # the shutdown drain has real work: nothing was written while held
        release.set()
        await engine.shutdown()
    finally:
        await store.close()
    writer, stored = engine.writer, await _stored_counts(pg_dsn)
    assert writer.dropped == 0 and writer.backlog == 0 and engine.store_drain["left"] == 0
    assert writer.written + sum(writer.coalesced.values()) == sum(writer.submitted.values())
    assert stored["quote"] == writer.submitted["quote"] > 0
    assert stored["audit"] == writer.submitted["audit"]  # includes the shutdown's own "stop" audit
    registry = engine.registry  # finished games (and their markets) may have been forgotten since
    assert (
        stored["game"] == len(registry.games) + len(registry.forgotten) and stored["market"] == engine.counts["markets"]
    )
    assert stored["signal"] == sum(engine.signal_book.decisions.values()) > 0
    assert sum(engine.store_drain["rows"].values()) >= queued - 1  # the hold job itself counts as written


@pytest.mark.slow
async def test_a_postgres_outage_and_return_lose_no_queued_row(pg_server, pg_dsn, redis_url):
    proxy = CuttingProxy(pg_server)
    await proxy.start()
    settings = sim_settings(proxy.dsn(pg_dsn), redis_url)
    try:
        async with sim_engine(settings, seed=7) as (engine, world, _store):
            await drive_sim(engine, world, 10 * 60)
            proxy.cut_now()
            await drive_sim(engine, world, 10 * 60)
            await _until(lambda: not engine.store_ok)
            assert "PostgreSQL unreachable" in engine.status_view().store_reason
            await drive_sim(engine, world, 10 * 60)
            assert engine.writer.backlog > 0
            await proxy.restore()
            await _until(lambda: engine.store_ok and engine.writer.backlog == 0)
        writer, stored = engine.writer, await _stored_counts(pg_dsn)
        assert writer.dropped == 0 and engine.store_drain["left"] == 0
        assert stored["quote"] == writer.submitted["quote"] > 0
        assert stored["audit"] == writer.submitted["audit"]
    finally:
        await proxy.close()
