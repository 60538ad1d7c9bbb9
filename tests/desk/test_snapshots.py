"""SVG snapshot tests (pytest-textual-snapshot) from deterministic data: fixed clock, ids, no animation.

Regenerate deliberately with `pytest tests/desk --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from arbees_engine.bus.messages import LegView, SignalView
from arbees_tui.sample import heartbeat, sample_snapshot
from arbees_tui.screens.game import GameScreen
from arbees_tui.screens.signal import SignalScreen
from arbees_tui.source import MemorySource

from .deskkit import NOW, FakeClock, make_app, settle, wait_for

SMALL, LARGE = (80, 24), (160, 48)
SIZES = pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x48"])
# issue 15: the trading screens at three widths (columns adapt, key columns never drop)
THREE_SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 60)], ids=["80x24", "120x40", "200x60"])


@THREE_SIZES
@pytest.mark.parametrize("mode", ["auto", "manual", "halted"])
def test_main_screen(snap_compare, mode, size):
    app = make_app(mode="auto" if mode == "halted" else mode, kill=mode == "halted")
    assert snap_compare(app, terminal_size=size, run_before=settle)


@SIZES
def test_kill_confirmation_dialog(snap_compare, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=settle, press=["ctrl+k"])


async def _history_then_open_game(pilot) -> None:
    await settle(pilot)
    app = pilot.app
    game = app.state.games["g0004"]
    quote = app.state.quotes["K-g0004-LAD"]
    for i in range(12):
        at = NOW + timedelta(minutes=i)
        app.source.push(
            game.model_copy(update={"model_p_home": 0.60 + 0.02 * (i % 6), "updated_at": at}),
            quote.model_copy(
                update={
                    "yes_bid": Decimal("0.55") + Decimal(i) / 100,
                    "yes_ask": Decimal("0.57") + Decimal(i) / 100,
                    "updated_at": at,
                }
            ),
        )
    leg = LegView(market_id="K-g0004-LAD", venue="kalshi", side="yes", limit_price=Decimal("0.57"), contracts=12)
    app.source.push(
        SignalView(
            signal_id="s-g4",
            version=1,
            signal_kind="edge",
            game_id="g0004",
            legs=[leg],
            model_prob=0.641,
            raw_model_prob=0.662,
            market_weight=0.2,
            market_prob=0.56,
            edge=Decimal("0.052"),
            decision="executed",
            created_at=NOW,
        )
    )
    await wait_for(pilot, lambda: len(app.state.history["g0004"]) >= 12 and "s-g4" in app.state.signals)
    app.open_game("g0004")
    # the footer composes its keys after the screen is pushed: without this wait the shot can miss them
    await wait_for(pilot, lambda: isinstance(app.screen, GameScreen) and len(app.screen.query("FooterKey")) > 0)
    app.tick()
    await pilot.pause()


@THREE_SIZES
def test_game_screen(snap_compare, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=_history_then_open_game)


@SIZES
def test_audit_log_screen(snap_compare, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=settle, press=["l"])


@SIZES
def test_help_screen(snap_compare, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=settle, press=["question_mark"])


@pytest.mark.parametrize("theme", ["arbees-dark", "arbees-light", "arbees-high-contrast"])
def test_each_theme(snap_compare, theme):
    assert snap_compare(make_app(mode="manual", theme=theme), terminal_size=LARGE, run_before=settle)


@SIZES
def test_engine_offline(snap_compare, size):
    assert snap_compare(make_app(online=False), terminal_size=size, run_before=settle)


class DeadLink(MemorySource):
    """A source whose Redis is unreachable."""

    async def load_snapshot(self):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    async def heartbeat(self):
        raise ConnectionError("Connection refused.")


async def _link_down(pilot) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: app.link == "down" and app.heartbeat_polls > 0)
    app.tick()
    await pilot.pause()


def test_redis_unreachable(snap_compare):
    app = make_app(source=DeadLink(sample_snapshot(NOW)))
    assert snap_compare(app, terminal_size=SMALL, run_before=_link_down)


def _arb_desk():
    return make_app(source=MemorySource(sample_snapshot(NOW, mode="manual", arb=True), heartbeat(NOW, "manual")))


@THREE_SIZES
def test_main_screen_with_a_pending_arbitrage(snap_compare, size):
    assert snap_compare(_arb_desk(), terminal_size=size, run_before=settle)


async def _open_arbitrage(pilot) -> None:
    await settle(pilot)
    pilot.app.open_signal("s-004")
    await wait_for(
        pilot, lambda: isinstance(pilot.app.screen, SignalScreen) and len(pilot.app.screen.query("FooterKey")) > 0
    )
    pilot.app.tick()
    await pilot.pause()


@THREE_SIZES
def test_signal_screen(snap_compare, size):
    assert snap_compare(_arb_desk(), terminal_size=size, run_before=_open_arbitrage)


async def _engine_dies(pilot) -> None:
    await settle(pilot)
    pilot.app.source.beat = None
    await wait_for(pilot, lambda: pilot.app.state.heartbeat is None)
    pilot.app.clock.advance(12.5)
    pilot.app.tick()
    await pilot.pause()


@THREE_SIZES
def test_engine_killed_under_the_desk(snap_compare, size):
    source = MemorySource(sample_snapshot(NOW, mode="manual", arb=True), heartbeat(NOW, "manual", age_s=0.0))
    assert snap_compare(make_app(source=source, clock=FakeClock()), terminal_size=size, run_before=_engine_dies)


@THREE_SIZES
def test_risk_view(snap_compare, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=settle, press=["e"])


def _book():
    """Manual mode with a pending arbitrage and a book holding a filled arbitrage and a netted market."""
    return make_app(
        source=MemorySource(sample_snapshot(NOW, mode="manual", arb=True, book=True), heartbeat(NOW, "manual"))
    )


async def _focus_positions(pilot) -> None:
    await settle(pilot)
    table = pilot.app.screen.query_one("#positions")
    table.focus()
    table.move_cursor(row=table.get_row_index("arb|g0001|MIA"))
    pilot.app.tick()
    await pilot.pause()


@THREE_SIZES
def test_positions_by_game(snap_compare, size):
    """Issue 15: YES/NO netted per market, an arbitrage's legs under its locked-in P&L."""
    assert snap_compare(_book(), terminal_size=size, run_before=_focus_positions)


@THREE_SIZES
def test_pnl_screen(snap_compare, size):
    assert snap_compare(_book(), terminal_size=size, run_before=settle, press=["p"])
