"""Full audit log (`l`): every audit line the desk holds, newest first, with a filter/search box.

Filter syntax: words must all appear in the line; `actor:NAME` / `action:NAME` match those fields.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from arbees_engine.bus.messages import AuditView

from ..panels.table_sync import SyncTable
from ..state import DeskState


def audit_matches(view: AuditView, query: str) -> bool:
    """True if `view` matches every term of `query` (case-insensitive)."""
    hay = f"{view.ts.isoformat()} {view.actor} {view.action} {view.entity} {view.detail}".lower()
    for term in query.lower().split():
        field, sep, value = term.partition(":")
        if sep and field in ("actor", "action", "entity"):
            if value not in str(getattr(view, field)).lower():
                return False
        elif term not in hay:
            return False
    return True


class AuditTable(SyncTable):
    """Audit lines; row key = audit_id."""

    COLUMNS = (
        ("ts", "Time (UTC)", 19),
        ("actor", "Actor", 10),
        ("action", "Action", 12),
        ("entity", "Entity", 14),
        ("detail", "Detail", 30),
    )
    DROP = ("entity",)
    GROW = {"detail": 3, "entity": 1}  # noqa: RUF012


class AuditScreen(Screen):
    """esc: clear the search, then go back."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="audit.back"),
        Binding("slash", "search", "Search", key_display="/", id="audit.search"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._shown: str | None = None

    def compose(self) -> ComposeResult:
        """Title, search input, audit table and footer."""
        yield Static("[b]Audit log[/] — newest first", id="audit-title")
        yield Input(placeholder="search: words, actor:NAME, action:NAME", id="audit-search")
        yield AuditTable(id="audit-table")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Set cursor blink (off when frozen), fill the table from state and focus it."""
        self.query_one(Input).cursor_blink = not getattr(self.app, "frozen", False)
        self.fill(self.app.state)
        self.query_one(AuditTable).focus()

    def fill(self, state: DeskState) -> None:
        """Rebuild the table for the current query (a user action, so a rebuild is fine)."""
        query = self.query_one(Input).value
        table = self.query_one(AuditTable)
        keep = table.selected_key()  # the line the operator is on stays under the cursor
        table.reset()
        for view in state.audit:
            if audit_matches(view, query):
                table.put_row(
                    f"{view.audit_id}",
                    (view.ts.strftime("%Y-%m-%d %H:%M:%S"), view.actor, view.action, view.entity, view.detail),
                )
        if keep is not None and table.has_key(keep):
            table.move_cursor(row=table.get_row_index(keep), animate=False)
        self._shown = state.audit[0].key if state.audit else None
        self.sub_title = f"{table.row_count} of {len(state.audit)} lines"
        table.border_subtitle = self.sub_title

    def paint(self, state: DeskState, now) -> None:
        """Rebuild only when a newer audit line arrived."""
        newest = state.audit[0].key if state.audit else None
        if newest != self._shown:
            self.fill(state)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Input.Changed on the search box: refilter the table as the operator types."""
        self.fill(self.app.state)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Input.Submitted (enter) on the search box: move focus to the table."""
        self.query_one(AuditTable).focus()

    def action_search(self) -> None:
        """/: focus the search input."""
        self.query_one(Input).focus()

    def action_back(self) -> None:
        """esc: clear the search if set (refocusing the table), otherwise go back."""
        search = self.query_one(Input)
        if search.value:
            search.value = ""
            self.query_one(AuditTable).focus()
        else:
            self.app.pop_screen()
