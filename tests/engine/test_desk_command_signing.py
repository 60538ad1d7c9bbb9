"""The desk (Pilot) signs what it sends, against a real engine over a real Redis: kill and approve
arrive signed by the desk's key and run; a desk whose key the engine does not know gets its kill
refused and shows the refusal; a desk without a key sends nothing and says why on screen."""

from __future__ import annotations

import itertools

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from desk.deskkit import wait_for
from engine_harness import TEST_OPERATORS, sim_engine, sim_settings

from arbees_engine.bus.signing import OperatorKey
from arbees_engine.model import Mode
from arbees_engine.ops.drive import drive_sim
from arbees_tui.app import ArbeesApp
from arbees_tui.panels.header import HeaderBar
from arbees_tui.screens.confirm import ConfirmScreen
from arbees_tui.source import RedisSource


def _desk(settings, key: OperatorKey | None, problem: str = "") -> ArbeesApp:
    ids = itertools.count(1)
    return ArbeesApp(
        RedisSource(settings.redis_url, settings.instance),
        instance=settings.instance,
        key=key,
        key_problem=problem,
        new_id=lambda: f"s-{next(ids):04d}",
        heartbeat_interval_s=0.1,
    )


async def _attached(pilot, app: ArbeesApp) -> None:
    await wait_for(pilot, lambda: app.feed.attaches > 0 and app.state.engine is not None, timeout_s=15)


async def _confirm(pilot) -> None:
    """Confirm the kill dialog: its reason Input is focused with the prefilled reason; enter confirms."""
    await wait_for(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, ConfirmScreen)
            and pilot.app.focused is not None
            and pilot.app.focused.id == "confirm-reason"
        ),
    )
    await pilot.press("enter")


def _status(app: ArbeesApp, command_id: str) -> str | None:
    pending = app.state.commands.get(command_id)
    return None if pending is None else pending.status


async def test_desk_kill_and_approve_are_signed_by_its_key_and_run(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url, mode="manual")
    async with sim_engine(settings, seed=7) as (engine, world, _store):
        await drive_sim(engine, world, 30 * 60, until=lambda e: len(e.signal_book.pending) >= 1)
        app = _desk(settings, TEST_OPERATORS["dora"])
        async with app.run_test(size=(120, 36)) as pilot:
            await _attached(pilot, app)
            target = next(iter(engine.signal_book.pending))
            await wait_for(pilot, lambda: target in app.state.signals, timeout_s=15)
            app.decide_signal(app.state.signals[target], approve=True)
            await wait_for(pilot, lambda: _status(app, "s-0001") not in (None, "pending"), timeout_s=15)
            assert _status(app, "s-0001") in ("done", "refused")  # the engine's re-check may refuse it
            if _status(app, "s-0001") == "refused":
                assert "re-check failed" in app.state.commands["s-0001"].detail  # never a signature refusal
            await pilot.press("ctrl+k")
            await _confirm(pilot)
            await wait_for(pilot, lambda: _status(app, "s-0002") == "done", timeout_s=15)
            assert engine.control.kill_engaged and engine.control.kill_operator == "dora"
        assert not any(k.startswith("command:") for k in engine.input_rejections)


async def test_a_desk_with_a_key_the_engine_does_not_know_is_refused_and_shows_it(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    async with sim_engine(settings, seed=7) as (engine, world, _store):
        await drive_sim(engine, world, 60)
        app = _desk(settings, OperatorKey("eve", Ed25519PrivateKey.generate()))
        async with app.run_test(size=(120, 36)) as pilot:
            await _attached(pilot, app)
            await pilot.press("ctrl+k")
            await _confirm(pilot)
            await wait_for(pilot, lambda: _status(app, "s-0001") == "refused", timeout_s=15)
            assert app.state.commands["s-0001"].detail.startswith("unknown_operator:")
            await wait_for(
                pilot,
                lambda: any(n.severity == "error" and "unknown_operator" in n.message for n in app._notifications),
            )
            app.tick()
            assert "KILL REFUSED" in str(app.screen.query_one(HeaderBar).render())
        assert not engine.control.kill_engaged and engine.control.mode is Mode.AUTO
        assert engine.input_rejections["command:unknown_operator"] == 1


async def test_a_desk_without_a_key_sends_nothing_and_says_why(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    async with sim_engine(settings, seed=7) as (engine, _world, _store):
        app = _desk(settings, None, "no operator key in /nowhere")
        async with app.run_test(size=(120, 36)) as pilot:
            await _attached(pilot, app)
            app.tick()
            assert "NO OPERATOR KEY" in str(app.screen.query_one(HeaderBar).render())
            await pilot.press("ctrl+k")
            await _confirm(pilot)
            await wait_for(
                pilot,
                lambda: any("kill not sent" in n.message and "operator add" in n.message for n in app._notifications),
            )
            assert app.state.commands == {}
        assert not engine.control.kill_engaged and not engine.input_rejections
