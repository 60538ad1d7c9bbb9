"""Issue 11 review findings 1, 2, 3 and 6, against a real engine, PostgreSQL and Redis: a signed kill
engages within its TTL behind a flood of 30,000 unsigned entries and with the store hung; the kill-file
watch outlives a store outage; resume and mode changes reach the store before memory; commands a
dead consumer read and never acknowledged are handled by the next engine. No sleep synchronises:
conditions are polled with a deadline."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import msgpack
import pytest
import redis.asyncio as aioredis
from engine_harness import command, send, sim_engine, sim_settings
from pg_proxy import CuttingProxy

from arbees_engine.bus.messages import COMMAND_GROUP, BusKeys, CommandAction, pack
from arbees_engine.model import Mode


async def _until(condition, timeout_s: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def _until_async(condition, timeout_s: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not await condition():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


async def _stored_kill(store, instance: str) -> bool:
    state = await store.load_engine_state(instance)
    return bool(state and state.get("kill_engaged"))


@pytest.mark.slow
async def test_a_signed_kill_engages_within_its_ttl_behind_a_flood_of_30000_unsigned_entries(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    async with sim_engine(settings) as (engine, _world, _store):
        raw = aioredis.Redis.from_url(settings.redis_url)
        junk = {
            "d": msgpack.packb(
                {"command_id": "flood", "operator": "alice", "action": "resume", "issued_at": "2026-01-01T00:00:00Z"},
                use_bin_type=True,
            )
        }
        try:
            started = time.monotonic()
            for _ in range(30):  # 30 pipelines of 1,000 XADDs: what another local user can push in ~1 s
                async with raw.pipeline(transaction=False) as pipe:
                    for _ in range(1000):
                        pipe.xadd(BusKeys(settings.instance).commands, junk)
                    await pipe.execute()
            flooded = time.monotonic() - started
        finally:
            await raw.aclose()
        kill = command(CommandAction.KILL, operator="alice", reason="flood drill")
        sent = time.monotonic()
        ack = await send(settings, kill, timeout_s=10)
        took = time.monotonic() - sent
        print(
            f"\nflood of 30000 pushed in {flooded:.2f} s; kill acknowledged {took:.2f} s after it was sent; "
            f"refused unsigned {engine.input_rejections['command:unsigned']}"
        )
        assert ack is not None and ack.ok, f"the kill expired behind the flood: {ack}"
        assert engine.control.kill_engaged and took < 10.0
        print(f"entries the stream's cap trimmed: {engine.publisher.trimmed_commands}")


@pytest.mark.slow
async def test_a_kill_engages_within_its_ttl_while_the_store_hangs_and_other_commands_are_refused(
    pg_server, pg_dsn, redis_url
):
    proxy = CuttingProxy(pg_server)
    await proxy.start()
    settings = sim_settings(proxy.dsn(pg_dsn), redis_url)
    try:
        async with sim_engine(settings) as (engine, _world, store):
            proxy.hang()
            sent = time.monotonic()
            ack = await send(settings, command(CommandAction.KILL, operator="alice", reason="hung store"), timeout_s=10)
            took = time.monotonic() - sent
            print(f"\nkill acknowledged {took:.2f} s after it was sent, the store hung")
            assert ack is not None and ack.ok and engine.control.kill_engaged, ack
            assert took < 5.0
            mode = await send(settings, command(CommandAction.SET_MODE, operator="alice", mode="manual"), timeout_s=10)
            assert mode is not None and not mode.ok and mode.detail.startswith("store_unavailable:"), mode
            assert engine.control.mode is Mode(settings.mode)
            proxy.unhang()
            await _until_async(lambda: _stored_kill(store, settings.instance), timeout_s=30)
    finally:
        await proxy.close()


async def test_the_kill_file_watch_outlives_a_store_outage_and_engages_again(pg_server, pg_dsn, redis_url):
    proxy = CuttingProxy(pg_server)
    await proxy.start()
    settings = sim_settings(proxy.dsn(pg_dsn), redis_url)
    kill_file = Path(settings.effective_kill_file())
    try:
        async with sim_engine(settings) as (engine, _world, store):
            proxy.cut_now()
            kill_file.write_text("drill, store down\n")
            await _until(lambda: engine.control.kill_engaged)
            await proxy.restore()
            await _until_async(lambda: _stored_kill(store, settings.instance))  # the background write got through
            kill_file.unlink()
            resume = await send(settings, command(CommandAction.RESUME, operator="alice"))
            assert resume is not None and resume.ok and not engine.control.kill_engaged, resume
            kill_file.write_text("drill again\n")
            await _until(lambda: engine.control.kill_engaged)
            assert engine.counts["task_failures:kill_file_watch"] == 0
    finally:
        kill_file.unlink(missing_ok=True)
        await proxy.close()


async def test_resume_and_mode_change_keep_memory_as_it_was_when_the_store_write_fails(pg_server, pg_dsn, redis_url):
    proxy = CuttingProxy(pg_server)
    await proxy.start()
    instance = f"i{uuid.uuid4().hex[:12]}"  # its bytes mark the engine-state write (and no command's own row)
    settings = sim_settings(proxy.dsn(pg_dsn), redis_url, instance=instance)
    try:
        async with sim_engine(settings) as (engine, _world, store):
            kill = await send(
                settings, command(CommandAction.KILL, operator="alice", instance=instance, reason="drill")
            )
            assert kill is not None and kill.ok
            await _until_async(lambda: _stored_kill(store, instance))
            await engine.writer.drain()
            for cmd in (
                command(CommandAction.RESUME, operator="alice", instance=instance),
                command(CommandAction.SET_MODE, operator="alice", instance=instance, mode="halted"),
            ):
                proxy.cut_on(instance.encode())  # the write of mode / kill switch, never the command's record
                ack = await send(settings, cmd)
                assert ack is not None and not ack.ok and ack.outcome == "failed", ack
                assert engine.control.kill_engaged and engine.control.mode is Mode(settings.mode), cmd.action
                await proxy.restore()
            await _until(lambda: engine.store_ok)
            assert await _stored_kill(store, instance)
            assert (await store.load_engine_state(instance))["mode"] == settings.mode
    finally:
        await proxy.close()


async def test_entries_a_dead_consumer_read_are_handled_by_the_next_engine_and_a_later_kill_wins(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    keys = BusKeys(settings.instance)
    raw = aioredis.Redis.from_url(settings.redis_url)
    resume = command(CommandAction.RESUME, operator="alice")
    kill = command(CommandAction.KILL, operator="alice", reason="read by a dead engine")
    try:
        await raw.xgroup_create(keys.commands, COMMAND_GROUP, id="0", mkstream=True)
        await raw.xadd(keys.commands, {"d": pack(resume)})
        await raw.xadd(keys.commands, {"d": pack(kill)})
        got = await raw.xreadgroup(COMMAND_GROUP, "engine-dead", {keys.commands: ">"}, count=10)
        assert len(got[0][1]) == 2  # delivered to a consumer that then died without XACK
        async with sim_engine(settings) as (engine, _world, _store):
            await _until(lambda: engine.control.kill_engaged)
            await _until_async(lambda: _no_pending(raw, keys))
            assert engine.control.kill_engaged, "the resume read before the kill lifted it"
            assert engine.input_rejections["command:superseded"] == 1
    finally:
        await raw.aclose()


async def _no_pending(raw, keys: BusKeys) -> bool:
    return (await raw.xpending(keys.commands, COMMAND_GROUP))["pending"] == 0
