"""Issue 11 part 2: only signed, fresh commands from authorized operators run, against a real engine,
PostgreSQL and Redis. Everything else is refused, counted, audited and acknowledged, and changes
nothing; a command id runs at most once, across restarts; a resume queued while the engine was down
and expired by the time it starts is refused. Time is an injected clock, never a sleep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import msgpack
import pytest
import redis.asyncio as aioredis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from engine_harness import TEST_OPERATORS, command, send, sim_engine, sim_settings

from arbees_engine.bus.client import BusClient
from arbees_engine.bus.messages import BusKeys, Command, CommandAck, CommandAction
from arbees_engine.bus.signing import OperatorKey
from arbees_engine.model import Mode


class WallClock:
    """The engine's command clock in these tests: starts at the real time and moves only when told."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


async def _audit(dsn: str, action: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(
            "SELECT actor, entity, detail->>'detail' AS detail FROM audit_log WHERE action = $1 ORDER BY id", action
        )
    finally:
        await conn.close()


async def _xadd_raw(settings, payload: dict) -> None:
    """What another local user does with redis-cli: append straight to the command stream."""
    raw = aioredis.Redis.from_url(settings.redis_url)
    try:
        await raw.xadd(BusKeys(settings.instance).commands, {"d": msgpack.packb(payload, use_bin_type=True)})
    finally:
        await raw.aclose()


async def _ack_for(settings, command_id: str, after: str = "0-0", block_s: float = 15.0) -> CommandAck | None:
    """The engine's ack event for `command_id` (read from the event stream, blocking), or None."""
    client = BusClient(settings.redis_url, settings.instance)
    try:
        loop_deadline = datetime.now(UTC) + timedelta(seconds=block_s)
        while datetime.now(UTC) < loop_deadline:
            for entry_id, event in await client.read_events(after, block_ms=1000):
                after = entry_id
                if isinstance(event, CommandAck) and event.command_id == command_id:
                    return event
        return None
    finally:
        await client.close()


def _forgeries(clock: WallClock) -> list[tuple[str, Command]]:
    """(expected reason, command) for every way a resume / mode switch must be refused."""
    now = clock()
    alice, bob = TEST_OPERATORS["alice"], TEST_OPERATORS["bob"]
    mallory = OperatorKey("mallory", Ed25519PrivateKey.generate())
    resume = command(CommandAction.RESUME, operator="alice", now=now)
    return [
        ("unsigned", resume.model_copy(update={"signature": ""})),
        ("bad_signature", resume.model_copy(update={"action": CommandAction.SET_MODE, "mode": "auto"})),
        ("bad_signature", bob.sign(resume, "test").model_copy(update={"operator": "alice"})),  # bob's key, alice's name
        ("bad_signature", alice.sign(resume, "another-instance")),
        ("bad_signature", resume.model_copy(update={"signature": "AAAA" + resume.signature[4:]})),
        ("unknown_operator", mallory.new_command("test", now, command_id="m1", action=CommandAction.RESUME)),
        ("expired", command(CommandAction.RESUME, operator="alice", now=now - timedelta(seconds=11))),
        ("issued_in_future", command(CommandAction.RESUME, operator="alice", now=now + timedelta(seconds=5))),
        ("ttl_too_long", command(CommandAction.RESUME, operator="alice", now=now, ttl_s=3600)),
        ("no_expiry", alice.sign(resume.model_copy(update={"expires_at": None}), "test")),
    ]


async def test_forged_stale_and_unknown_commands_are_refused_counted_audited_and_change_nothing(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    clock = WallClock()
    async with sim_engine(settings, command_clock=clock) as (engine, _world, _store):
        kill = await send(settings, command(CommandAction.KILL, operator="alice", now=clock(), reason="drill"))
        assert kill is not None and kill.ok and engine.control.kill_engaged
        forgeries = _forgeries(clock)
        for reason, forged in forgeries:
            ack = await send(settings, forged, timeout_s=15)
            assert ack is not None, f"{reason}: not acknowledged"
            assert (ack.ok, ack.outcome) == (False, "refused") and ack.detail.startswith(reason + ":"), (reason, ack)
            assert engine.control.kill_engaged and engine.control.effective_mode is Mode.HALTED, f"{reason} ran"
        # what another local user did with redis-cli: a hand-made resume and mode switch, no signature
        for n, action in enumerate(("resume", "set_mode")):
            await _xadd_raw(
                settings,
                {
                    "command_id": f"raw-{n}",
                    "operator": "alice",
                    "issued_at": clock().isoformat(),
                    "action": action,
                    "mode": "auto",
                },
            )
            ack = await _ack_for(settings, f"raw-{n}")
            assert ack is not None and not ack.ok and ack.detail.startswith("unsigned:") and ack.operator == ""
        assert engine.control.kill_engaged and engine.control.mode is Mode.AUTO
        expected: dict[str, int] = {}
        for reason, _ in forgeries:
            expected[f"command:{reason}"] = expected.get(f"command:{reason}", 0) + 1
        expected["command:unsigned"] += 2
        counted = {k: v for k, v in engine.status_view().rejections.items() if k.startswith("command:")}
        assert counted == expected
        await engine.writer.drain()
    rows = await _audit(pg_dsn, "command_refused")
    assert len(rows) == len(forgeries) + 2
    assert {r["detail"].split(":")[0] for r in rows} == {reason for reason, _ in forgeries}
    unverified = [r for r in rows if r["actor"] == "unverified"]
    assert len(unverified) == 8 and all("claims operator" in r["detail"] for r in unverified)
    assert {r["actor"] for r in rows} == {"unverified", "alice"}  # alice only where her signature verified
    assert [r["actor"] for r in await _audit(pg_dsn, "command_resume")] == []  # no resume ever ran


async def test_a_replayed_command_id_is_answered_with_its_first_ack_and_never_runs_again_even_after_restart(
    pg_dsn, redis_url
):
    settings = sim_settings(pg_dsn, redis_url)
    clock = WallClock()
    kill = command(CommandAction.KILL, operator="carol", now=clock(), reason="first")
    resume = command(CommandAction.RESUME, operator="carol", now=clock())
    async with sim_engine(settings, command_clock=clock) as (engine, _world, _store):
        assert (await send(settings, kill)).ok
        first = await send(settings, resume)
        assert first is not None and first.ok and not engine.control.kill_engaged
        assert (await send(settings, command(CommandAction.KILL, operator="carol", now=clock(), reason="2nd"))).ok
        again = await send(settings, resume)  # the same signed resume, sent again (a capture replayed)
        assert again == first and engine.control.kill_engaged, "a replayed resume lifted the kill switch"
        assert engine.input_rejections["command:replayed"] == 1
    async with sim_engine(settings, seed=8, command_clock=clock) as (engine, _world, _store):
        assert engine.control.kill_engaged
        after_restart = await send(settings, resume)
        assert after_restart is not None and after_restart.command_id == first.command_id and after_restart.ok
        assert engine.control.kill_engaged, "a resume replayed after a restart ran again"
        assert engine.input_rejections["command:replayed"] == 1
        await engine.writer.drain()
    assert len(await _audit(pg_dsn, "command_replayed")) == 2
    assert [r["actor"] for r in await _audit(pg_dsn, "command_resume")] == ["carol"]  # ran exactly once


async def test_a_resume_queued_while_the_engine_was_down_and_expired_is_refused_on_restart(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    clock = WallClock()
    async with sim_engine(settings, command_clock=clock) as (engine, _world, _store):
        assert (await send(settings, command(CommandAction.KILL, operator="alice", now=clock(), reason="halt"))).ok
    # the engine is down; a desk sends Resume, waits, and reports it timed out once it expired
    resume = command(CommandAction.RESUME, operator="bob", now=clock())
    client = BusClient(settings.redis_url, settings.instance)
    try:
        after = await client.last_event_id()
        await client.send_command(resume)
    finally:
        await client.close()
    clock.advance(50)  # the engine comes back 50 s later
    async with sim_engine(settings, seed=8, command_clock=clock) as (engine, _world, _store):
        ack = await _ack_for(settings, resume.command_id, after)
        assert ack is not None and not ack.ok and ack.outcome == "refused" and ack.detail.startswith("expired:")
        assert ack.operator == "bob"
        assert engine.control.kill_engaged and engine.control.effective_mode is Mode.HALTED
        assert engine.input_rejections["command:expired"] == 1
        await engine.writer.drain()
    rows = await _audit(pg_dsn, "command_refused")
    assert [(r["actor"], r["detail"].split(":")[0]) for r in rows] == [("bob", "expired")]


async def test_a_fresh_command_queued_while_the_engine_was_down_still_runs_on_restart(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    clock = WallClock()
    async with sim_engine(settings, command_clock=clock):
        pass
    kill = command(CommandAction.KILL, operator="alice", now=clock(), reason="queued")
    client = BusClient(settings.redis_url, settings.instance)
    try:
        after = await client.last_event_id()
        await client.send_command(kill)
    finally:
        await client.close()
    clock.advance(5)  # within its 10 s
    async with sim_engine(settings, command_clock=clock) as (engine, _world, _store):
        ack = await _ack_for(settings, kill.command_id, after)
        assert ack is not None and ack.ok and engine.control.kill_engaged


@pytest.mark.parametrize("mode", [0o620, 0o602])
async def test_an_operators_file_others_can_write_authorizes_nobody(pg_dsn, redis_url, tmp_path, mode):
    path = tmp_path / "operators.toml"
    path.write_text(f'[operators]\nalice = "{TEST_OPERATORS["alice"].public_text}"\n')
    path.chmod(mode)
    settings = sim_settings(pg_dsn, redis_url, operators_file=path)
    async with sim_engine(settings) as (engine, _world, _store):
        ack = await send(settings, command(CommandAction.KILL, operator="alice", reason="x"))
        assert ack is not None and not ack.ok and ack.detail.startswith("operators_file_unsafe:")
        assert "writable by group or others" in ack.detail and not engine.control.kill_engaged
        path.chmod(0o600)  # fixed: read again without a restart
        ack = await send(settings, command(CommandAction.KILL, operator="alice", reason="x"))
        assert ack is not None and ack.ok and engine.control.kill_engaged


async def test_a_command_cut_off_by_a_crash_before_its_ack_is_not_run_again_except_a_kill(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    clock = WallClock()
    kill = command(CommandAction.KILL, operator="alice", now=clock(), reason="halt")
    resume = command(CommandAction.RESUME, operator="alice", now=clock())
    async with sim_engine(settings, command_clock=clock) as (engine, _world, store):
        for cmd in (kill, resume):  # what a crash between recording and acknowledging leaves behind
            assert (
                await store.record_command(
                    cmd.command_id, cmd.operator, cmd.action.value, cmd.model_dump(mode="json"), cmd.issued_at
                )
                is None
            )
        ack = await send(settings, kill)
        assert ack is not None and ack.ok and engine.control.kill_engaged  # a kill is safe to finish
        ack = await send(settings, resume)
        assert ack is not None and not ack.ok and ack.detail.startswith("interrupted:")
        assert engine.control.kill_engaged and engine.input_rejections["command:interrupted"] == 1


async def test_a_flood_of_forged_commands_is_all_counted_but_audits_a_bounded_number(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    async with sim_engine(settings) as (engine, _world, _store):
        raw = aioredis.Redis.from_url(settings.redis_url)
        try:
            async with raw.pipeline(transaction=False) as pipe:
                for n in range(200):
                    payload = {
                        "command_id": f"flood-{n}",
                        "operator": "alice",
                        "issued_at": datetime.now(UTC).isoformat(),
                        "action": "resume",
                    }
                    pipe.xadd(BusKeys(settings.instance).commands, {"d": msgpack.packb(payload, use_bin_type=True)})
                await pipe.execute()
        finally:
            await raw.aclose()
        ack = await _ack_for(settings, "flood-199")
        assert ack is not None and ack.detail.startswith("unsigned:")
        assert engine.input_rejections["command:unsigned"] == 200
        await engine.writer.drain()
        audited = len(await _audit(pg_dsn, "command_refused"))
        assert 20 <= audited < 40 and engine.commands.unverified_audits.suppressed == 200 - audited
