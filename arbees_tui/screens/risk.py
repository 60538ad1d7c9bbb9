"""Risk screen (`e`): each limit and how much of it every game and sport uses, and the engine's
rejection totals by reason with a one-line explanation of each code — "why isn't it trading?" —
and the engine's per-stage latency (p50/p99 ms).
Refreshed from the app's tick; esc goes back."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..literal import literal
from ..panels.risk import latency_rows, limit_row, limit_uses, rejection_rows
from ..panels.table_sync import SyncTable
from ..state import DeskState


class LimitsTable(SyncTable):
    """Limit, scope (game/sport/day), used, limit, share used; row key = "limit|scope"."""

    COLUMNS = (
        ("limit", "Limit", 22),
        ("scope", "Scope", 18),
        ("used", "Used", 10),
        ("cap", "Limit", 10),
        ("share", "Use", 5),
    )
    GROW = {"scope": 2, "limit": 1}  # noqa: RUF012


class RejectionsTable(SyncTable):
    """Rejection code, count and what it means; row key = code."""

    COLUMNS = (("code", "Reason", 22), ("count", "Count", 6), ("why", "Meaning", 30))
    GROW = {"why": 1}  # noqa: RUF012


class LatencyTable(SyncTable):
    """Pipeline stage, p50 and p99 milliseconds, samples; row key = stage."""

    COLUMNS = (("stage", "Stage", 18), ("p50", "p50", 8), ("p99", "p99", 8), ("n", "n", 8))
    GROW = {"stage": 1}  # noqa: RUF012


class RiskScreen(Screen):
    """Limits in use, rejection totals and stage latency."""

    BINDINGS = [Binding("escape", "back", "Back", id="risk.back")]

    def compose(self) -> ComposeResult:
        """Title, limits, rejections and latency tables, footer."""
        yield Static(id="risk-title")
        limits = LimitsTable(id="risk-limits")
        limits.border_title = "Limits in use"
        yield limits
        rejections = RejectionsTable(id="risk-rejections")
        rejections.border_title = "Rejections by reason (engine totals since start)"
        yield rejections
        latency = LatencyTable(id="risk-latency")
        latency.border_title = "Latency (ms)"
        yield latency
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Paint at once, then on every tick."""
        self.paint(self.app.state, self.app.clock())  # type: ignore[attr-defined]

    def paint(self, state: DeskState, now: datetime) -> None:
        """Diff the tables against the state (rows by key, never cleared: the cursor stays)."""
        total = sum(state.engine.rejections.values()) if state.engine else 0
        self.query_one("#risk-title", Static).update(
            literal(
                ("Risk", "b"),
                f"  {total} rejections  ",
                (f"engine clock {state.engine_clock(now):%H:%M:%S} UTC", "$text-muted"),
            )
        )
        limits = self.query_one(LimitsTable)
        rows = {f"{u.limit}|{u.scope}": limit_row(u) for u in limit_uses(state)}
        _diff(limits, rows)
        rejections = self.query_one(RejectionsTable)
        _diff(rejections, {code: (code, str(count), why) for code, count, why in rejection_rows(state)})
        _diff(self.query_one(LatencyTable), {row[0]: row for row in latency_rows(state)})

    def action_back(self) -> None:
        """esc: back."""
        self.app.pop_screen()


def _diff(table: SyncTable, rows: dict[str, tuple]) -> None:
    for key in table.row_keys():
        if key not in rows:
            table.drop_row(key)
    for key, cells in rows.items():
        table.put_row(key, cells)
