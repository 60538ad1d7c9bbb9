"""DeskState: snapshot + events fold, no doubles, acks, timeouts, removals, derived views."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from arbees_engine.bus.messages import AuditView, CommandAck, Removed
from arbees_tui.sample import sample_snapshot
from arbees_tui.state import DeskState, PendingCommand, _id_le

from .deskkit import NOW


def loaded(mode: str = "auto") -> tuple[DeskState, object]:
    state = DeskState()
    snap = sample_snapshot(NOW, mode=mode)
    state.apply_snapshot(snap)
    return state, snap


def test_snapshot_loads_every_kind():
    state, snap = loaded("manual")
    assert len(state.games) == 6 and len(state.quotes) == 12
    assert state.bankroll is not None and state.bankroll.equity == Decimal("10012.40")
    assert state.mode == "manual" and not state.kill_engaged
    assert [s.signal_id for s in state.pending_signals()] == ["s-003"]
    assert state.last_event_id == "100-0"
    assert state.take_dirty().everything


def test_events_at_or_before_snapshot_id_are_not_applied_twice():
    state, snap = loaded()
    game = snap.entities["game"]["g0000"]
    state.apply_events(
        [
            ("99-0", game.model_copy(update={"home_score": 99})),
            ("100-0", game.model_copy(update={"home_score": 98})),
            ("101-0", game.model_copy(update={"home_score": 3})),
        ]
    )
    assert state.games["g0000"].home_score == 3
    assert state.events_applied == 1 and state.last_event_id == "101-0"
    assert "g0000" in state.take_dirty().games


def test_quote_updates_coalesce_to_latest_per_market():
    state, snap = loaded()
    quote = snap.entities["quote"]["K-g0000-LAL"]
    state.take_dirty()
    for i, bid in enumerate(("0.10", "0.20", "0.30")):
        state.apply_events([(f"{101 + i}-0", quote.model_copy(update={"yes_bid": Decimal(bid)}))])
    assert state.quotes["K-g0000-LAL"].yes_bid == Decimal("0.30")
    assert state.take_dirty().games == {"g0000"}


def test_ack_settles_tracked_command_and_kill_halts():
    state, _ = loaded()
    state.track_command(PendingCommand("c1", "kill", NOW))
    assert state.pending_kill()
    state.apply_event(CommandAck(command_id="c1", action="kill", ok=True, outcome="done", acked_at=NOW))
    assert state.commands["c1"].status == "done" and not state.pending_kill()
    assert state.kill_engaged and state.mode == "halted"


def test_refused_ack_keeps_engine_detail():
    state, _ = loaded("manual")
    state.track_command(PendingCommand("c2", "approve", NOW, signal_id="s-003"))
    state.apply_event(
        CommandAck(
            command_id="c2", action="approve", ok=False, outcome="refused", detail="stale version 1 < 2", acked_at=NOW
        )
    )
    assert (state.commands["c2"].status, state.commands["c2"].detail) == ("refused", "stale version 1 < 2")
    assert "s-003" in state.take_dirty().signals


def test_unacked_command_times_out_only_after_its_expiry_and_the_skew():
    state, _ = loaded()
    state.track_command(PendingCommand("c3", "resume", NOW, expires_at=NOW + timedelta(seconds=10)))
    assert state.expire_commands(NOW + timedelta(seconds=12), 2.0) == []
    expired = state.expire_commands(NOW + timedelta(seconds=12.5), 2.0)
    assert [c.command_id for c in expired] == ["c3"] and state.commands["c3"].status == "timeout"


def test_removed_entities_leave_and_mark_dirty():
    state, _ = loaded()
    state.take_dirty()
    state.apply_event(Removed(entity_kind="game", entity_id="g0001"))
    state.apply_event(Removed(entity_kind="position", entity_id="p2"))
    assert "g0001" not in state.games and "p2" not in state.positions
    dirty = state.take_dirty()
    assert dirty.games == {"g0001"} and dirty.positions == {"p2"}


def test_audit_events_prepend():
    state, _ = loaded()
    state.apply_event(AuditView(audit_id=99, ts=NOW, actor="bob", action="kill"))
    assert state.audit[0].actor == "bob" and state.take_dirty().audit


def test_edge_is_best_of_both_sides_and_venues():
    state, _ = loaded()
    # g0000: model 0.30; kalshi 0.27/0.29, polymarket 0.28/0.30 → best edge = 0.30 - 0.29 = +0.01
    assert state.game_edge("g0000") == Decimal("0.01")
    assert state.home_mid("g0000") == Decimal("0.285")


def test_stream_id_order_is_numeric():
    assert _id_le("9-0", "10-0") and _id_le("10-1", "10-1") and not _id_le("10-2", "10-1")
    assert not _id_le("garbage", "1-0")


def test_decided_signals_are_bounded_but_pending_kept():
    from arbees_tui.state import SIGNALS_KEEP

    state, snap = loaded("manual")
    template = snap.entities["signal"]["s-002"]
    for i in range(SIGNALS_KEEP + 5):
        state.apply_event(template.model_copy(update={"signal_id": f"x{i}", "created_at": NOW + timedelta(seconds=i)}))
    assert len(state.signals) <= SIGNALS_KEEP
    assert "s-003" in state.signals and f"x{SIGNALS_KEEP + 4}" in state.signals and "x0" not in state.signals


def test_stale_quote_is_marked_in_the_games_table():
    from arbees_tui.panels.games import GamesTable

    state = DeskState()
    state.apply_snapshot(sample_snapshot(NOW))
    game_id = next(iter(state.games))
    quote = state.home_quote(game_id, "kalshi")
    table = GamesTable()
    fresh = table.cells(state, game_id)[5]
    state.apply_event(quote.model_copy(update={"stale": True}))
    stale = table.cells(state, game_id)[5]
    assert not fresh.startswith("~") and stale == "~" + fresh
