"""Reusable confirmation dialog: ModalScreen[bool] with the safe choice (Cancel) focused (k9s)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """Ask before a destructive or mode-changing command. Dismisses True only on Confirm."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
        Binding("left,right", "switch", "Switch", show=False, id="confirm.switch"),
    ]

    def __init__(self, title: str, body: str, confirm_label: str = "Confirm", danger: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.confirm_label = confirm_label
        self.danger = danger

    def compose(self) -> ComposeResult:
        """Title, body and the Cancel / confirm buttons (red confirm when `danger`)."""
        with Vertical(id="confirm-box", classes="danger" if self.danger else ""):
            yield Static(self.title_text, id="confirm-title", markup=False)
            yield Static(self.body, id="confirm-body", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel", id="cancel", variant="default")
                yield Button(self.confirm_label, id="confirm", variant="error" if self.danger else "primary")

    def on_mount(self) -> None:
        """Focus Cancel so a stray enter never confirms."""
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Button.Pressed: dismiss True only for the confirm button, else False."""
        event.stop()
        self.dismiss(event.button.id == "confirm")

    def action_cancel(self) -> None:
        """esc: dismiss with False."""
        self.dismiss(False)

    def action_switch(self) -> None:
        """left/right: move focus to the next button."""
        self.focus_next(Button)
