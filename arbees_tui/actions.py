"""The desk's confirmed actions: kill, resume, mode switch and leave/quit, each behind a ConfirmScreen.

Mixed into `ArbeesApp` (app.py, which holds the state, the link and `send`), first in its bases so
Textual finds these `action_*` methods for the bindings in `app.APP_BINDINGS` (ctrl+k/!, R, m, q).
A read-only desk disables the mutating ones through `ArbeesApp.check_action`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from arbees_engine.bus.messages import CommandAction

from .screens.confirm import ConfirmScreen
from .screens.main import MainScreen
from .state import DeskState, PendingCommand

KILL_TITLE = "ENGAGE KILL SWITCH?"
KILL_REASON_PREFILL = "operator kill from the desk"


class ConfirmedActions:
    """`action_kill`, `action_resume`, `action_toggle_mode` and `action_leave` (see the module docstring)."""

    instance: str
    operator: str
    link: str
    state: DeskState
    clock: Callable[[], datetime]
    screen: Any  # textual.app.App
    push_screen: Callable[..., Any]  # textual.app.App
    pop_screen: Callable[[], Any]  # textual.app.App
    call_later: Callable[..., Any]  # textual.app.App
    exit: Callable[..., None]  # textual.app.App
    send: Callable[..., PendingCommand | None]  # app.py

    def action_kill(self) -> None:
        """ctrl+k or !: ask to engage the kill switch, with a reason Input (prefilled, focused: enter
        confirms); sends KILL carrying that reason on confirm. Another question that is
        open (mode, resume) is cancelled first: the kill switch must never wait behind a dialog."""
        screen = self.screen
        if isinstance(screen, ConfirmScreen):
            if screen.title_text == KILL_TITLE:
                return  # already asking
            screen.dismiss(False)
            self.call_later(self.action_kill)  # once the other dialog is gone
            return
        body = (
            f"Stops new orders now and cancels resting live orders on instance {self.instance}.\n"
            "Only an explicit resume lifts it."
        )
        if not self._engine_answers():
            body += (
                "\nThe engine is not answering: it runs the kill when it returns (if the command has not "
                "expired) and nothing will acknowledge it now. To stop it without the bus, create its kill file."
            )
        dialog = ConfirmScreen(KILL_TITLE, body, "KILL", reason_prefill=KILL_REASON_PREFILL)
        self.push_screen(dialog, lambda ok: self._kill_confirmed(ok, dialog.reason))

    def _engine_answers(self) -> bool:
        """True when our link is up and the engine's heartbeat is current (online or stale)."""
        return self.link == "connected" and self.state.engine_health(self.clock()) in ("online", "stale")

    def _kill_confirmed(self, ok: bool | None, reason: str) -> None:
        if ok:
            self.send(CommandAction.KILL, reason=reason)

    def action_resume(self) -> None:
        """R: ask to resume trading; sends RESUME on confirm."""
        mode = self.state.engine.resume_mode if self.state.engine is not None else ""
        where = f"in {mode.upper()} mode" if mode else "in its chosen mode (this engine does not say which)"
        consequence = {
            "auto": "approved signals execute at once",
            "manual": "signals wait for a or r",
        }.get(mode, "")
        body = f"Lifts the kill switch; the engine resumes {where}" + (f": {consequence}." if consequence else ".")
        self.push_screen(
            ConfirmScreen(f"Resume trading in {mode.upper()}?" if mode else "Resume trading?", body, "Resume"),
            self._resume_confirmed,
        )

    def _resume_confirmed(self, ok: bool | None) -> None:
        if ok:
            self.send(CommandAction.RESUME, reason="desk resume")

    def action_toggle_mode(self) -> None:
        """m: ask to switch manual ↔ auto mode; sends SET_MODE with the other mode on confirm."""
        target = "auto" if self.state.mode == "manual" else "manual"
        self.push_screen(
            ConfirmScreen(
                f"Switch to {target.upper()} mode?",
                "auto: approved signals execute. manual: they wait for a or r.",
                f"Switch to {target}",
                danger=target == "auto",
            ),
            lambda ok: ok and self.send(CommandAction.SET_MODE, mode=target),
        )

    def action_leave(self) -> None:
        """q: leave the current screen; on the main screen quit the desk, asking first when
        positions are open (the engine keeps trading without the desk)."""
        if not isinstance(self.screen, MainScreen):
            if isinstance(self.screen, ConfirmScreen):
                self.screen.dismiss(False)
            else:
                self.pop_screen()
            return
        held = [p for p in self.state.positions.values() if p.contracts and not p.settled]
        if not held:
            self.exit()
            return
        self.push_screen(
            ConfirmScreen(
                f"Quit the desk with {len(held)} open position{'s' * (len(held) > 1)}?",
                "The engine keeps trading and holding them without this desk "
                "(under ./dev demo, quitting also stops the simulated engine).",
                "Quit",
            ),
            self._quit_confirmed,
        )

    def _quit_confirmed(self, ok: bool | None) -> None:
        if ok:
            self.exit()
