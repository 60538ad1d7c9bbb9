"""`?` help: every binding of the app and the main screen, with its id (for keymap overrides)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from ..literal import literal

TIPS = ("", "enter on a game opens its markets, chart, signals and fills.",
        "tab moves between tables; arrows move the cursor and scroll.",
        "ctrl+p or : opens the command palette (also themes).",
        "Destructive commands ask first; Cancel is focused.", "q quits the desk; trading goes on.")


def binding_rows(bindings: list[Binding]) -> list[tuple[str, str, str]]:
    """(keys, description, id) for each binding that has a description."""
    rows = []
    for b in bindings:
        if isinstance(b, Binding) and b.description:
            keys = b.key.replace("exclamation_mark", "!").replace("question_mark", "?").replace("slash", "/")
            rows.append((keys.replace("colon", ":"), b.description, b.id or ""))
    return rows


class HelpScreen(ModalScreen[None]):
    """Lists hotkeys; esc or ? closes."""

    BINDINGS = [Binding("escape,question_mark,q", "close", "Close", id="help.close")]

    def __init__(self, bindings: list[Binding]) -> None:
        super().__init__()
        self.rows = binding_rows(bindings)

    def compose(self) -> ComposeResult:
        """One scrollable text of keys, descriptions and binding ids, plus usage tips."""
        lines = [literal(("Arbees desk — keys", "b")), literal()]
        for keys, desc, bid in self.rows:
            lines.append(literal((f"{keys:<16}", "b $accent"), f" {desc:<10} ", (bid, "$text-muted")))
        lines += [literal(tip) for tip in TIPS]
        with VerticalScroll(id="help-box"):
            yield Static(Content("\n").join(lines), id="help-text")

    def action_close(self) -> None:
        """esc, ? or q: close the help screen."""
        self.dismiss(None)
