"""The main desk screen: header, HALTED banner, games, signals, positions and audit panels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input

from ..panels.audit import AuditPanel
from ..panels.games import GamesTable
from ..panels.header import HaltedBanner, HeaderBar
from ..panels.positions import PositionsTable
from ..panels.signals import PendingTable, SignalsPanel
from ..state import DeskState, Dirty

MAIN_BINDINGS = [
    Binding("a", "approve", "Approve", id="signal.approve"),
    Binding("r", "reject", "Reject", id="signal.reject"),
    Binding("slash", "filter", "Find", key_display="/", id="games.filter"),
    Binding("s", "sort", "Sort", id="games.sort"),
    Binding("escape", "clear_filter", "Back", show=False, id="games.clear_filter"),
]


class MainScreen(Screen):
    """Panels are refreshed by `paint()` from the app's tick, inside `app.batch_update()`."""

    BINDINGS = MAIN_BINDINGS

    def compose(self) -> ComposeResult:
        """Header, HALTED banner, hidden filter input, games table, signals + positions, audit panel, footer."""
        yield HeaderBar(self.app.instance, read_only=self.app.read_only)
        yield HaltedBanner()
        yield Input(placeholder="filter games (esc clears)", id="filter")
        yield GamesTable()
        with Horizontal(id="lower"):
            yield SignalsPanel(id="signals")
            yield PositionsTable()
        yield AuditPanel()
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Hide the filter input (no cursor blink when frozen) and focus the games table."""
        filt = self.query_one("#filter", Input)
        filt.cursor_blink = not getattr(self.app, "frozen", False)
        filt.display = False
        self.query_one(GamesTable).focus()

    def paint(self, state: DeskState, dirty: Dirty, now: datetime, link: str, link_detail: str) -> None:
        """Apply `dirty` to the panels (None keys = full sync after a snapshot)."""
        full = dirty.everything
        self.set_class(link != "connected", "-stale")  # dims the tables: what they show may be old
        offline = link == "connected" and state.engine_health(now) == "offline"
        self.set_class(offline, "-offline")  # the engine stopped answering: its data is history
        self.query_one(PendingTable).set_offline(offline)
        self.query_one(HeaderBar).show(state, now, link, link_detail)
        self.query_one(HaltedBanner).show(state)
        if full or dirty.games:
            self.query_one(GamesTable).sync(state, None if full else dirty.games)
        self.query_one(SignalsPanel).sync(state, None if full else dirty.signals, now)
        if full or dirty.positions:
            self.query_one(PositionsTable).sync(state, None if full else dirty.positions)
        if full or dirty.audit:
            self.query_one(AuditPanel).show(state)

    # --- verbs ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Approve/reject are hidden and disabled on a read-only desk."""
        return not (self.app.read_only and action in ("approve", "reject"))

    def selected_pending(self) -> Any:
        """The SignalView under the pending table's cursor, frozen at the time of the keypress."""
        table = self.query_one(PendingTable)
        if table.offline:  # a dead engine cannot re-check a signal: nothing to approve
            self.app.toast(
                "engine OFFLINE: its pending signals cannot be approved or rejected", severity="warning", timeout=4
            )
            return None
        key = table.selected_key()
        return self.app.state.signals.get(key) if key else None

    def action_approve(self) -> None:
        """a: approve the pending signal under the cursor."""
        self._decide(approve=True)

    def action_reject(self) -> None:
        """r: reject the pending signal under the cursor."""
        self._decide(approve=False)

    def _decide(self, approve: bool) -> None:
        signal = self.selected_pending()
        if signal is not None or not self.query_one(PendingTable).offline:
            self.app.decide_signal(signal, approve=approve)

    def action_filter(self) -> None:
        """/: show and focus the games filter input."""
        filt = self.query_one("#filter", Input)
        filt.display = True
        filt.focus()

    def action_clear_filter(self) -> None:
        """esc: clear and hide the games filter (if shown or set), then refocus the games table."""
        filt = self.query_one("#filter", Input)
        if filt.display or filt.value:
            filt.value = ""
            filt.display = False
            self._set_filter("")
            self.query_one(GamesTable).focus()

    def action_sort(self) -> None:
        """s: sort the games table by the next column and toast its name."""
        column = self.query_one(GamesTable).cycle_sort()
        self.app.toast(f"games sorted by {column}", timeout=2)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Input.Changed on #filter: refilter the games table as the operator types."""
        if event.input.id == "filter":
            self._set_filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Input.Submitted on #filter (enter): keep the filter and move focus to the games table."""
        if event.input.id == "filter":
            self.query_one(GamesTable).focus()

    def _set_filter(self, text: str) -> None:
        table = self.query_one(GamesTable)
        table.filter_text = text.strip()
        with self.app.batch_update():
            table.sync(self.app.state, None)
            table.apply_sort()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """DataTable.RowSelected (enter): on the games table open that game's screen; on the
        pending table open that signal (its model, markets and the re-check approval runs)."""
        if event.data_table.id == "games" and event.row_key.value:
            self.app.open_game(event.row_key.value)
        elif event.data_table.id == "positions":
            game_id = self.query_one(PositionsTable).selected_game(self.app.state)
            if game_id:
                self.app.open_game(game_id)
        elif event.data_table.id == "pending" and event.row_key.value and not self.query_one(PendingTable).offline:
            self.app.open_signal(event.row_key.value)

    def on_resize(self) -> None:
        """Resize: repaint the audit panel so its line count fits the new height."""
        self.query_one(AuditPanel).show(self.app.state)
