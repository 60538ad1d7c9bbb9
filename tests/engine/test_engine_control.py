"""Kill switch, manual mode and command semantics against a real engine, PostgreSQL and Redis."""

from __future__ import annotations

import asyncio

import asyncpg
from engine_harness import command, send, sim_engine, sim_settings

from arbees_engine.bus.messages import CommandAction
from arbees_engine.model import Decision, Mode
from arbees_engine.ops.drive import drive_sim


async def _audit_actions(dsn: str) -> list[tuple[str, str]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT actor, action FROM audit_log ORDER BY id")
    finally:
        await conn.close()
    return [(r["actor"], r["action"]) for r in rows]


async def test_kill_is_acknowledged_stops_orders_survives_restart_and_resume_lifts(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    async with sim_engine(settings, seed=7) as (engine, world, _store):
        await drive_sim(engine, world, 20 * 60, until=lambda e: e.executor.orders >= 1)
        assert engine.executor.orders >= 1
        ack = await send(settings, command(CommandAction.KILL, operator="alice", reason="test halt"))
        assert ack is not None and ack.ok and ack.outcome == "done"
        assert engine.control.effective_mode is Mode.HALTED
        orders_at_kill = engine.executor.orders
        signals_before = sum(engine.signal_book.decisions.values())
        await drive_sim(engine, world, 10 * 60)
        assert engine.executor.orders == orders_at_kill, "an order was sent after the kill"
        assert sum(engine.signal_book.decisions.values()) > signals_before  # still deciding, all refused
        assert engine.trader.gate.rejections["kill_switch"] > 0

        repeat = await send(settings, command(CommandAction.KILL, operator="alice", reason="again"))
        assert repeat is not None and repeat.ok and "already" in repeat.detail

    async with sim_engine(settings, seed=8) as (engine, world, _store):
        assert engine.control.kill_engaged, "the halt did not survive a restart"
        assert engine.control.kill_operator == "alice"
        await drive_sim(engine, world, 5 * 60)
        assert engine.executor.orders == 0
        ack = await send(settings, command(CommandAction.RESUME, operator="bob"))
        assert ack is not None and ack.ok
        assert engine.control.effective_mode is Mode.AUTO
        await drive_sim(engine, world, 30 * 60, until=lambda e: e.executor.orders >= 1)
        assert engine.executor.orders >= 1, "resume did not lift the halt"
    actions = await _audit_actions(pg_dsn)
    assert ("alice", "kill_engaged") in actions
    assert ("bob", "command_resume") in actions


async def test_duplicate_command_id_is_answered_again_not_rerun(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    async with sim_engine(settings) as (engine, _world, _store):
        cmd = command(CommandAction.SET_MODE, mode="manual")
        first = await send(settings, cmd)
        engine.control.mode = Mode.AUTO  # if the repeat re-ran, it would switch to manual again
        second = await send(settings, cmd)
        assert first is not None and second is not None
        assert second.command_id == first.command_id and second.outcome == first.outcome
        assert engine.control.mode is Mode.AUTO


async def test_manual_mode_approve_executes_reject_and_expiry_never_do(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url, mode="manual")
    async with sim_engine(settings, seed=7) as (engine, world, _store):
        await drive_sim(engine, world, 30 * 60, until=lambda e: len(e.signal_book.pending) >= 1)
        assert engine.signal_book.pending, "no risk-approved signal reached the manual queue"
        assert engine.executor.orders == 0, "manual mode executed without approval"
        signal = next(iter(engine.signal_book.pending.values()))
        ack = await send(
            settings,
            command(CommandAction.APPROVE, operator="carol", signal_id=signal.signal_id, signal_version=signal.version),
        )
        assert ack is not None, "approve not acknowledged"
        await engine.settle_queue()
        if ack.ok:
            assert engine.signal_book.signals[signal.signal_id].decision in (Decision.EXECUTED, Decision.UNFILLED)
            assert engine.executor.orders >= 1
        else:  # the re-check refused it: then nothing may have been sent
            assert "re-check failed" in ack.detail and engine.executor.orders == 0

        await drive_sim(engine, world, 30 * 60, until=lambda e: len(e.signal_book.pending) >= 1)
        victim = next(iter(engine.signal_book.pending.values()))
        orders = engine.executor.orders
        ack = await send(
            settings,
            command(CommandAction.REJECT, operator="carol", signal_id=victim.signal_id, signal_version=victim.version),
        )
        assert ack is not None and ack.ok
        assert engine.signal_book.signals[victim.signal_id].decision is Decision.OPERATOR_REJECTED
        again = await send(
            settings, command(CommandAction.APPROVE, signal_id=victim.signal_id, signal_version=victim.version)
        )
        assert again is not None and not again.ok  # a rejected signal can never be approved later

        await drive_sim(engine, world, 30 * 60, until=lambda e: len(e.signal_book.pending) >= 1)
        waiting = next(iter(engine.signal_book.pending.values()))
        await drive_sim(engine, world, int(settings.strategy.manual_expiry_s) + 2)
        assert engine.signal_book.signals[waiting.signal_id].decision is Decision.EXPIRED
        late = await send(
            settings, command(CommandAction.APPROVE, signal_id=waiting.signal_id, signal_version=waiting.version)
        )
        assert late is not None and not late.ok and "expired" in late.detail
        assert engine.executor.orders == orders
    conn = await asyncpg.connect(pg_dsn)
    try:
        sent = await conn.fetchval(
            "SELECT count(*) FROM orders WHERE signal_id = ANY($1::text[])", [victim.signal_id, waiting.signal_id]
        )
    finally:
        await conn.close()
    assert sent == 0, "a rejected or expired signal was executed"
    actions = await _audit_actions(pg_dsn)
    assert ("carol", "command_approve") in actions and ("carol", "command_reject") in actions
    assert ("engine", "signal_expired") in actions


async def test_kill_file_engages_the_kill_switch_and_blocks_resume_while_present(pg_dsn, redis_url, tmp_path):
    kill_file = tmp_path / "KILL"
    settings = sim_settings(pg_dsn, redis_url, kill_file=str(kill_file))
    async with sim_engine(settings, seed=7) as (engine, world, _store):
        await drive_sim(engine, world, 60)
        kill_file.write_text("exchange outage drill\n")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not engine.control.kill_engaged:  # the watcher polls the file every 0.5 s
            assert loop.time() < deadline, "kill file not noticed"
            await asyncio.sleep(0.05)
        assert engine.control.kill_operator == "killfile" and "exchange outage drill" in engine.control.kill_reason
        refused = await send(settings, command(CommandAction.RESUME, operator="bob"))
        assert refused is not None and not refused.ok and "kill file" in refused.detail
        kill_file.unlink()
        ack = await send(settings, command(CommandAction.RESUME, operator="bob"))
        assert ack is not None and ack.ok and not engine.control.kill_engaged
