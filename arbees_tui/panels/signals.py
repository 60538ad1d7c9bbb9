"""Signals panel: pending signals (manual mode) with every leg (venue, side, team, price, size),
edge after fees and expiry counted down on the engine's clock, and
recent decided signals with their decision and the risk gate's reason. The operator's
approve/reject command state (pending → done/failed + engine detail) shows on the row."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from textual import events
from textual.containers import Vertical
from textual.widgets import DataTable

from arbees_engine.bus.messages import LegView, SignalView

from .. import format as fmt
from ..state import RECENT_SIGNALS, DeskState
from .risk import reason_code
from .table_sync import SyncTable


def leg_text(state: DeskState, leg: LegView) -> str:
    """One leg as "K YES LAL 41¢×25": venue initial, side, the team its market's YES pays on, limit
    price (cents) × contracts."""
    quote = state.quotes.get(leg.market_id)
    team = (quote.yes_team or quote.outcome) if quote is not None else leg.market_id.split(":", 1)[-1][-10:]
    qty = fmt.contracts(leg.contracts)
    return f"{leg.venue[:1].upper()} {leg.side.upper()} {team} {leg.limit_price * 100:.0f}¢×{qty}"


def legs_text(state: DeskState, sig: SignalView) -> str:
    """Every leg of the signal, one line each (an arbitrage shows both)."""
    return "\n".join(leg_text(state, leg) for leg in sig.legs) or fmt.DASH


def _matchup(state: DeskState, sig: SignalView) -> str:
    game = state.games.get(sig.game_id)
    return f"{game.away}@{game.home}"[:8] if game else sig.game_id[:8]


def _command_state(state: DeskState, signal_id: str) -> str:
    command_id = state.signal_commands.get(signal_id)
    pending = state.commands.get(command_id) if command_id else None
    if pending is None:
        return ""
    text = f"{pending.action} {pending.status}"
    return f"{text} ({pending.detail})" if pending.detail and pending.status != "done" else text


def _choosing(move):
    """A DataTable cursor action that, run by the operator's key, also chooses the row it lands on."""

    def action(self: PendingTable) -> None:
        self._move(lambda: move(self))

    action.__doc__ = f"{move.__name__.removeprefix('action_').replace('_', ' ')}: move, then choose that signal."
    return action


class PendingTable(SyncTable):
    """Signals waiting for the operator, oldest first. Row key = signal_id.

    `a`/`r` act on `chosen`, the signal the operator picked, never on whatever row the cursor
    drifts to: rows come and go under the cursor (a signal expires, another desk decides it, a
    resync), and Textual keeps the cursor at the same POSITION, i.e. on another signal. So:
    - the operator picks with the cursor keys, a click or enter (each sets `chosen`);
    - after every sync the cursor is put back on `chosen`;
    - if `chosen` disappears, nothing is chosen and the cursor is hidden until the operator
      picks again (a/r then say so);
    - the first signal to appear in an empty table is chosen (it is the highlighted row).
    """

    # Legs, edge and expiry first: a narrow desk cuts columns from the right
    COLUMNS = (
        ("legs", "Legs", 17),
        ("edge", "Edge", 6),
        ("exp", "Exp", 7),
        ("game", "Game", 8),
        ("cmd", "Command", 16),
    )
    DROP = ("game", "cmd")  # legs name the team; the command's fate is also toasted (80 columns)
    GROW = {"legs": 2, "cmd": 1}  # noqa: RUF012

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(id="pending", **kwargs)
        self.border_title = "Pending signals"
        self.chosen: str | None = None

    def sync(self, state: DeskState, keys: Iterable[str] | None, now: datetime) -> None:
        """Rows for pending signals (keys None: a full resync, applied as a diff, never a clear);
        countdowns are refreshed for every pending row each call."""
        was_empty = self.row_count == 0
        wanted = {s.signal_id for s in state.pending_signals()}
        touched = set(keys or ()) | set(self.row_keys()) | wanted
        for key in sorted(touched, key=lambda k: _created(state, k)):  # new rows append oldest first
            sig = state.signals.get(key)
            if key not in wanted or sig is None:
                self.drop_row(key)
                continue
            self.put_row(
                key,
                (
                    legs_text(state, sig),
                    fmt.edge_cents(sig.edge),
                    fmt.countdown(state.engine_clock(now), sig.expires_at),
                    _matchup(state, sig),
                    _command_state(state, key),
                ),
                height=max(1, len(sig.legs)),
            )
        self._keep_choice(was_empty)
        if self.offline:
            self.show_cursor = False

    offline = False  # the engine stopped answering: rows stay visible but cannot be chosen

    def set_offline(self, offline: bool) -> None:
        """Make pending signals unselectable while the engine is offline (and selectable again)."""
        if offline == self.offline:
            return
        self.offline = offline
        self.set_class(offline, "-offline")
        self.show_cursor = not offline and self.chosen is not None

    def _keep_choice(self, was_empty: bool) -> None:
        if self.chosen is not None and self.has_key(self.chosen):
            index = self.get_row_index(self.chosen)
            if self.cursor_row != index:
                self.move_cursor(row=index, animate=False)
        elif self.chosen is not None:  # the picked signal left the table: pick again
            self.chosen = None
            self.show_cursor = False
        elif was_empty and self.row_count:
            self.show_cursor = True
            self.move_cursor(row=0, animate=False)
            self.chosen = self._key_at_cursor()

    def selected_key(self) -> str | None:
        """The signal the operator chose, if still shown; else None."""
        return self.chosen if self.chosen is not None and self.has_key(self.chosen) else None

    def _key_at_cursor(self) -> str | None:
        return super().selected_key() if self.show_cursor else None

    def _pick(self) -> None:
        if self.offline:
            return
        self.show_cursor = True
        self.chosen = self._key_at_cursor()

    def _move(self, move) -> None:  # noqa: ANN001 - a bound DataTable action
        """With the cursor hidden (the choice was lost) a first key only shows it on its row;
        else move. Either way the row under the cursor is chosen, also when the move raises
        SkipAction (nothing to move to: Textual then tries the next binding)."""
        if not self.show_cursor:
            self._pick()
            return
        try:
            move()
        finally:
            self._pick()

    # the operator's own cursor moves choose a signal; programmatic moves never do
    action_cursor_up = _choosing(DataTable.action_cursor_up)
    action_cursor_down = _choosing(DataTable.action_cursor_down)
    action_page_up = _choosing(DataTable.action_page_up)
    action_page_down = _choosing(DataTable.action_page_down)
    action_scroll_top = _choosing(DataTable.action_scroll_top)
    action_scroll_bottom = _choosing(DataTable.action_scroll_bottom)

    def on_click(self, event: events.Click) -> None:
        """A click on a row chooses it (DataTable itself only reports a click on the highlighted row)."""
        row = (event.style.meta or {}).get("row") if event.style else None
        if isinstance(row, int) and 0 <= row < self.row_count and not self.offline:
            self.show_cursor = True
            self.move_cursor(row=row, animate=False)
            self._pick()

    def on_data_table_row_selected(self, event: SyncTable.RowSelected) -> None:
        """A click on the highlighted row, or enter: choose that signal (the main screen then
        opens it)."""
        if event.data_table is self and not self.offline:
            self.show_cursor = True
            self.chosen = event.row_key.value


def _created(state: DeskState, signal_id: str) -> tuple:
    """Sort key: signals by creation time, unknown ids (about to be dropped) last."""
    sig = state.signals.get(signal_id)
    return (0, sig.created_at, signal_id) if sig is not None else (1, None, signal_id)


class RecentTable(SyncTable):
    """Decided signals, newest first, at most RECENT_SIGNALS rows. Executed and approved signals
    have a row each (key = signal_id); refusals (rejected, expired, operator-rejected) are
    aggregated per game, decision and reason code with their count and the last time (key =
    "agg|game|decision|code"), so a burst of `cooldown` is one row, not ten."""

    COLUMNS = (
        ("at", "Last UTC", 8),
        ("game", "Game", 8),
        ("decision", "Decision", 8),
        ("n", "×", 3),
        ("reason", "Reason", 10),
        ("edge", "Edge", 6),
    )
    DROP = ("edge", "game")  # the time, decision, count and reason always show
    GROW = {"reason": 3, "decision": 1}  # noqa: RUF012

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(id="recent", **kwargs)
        self.border_title = "Recent signals"

    def sync(self, state: DeskState, keys: Iterable[str] | None) -> None:
        """Recompute the rows when any signal changed (`keys` non-empty) or on a full sync (None);
        rows are diffed by key, never cleared."""
        if keys is not None and not keys:
            return
        rows = recent_rows(state)
        for key in self.row_keys():
            if key not in rows:
                self.drop_row(key)
        for key, cells in rows.items():
            self.put_row(key, cells)
        if rows:  # an aggregated row's last time moves: re-sort (at most RECENT_SIGNALS rows)
            self.sort("at", reverse=True)


REFUSALS = ("rejected", "expired", "operator_rejected")


def recent_rows(state: DeskState) -> dict[str, tuple]:
    """Row key → cells for the recent-signals table (see RecentTable), newest RECENT_SIGNALS."""
    groups: dict[str, list[SignalView]] = {}
    for sig in state.signals.values():
        if sig.decision == "pending":
            continue
        if sig.decision in REFUSALS:
            code = reason_code(sig.reason) or _command_state(state, sig.signal_id)
            groups.setdefault(f"agg|{sig.game_id}|{sig.decision}|{code}", []).append(sig)
        else:
            groups[sig.signal_id] = [sig]
    newest = sorted(groups.items(), key=lambda kv: max(s.created_at for s in kv[1]), reverse=True)[:RECENT_SIGNALS]
    rows = {}
    for key, sigs in newest:
        last = max(sigs, key=lambda s: s.created_at)
        reason = last.reason or _command_state(state, last.signal_id)
        rows[key] = (
            last.created_at.strftime("%H:%M:%S"),
            _matchup(state, last),
            last.decision,
            str(len(sigs)),
            reason,
            fmt.edge_cents(last.edge),
        )
    return rows


class SignalsPanel(Vertical):
    """Pending table above recent table."""

    def compose(self):
        """Pending signals table above the recent signals table."""
        yield PendingTable()
        yield RecentTable()

    def sync(self, state: DeskState, keys: Iterable[str] | None, now: datetime) -> None:
        """Apply changed signals (`keys`), or all when keys is None."""
        self.query_one(PendingTable).sync(state, keys, now)
        self.query_one(RecentTable).sync(state, keys)
