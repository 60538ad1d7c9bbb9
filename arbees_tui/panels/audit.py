"""Audit panel: the newest audit lines (who did what), newest first."""

from __future__ import annotations

from textual.markup import escape
from textual.content import Content
from textual.widget import Widget

from ..state import DeskState
from arbees_engine.bus.messages import AuditView


def audit_line(view: AuditView) -> str:
    """One audit line as plain text: "HH:MM:SS actor action entity detail"."""
    parts = [view.ts.strftime("%H:%M:%S"), view.actor, view.action, view.entity, view.detail]
    return " ".join(p for p in parts if p)


class AuditPanel(Widget):
    """Shows as many of the newest audit lines as fit (repaint only, no layout)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(id="audit", **kwargs)
        self.border_title = "Audit"
        self._markup = ""

    def render(self) -> Content:
        """Draw the markup last set by `show`."""
        return Content.from_markup(self._markup)

    def show(self, state: DeskState) -> None:
        """Render the newest lines that fit the panel's height."""
        rows = max(1, self.size.height or 3)
        lines = [escape(audit_line(v)) for v in list(state.audit)[:rows]]
        markup = "\n".join(lines) or "[$text-muted]no audit lines yet[/]"
        if markup != self._markup:
            self._markup = markup
            self.refresh()
