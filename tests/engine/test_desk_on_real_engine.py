"""The desk (Pilot) against a real engine on the simulated venue and a real Redis (issue 3).

The engine and the desk share one event loop: the engine is driven a simulated second at a time
(ops.drive), the desk attaches over Redis exactly as in production.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from desk.deskkit import wait_for
from engine_harness import TEST_OPERATORS, sim_engine, sim_settings

from arbees_engine.model import Decision, Mode
from arbees_engine.ops.drive import drive_sim
from arbees_tui.app import ArbeesApp
from arbees_tui.panels.header import engine_health
from arbees_tui.panels.signals import PendingTable
from arbees_tui.source import RedisSource


def _desk(settings) -> ArbeesApp:
    ids = itertools.count(1)
    return ArbeesApp(
        RedisSource(settings.redis_url, settings.instance),
        instance=settings.instance,
        key=TEST_OPERATORS["dora"],
        new_id=lambda: f"d-{next(ids):04d}",
        heartbeat_interval_s=0.1,
    )


def _command(app: ArbeesApp, command_id: str):
    return app.state.commands.get(command_id)


async def _pending_selected(pilot, app: ArbeesApp) -> None:
    """Repaint until a pending row is shown, then, like an operator, pick one with the cursor keys
    unless one is already chosen (what `a`/`r` act on)."""
    table = app.screen.query_one(PendingTable)

    def shown() -> bool:
        app.tick()
        return table.row_count > 0

    await wait_for(pilot, shown, timeout_s=10)
    if app.screen.selected_pending() is None:
        table.focus()
        await pilot.press("down")
    assert app.screen.selected_pending() is not None


async def _attached(pilot, app: ArbeesApp, engine) -> None:
    await wait_for(
        pilot,
        lambda: (
            app.feed.attaches > 0
            and app.state.engine is not None
            and len(app.state.games) == len(engine.registry.games)
        ),
        timeout_s=15,
    )


async def test_kill_hotkey_halts_the_engine_and_no_order_follows(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    async with sim_engine(settings, seed=7) as (engine, world, _store):
        await drive_sim(engine, world, 15 * 60, until=lambda e: e.executor.orders >= 1)
        app = _desk(settings)
        async with app.run_test(size=(120, 36)) as pilot:
            await _attached(pilot, app, engine)
            await pilot.press("ctrl+k")
            await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "confirm-reason")
            await pilot.press(*"drill", "enter")  # typing replaces the prefilled reason; enter confirms
            await wait_for(
                pilot,
                lambda: _command(app, "d-0001") is not None and _command(app, "d-0001").status == "done",
                timeout_s=15,
            )
            assert engine.control.kill_engaged and engine.control.kill_operator == "dora"
            assert engine.control.kill_reason == "drill"  # the reason typed in the kill dialog
            orders = engine.executor.orders
            await drive_sim(engine, world, 10 * 60)
            assert engine.executor.orders == orders, "an order followed the kill"
            await wait_for(pilot, lambda: app.state.engine.kill_engaged and app.state.engine.mode == "halted")

            await pilot.press("R")
            await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "cancel")
            await pilot.press("right", "enter")
            await wait_for(
                pilot,
                lambda: _command(app, "d-0002") is not None and _command(app, "d-0002").status == "done",
                timeout_s=15,
            )
            assert not engine.control.kill_engaged


async def test_mode_switch_and_manual_approve_and_reject(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    async with sim_engine(settings, seed=7) as (engine, world, _store):
        await drive_sim(engine, world, 60)
        app = _desk(settings)
        async with app.run_test(size=(120, 36)) as pilot:
            await _attached(pilot, app, engine)
            await pilot.press("m")
            await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "cancel")
            await pilot.press("right", "enter")
            await wait_for(pilot, lambda: engine.control.mode is Mode.MANUAL, timeout_s=15)

            await drive_sim(engine, world, 30 * 60, until=lambda e: len(e.signal_book.pending) >= 1)
            target = next(iter(engine.signal_book.pending))
            await wait_for(
                pilot,
                lambda: target in app.state.signals and app.state.signals[target].decision == "pending",
                timeout_s=15,
            )
            await _pending_selected(pilot, app)
            orders = engine.executor.orders
            await pilot.press("a")
            await wait_for(pilot, lambda: bool(app.state.signal_commands), timeout_s=5)
            target = next(iter(app.state.signal_commands))  # the signal under the desk's cursor
            await wait_for(
                pilot, lambda: engine.signal_book.signals[target].decision is not Decision.PENDING, timeout_s=15
            )
            await engine.settle_queue()
            decided = engine.signal_book.signals[target]
            if decided.decision in (Decision.EXECUTED, Decision.UNFILLED):
                assert engine.executor.orders > orders
            else:  # refused by the risk re-check at approval: nothing may be sent
                assert decided.decision is Decision.REJECTED and engine.executor.orders == orders

            await drive_sim(engine, world, 30 * 60, until=lambda e: len(e.signal_book.pending) >= 1)
            victim = next(iter(engine.signal_book.pending))
            await wait_for(
                pilot,
                lambda: victim in app.state.signals and app.state.signals[victim].decision == "pending",
                timeout_s=15,
            )
            await _pending_selected(pilot, app)
            orders = engine.executor.orders
            app.state.signal_commands.clear()
            await pilot.press("r")
            await wait_for(pilot, lambda: bool(app.state.signal_commands), timeout_s=5)
            victim = next(iter(app.state.signal_commands))
            await wait_for(
                pilot, lambda: engine.signal_book.signals[victim].decision is Decision.OPERATOR_REJECTED, timeout_s=15
            )
            await engine.settle_queue()
            assert engine.executor.orders == orders


async def test_offline_appears_when_engine_stops_and_clears_when_it_returns(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    app = _desk(settings)

    def health() -> str:
        return engine_health(app.state, datetime.now(UTC))[0]

    async with app.run_test(size=(100, 30)) as pilot:
        async with sim_engine(settings, seed=7) as (engine, world, _store):
            await drive_sim(engine, world, 30)
            await _attached(pilot, app, engine)
            await wait_for(pilot, lambda: health() == "online", timeout_s=10)
        await wait_for(pilot, lambda: health() in ("offline", "stale"), timeout_s=15)
        await wait_for(pilot, lambda: health() == "offline", timeout_s=15)
        async with sim_engine(settings, seed=9) as (engine, world, _store):
            await drive_sim(engine, world, 30)
            await wait_for(pilot, lambda: health() == "online", timeout_s=15)
            await wait_for(pilot, lambda: set(app.state.games) == set(engine.registry.games), timeout_s=15)
