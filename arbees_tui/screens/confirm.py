"""Reusable confirmation dialog: ModalScreen[bool] with the safe choice (Cancel) focused (k9s), or,
when it asks for a reason (the kill switch), a one-line reason Input focused: enter confirms."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

REASON_MAX_CHARS = 200  # a reason longer than this is cut: it travels in a signed command and the audit log


class ConfirmScreen(ModalScreen[bool]):
    """Ask before a destructive or mode-changing command. Dismisses True only on Confirm (or enter
    in the reason Input); escape or Cancel dismiss False.

    reason_prefill: when not None, a reason Input holding this text is shown and focused, and
    `reason` returns what the operator left in it (see there)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="confirm.cancel"),
        Binding("left,right", "switch", "Switch", show=False, id="confirm.switch"),
    ]

    def __init__(
        self,
        title: str,
        body: str,
        confirm_label: str = "Confirm",
        danger: bool = True,
        reason_prefill: str | None = None,
    ) -> None:
        super().__init__()
        self.reason_prefill = reason_prefill
        self.title_text = title
        self.body = body
        self.confirm_label = confirm_label
        self.danger = danger

    def compose(self) -> ComposeResult:
        """Title, body and the Cancel / confirm buttons (red confirm when `danger`)."""
        with Vertical(id="confirm-box", classes="danger" if self.danger else ""):
            yield Static(self.title_text, id="confirm-title", markup=False)
            yield Static(self.body, id="confirm-body", markup=False)
            if self.reason_prefill is not None:
                yield Static("Reason (enter confirms, esc cancels):", id="confirm-reason-label", markup=False)
                yield Input(self.reason_prefill, id="confirm-reason", max_length=REASON_MAX_CHARS, compact=True)
            with Horizontal(id="confirm-buttons"):
                yield Button("Cancel", id="cancel", variant="default")
                yield Button(self.confirm_label, id="confirm", variant="error" if self.danger else "primary")

    def on_mount(self) -> None:
        """Focus the reason Input when there is one (enter confirms), else Cancel so a stray enter
        never confirms."""
        if self.reason_prefill is not None:
            self.query_one("#confirm-reason", Input).focus()
        else:
            self.query_one("#cancel", Button).focus()

    @property
    def reason(self) -> str:
        """The reason Input's text trimmed and cut to REASON_MAX_CHARS; the prefill when that is
        empty; "" for a dialog without a reason Input."""
        if self.reason_prefill is None:
            return ""
        typed = self.query_one("#confirm-reason", Input).value.strip()[:REASON_MAX_CHARS].strip()
        return typed or self.reason_prefill

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """enter in the reason Input: confirm."""
        event.stop()
        self.dismiss(True)

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
