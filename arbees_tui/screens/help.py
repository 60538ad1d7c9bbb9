"""`?` help, generated from the live keymap of the screen it was opened on (remapped keys show as
remapped; keys a read-only desk disables are left out), with each binding's id (for keymap
overrides in ~/.config/arbees/desk.toml)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ..literal import literal

TIPS = (
    "",
    "enter on a game or a position opens the game (markets, chart, signals, fills);",
    "enter on a pending signal opens it (every leg, model, edge after fees, the re-check).",
    "tab moves between tables; arrows move the cursor and scroll.",
    "ctrl+p or : opens the command palette (also themes).",
    "Destructive commands ask first; Cancel is focused.",
    "q leaves a screen; on the main screen it quits the desk (asking when positions are open).",
    "Times are UTC.",
)


def binding_rows(bindings: list[Binding]) -> list[tuple[str, str, str]]:
    """(keys, description, id) for each binding that has a description."""
    rows = []
    for b in bindings:
        if isinstance(b, Binding) and b.description:
            keys = b.key.replace("exclamation_mark", "!").replace("question_mark", "?").replace("slash", "/")
            rows.append((keys.replace("colon", ":"), b.description, b.id or ""))
    return rows


def live_bindings(screen: Screen) -> list[Binding]:
    """The bindings active on `screen` now (its own, the focused widget's, the app's), with the
    keys the keymap gave them: one Binding per id, keys joined ("ctrl+k,exclamation_mark")."""
    keys: dict[str, list[str]] = {}
    first: dict[str, Binding] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.id or not active.enabled:
            continue
        keys.setdefault(binding.id, []).append(key)
        first.setdefault(binding.id, binding)
    return [Binding(",".join(keys[i]), b.action, b.description, id=i) for i, b in first.items()]


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
