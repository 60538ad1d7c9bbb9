"""Audit panel: the newest audit lines (who did what), newest first."""

from __future__ import annotations

from textual.content import Content
from textual.widget import Widget

from arbees_engine.bus.messages import AuditView

from ..literal import literal, same_look
from ..state import DeskState


def audit_line(view: AuditView) -> str:
    """One audit line as plain text: "HH:MM:SS actor action entity detail"."""
    parts = [view.ts.strftime("%H:%M:%S"), view.actor, view.action, view.entity, view.detail]
    return " ".join(p for p in parts if p)


class AuditPanel(Widget):
    """Shows as many of the newest audit lines as fit (repaint only, no layout)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(id="audit", **kwargs)
        self.border_title = "Audit (UTC)"
        self._content = literal()

    def render(self) -> Content:
        """Draw the content last set by `show`."""
        return self._content

    def show(self, state: DeskState) -> None:
        """Render the newest lines that fit the panel's height, shown literally (`literal`)."""
        rows = max(1, self.size.height or 3)
        lines = "\n".join(audit_line(v) for v in list(state.audit)[:rows])
        content = literal(lines) if lines else literal(("no audit lines yet", "$text-muted"))
        if not same_look(content, self._content):
            self._content = content
            self.refresh()
