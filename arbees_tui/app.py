"""ArbeesApp: the Textual desk. Attaches to an engine through a `DeskSource`, keeps a plain-Python
`DeskState`, and repaints changed rows on a timer (quote bursts coalesce between ticks).

Workers (async, no threads) read the bus and post Messages (arbees_tui.messages); handlers
apply them to the state; `tick()` paints what changed inside `batch_update()` every
`paint_interval_s` seconds. Every command is signed with the operator's key (bus/signing.py),
valid `command_ttl_s` seconds, and tracked until its CommandAck arrives or it has expired
(expires_at + the clock-skew allowance by the desk's wall clock): only then is it "timeout", when
the engine can no longer run it. Without a key the desk watches but sends nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.worker import Worker, WorkerState

from arbees_engine.bus.messages import Command, CommandAction, SignalView, utcnow
from arbees_engine.bus.signing import CLOCK_SKEW_S, DEFAULT_TTL_S, OperatorKey

from .commands import DeskCommands
from .config import DeskConfig, load_config, save_config, screenshot_dir
from .feed import Feed
from .messages import CommandSendFailed, EventsReceived, HeartbeatSeen, LinkChanged, SnapshotLoaded
from .screens.audit_log import AuditScreen
from .screens.confirm import ConfirmScreen
from .screens.fills import FillsScreen
from .screens.game import GameScreen
from .screens.help import HelpScreen, live_bindings
from .screens.main import MainScreen
from .screens.pnl import PnlScreen
from .screens.risk import RiskScreen
from .screens.signal import SignalScreen
from .state import DeskState, PendingCommand
from .themes import DEFAULT_THEME, load_themes

APP_BINDINGS = [
    Binding("ctrl+k", "kill", "KILL", key_display="^k", priority=True, id="desk.kill"),
    # "!" also kills, but not over a text box, where it is just a character
    Binding("exclamation_mark", "kill", "KILL", show=False, id="desk.kill_bang"),
    Binding("R", "resume", "Resume", key_display="R", id="desk.resume"),
    Binding("m", "toggle_mode", "Mode", id="desk.mode"),
    Binding("l", "audit_log", "Log", id="desk.audit"),
    Binding("e", "risk", "Risk", id="desk.risk"),
    Binding("p", "pnl", "P&L", id="desk.pnl"),
    Binding("f", "fills", "Fills", id="desk.fills"),
    Binding("question_mark", "help", "Help", key_display="?", id="desk.help"),
    Binding("ctrl+p,colon", "command_palette", "Palette", key_display=":", show=False, id="desk.palette"),
    Binding("q", "leave", "Quit/Back", id="desk.quit"),
]


KILL_TITLE = "ENGAGE KILL SWITCH?"
MUTATING_ACTIONS = frozenset({"kill", "resume", "toggle_mode", "approve", "reject"})


class ArbeesApp(App):
    """The desk. `source`: a DeskSource; `clock`: () → aware UTC datetime (inject a fixed one in
    tests); `new_id`: () → command id; `config_path`: where the theme choice is remembered
    (None: not remembered); `frozen`: no cursor blink (snapshots). `key`: the operator's signing
    key (its name is the operator); None: no command is sent and `key_problem` says why on screen.
    `command_ttl_s`: a command's lifetime (seconds); `clock_skew_s`: the engine's allowance."""

    CSS_PATH = "desk.tcss"
    TITLE = "arbees"
    BINDINGS = APP_BINDINGS
    COMMANDS = {DeskCommands}  # noqa: RUF012 - ours only: Textual's generic entries would come first

    def __init__(
        self,
        source: Any,
        *,
        instance: str = "default",
        operator: str = "operator",
        key: OperatorKey | None = None,
        key_problem: str = "",
        clock: Callable[[], datetime] = utcnow,
        new_id: Callable[[], str] | None = None,
        theme: str | None = None,
        config_path: Path | None = None,
        frozen: bool = False,
        command_ttl_s: float = DEFAULT_TTL_S,
        clock_skew_s: float = CLOCK_SKEW_S,
        paint_interval_s: float = 0.25,
        heartbeat_interval_s: float = 1.0,
        read_only: bool = False,
    ) -> None:
        super().__init__()
        self.source = source
        self.instance = instance
        self.key = key
        self.operator = key.name if key is not None else operator
        self.key_problem = "" if key is not None or read_only else (key_problem or "no operator key")
        self.clock = clock
        self.new_id = new_id or (lambda: uuid.uuid4().hex)
        self.frozen = frozen
        self.read_only = read_only
        self.command_ttl_s = command_ttl_s
        self.clock_skew_s = clock_skew_s
        self.paint_interval_s = paint_interval_s
        self.config_path = config_path
        self.config = load_config(config_path) if config_path else DeskConfig()
        self.requested_theme = theme or self.config.theme or DEFAULT_THEME
        self.state = DeskState()
        self.state.key_problem = self.key_problem
        self.link = "connecting"
        self.link_detail = ""
        self.errors: list[str] = []
        self._sent: dict[str, Command] = {}  # commands sent, kept until acknowledged (resent on reattach)
        self.paints = 0
        self.heartbeat_polls = 0
        if frozen:
            self.animation_level = "none"
        self.feed = Feed(source, self.post_message, heartbeat_interval_s=heartbeat_interval_s)
        self.desk_theme_names: list[str] = []

    # --- start-up -------------------------------------------------------------------------------

    def on_mount(self) -> None:
        """Register desk themes and keymap, push MainScreen, start the events/heartbeat workers and the paint timer."""
        for theme in load_themes():
            self.register_theme(theme)
            self.desk_theme_names.append(theme.name)
        if self.requested_theme in self.available_themes:
            self.theme = self.requested_theme
        else:
            self.report_error("theme", f"unknown theme {self.requested_theme!r}; using {DEFAULT_THEME}")
            self.theme = DEFAULT_THEME if DEFAULT_THEME in self.available_themes else "textual-dark"
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        if self.config.keymap:
            self.set_keymap(self.config.keymap)
        self.push_screen(MainScreen())
        self.run_worker(self.feed.run_events(), name="events", group="feed", exit_on_error=False)
        self.run_worker(self.feed.run_heartbeat(), name="heartbeat", group="feed", exit_on_error=False)
        self.set_interval(self.paint_interval_s, self.tick)
        if self.key_problem:
            self.toast(
                f"{self.key_problem}. This desk only watches: kill, resume, mode and approve/reject need "
                "an operator key (arbees-engine operator add NAME). The kill file needs none.",
                title="NO OPERATOR KEY",
                severity="warning",
                timeout=20,
            )

    def _remember_theme(self, theme: Any) -> None:
        if self.config_path is not None:
            self.config.theme = theme.name
            save_config(self.config_path, self.config)

    # --- worker messages ------------------------------------------------------------------------

    def on_snapshot_loaded(self, message: SnapshotLoaded) -> None:
        """SnapshotLoaded: replace the state with the snapshot (attach or resync) and paint at once.
        Commands still awaiting their acknowledgement are sent again with the same id: an ack
        published while the desk was reattaching precedes the new snapshot and is never read, and
        the engine answers a repeated command id again without running it twice."""
        self.state.apply_snapshot(message.snapshot)
        for command_id, command in list(self._sent.items()):
            pending = self.state.commands.get(command_id)
            if pending is None or pending.status != "pending":
                del self._sent[command_id]
                continue
            self.run_worker(
                self._send(command), name=f"resend-{command.action.value}", group="commands", exit_on_error=False
            )
        self.tick()

    def on_events_received(self, message: EventsReceived) -> None:
        """EventsReceived: apply the batch, release the feed's next read, and toast each ack's command."""
        acked = [view for _id, view in message.events if getattr(view, "kind", "") == "ack"]
        try:
            self.state.apply_events(message.events)
        finally:
            self.feed.consumed()
        for ack in acked:
            pending = self.state.commands.get(ack.command_id)
            if pending is not None:
                self._announce(pending)

    def on_link_changed(self, message: LinkChanged) -> None:
        """LinkChanged: update link state for the header; a drop is reported, retries stay "down"."""
        if message.state == "connecting" and self.link == "down":
            return  # retries keep showing "down" (with its cause) until attached again
        if message.state == "down" and self.link != "down":
            self.report_error("link", message.detail)
        self.link, self.link_detail = message.state, message.detail
        self.state.dirty.header = True

    def on_heartbeat_seen(self, message: HeartbeatSeen) -> None:
        """HeartbeatSeen: store the heartbeat (None = engine offline), count the poll, mark the header dirty."""
        self.state.see_heartbeat(message.heartbeat)
        self.heartbeat_polls += 1

    def on_command_send_failed(self, message: CommandSendFailed) -> None:
        """CommandSendFailed: mark the command failed ("not sent") and announce it, also when it had
        already timed out waiting for an acknowledgement."""
        pending = self.state.commands.get(message.command_id)
        # "timeout" too: a send slower than the command timeout failed, it was never delivered
        if pending is not None and pending.status in ("pending", "timeout"):
            pending.status, pending.detail = "failed", f"not sent: {message.detail}"
            self.state.dirty.header = True
            self._announce(pending)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Worker.StateChanged: report a worker that ended in ERROR (by name) with its exception."""
        if event.state == WorkerState.ERROR:
            self.report_error(event.worker.name or "worker", repr(event.worker.error))

    def report_error(self, where: str, detail: str) -> None:
        """The one place errors reach the operator: a toast plus the error list (newest last)."""
        self.errors.append(f"{where}: {detail}")
        del self.errors[:-50]
        self.toast(f"{where}: {detail}", title="desk error", severity="error", timeout=8)

    def toast(
        self, message: str, *, title: str = "", severity: SeverityLevel = "information", timeout: float | None = None
    ) -> None:
        """Every desk toast: `notify` with markup off, so the engine text it carries (rejection
        reasons, error details, ids) is shown literally (see arbees_tui/literal.py)."""
        self.notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    # --- painting -------------------------------------------------------------------------------

    def tick(self) -> None:
        """Expire old commands, then paint what changed on the visible screen."""
        now = self.clock()
        for pending in self.state.expire_commands(now, self.clock_skew_s):
            self._announce(pending)
        if not self.screen_stack:  # quitting: nothing left to paint
            return
        dirty = self.state.take_dirty()
        screen = self.screen
        try:
            with self.batch_update():
                main = self._main_screen()
                if main is not None and main.is_mounted:
                    main.paint(self.state, dirty, now, self.link, self.link_detail)
                if screen is not main and hasattr(screen, "paint"):
                    screen.paint(self.state, now)
        except NoMatches:  # screen composing or tearing down: paint everything next tick
            self.state.dirty.everything = True
        self.paints += 1

    def _main_screen(self) -> MainScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    # --- commands -------------------------------------------------------------------------------

    def send(self, action: CommandAction, **fields: Any) -> PendingCommand | None:
        """Build a Command signed with the operator's key, track it as pending, send it off the UI.
        Read-only or without a key nothing is sent (returns None) and the operator is told why."""
        if self.read_only:
            self.toast(f"read-only desk: {action.value} not sent", severity="warning", timeout=4)
            return None
        if self.key is None:
            self.toast(
                f"{action.value} not sent: {self.key_problem}. Create a key with `arbees-engine operator "
                "add NAME` and restart the desk (--operator NAME); the kill file needs no key.",
                title="NO OPERATOR KEY",
                severity="error",
                timeout=10,
            )
            return None
        command = self.key.new_command(
            self.instance, self.clock(), self.command_ttl_s, command_id=self.new_id(), action=action, **fields
        )
        pending = PendingCommand(
            command.command_id,
            action.value,
            command.issued_at,
            signal_id=command.signal_id,
            expires_at=command.expires_at,
        )
        self.state.track_command(pending)
        self._sent[command.command_id] = command
        self.run_worker(self._send(command), name=f"send-{action.value}", group="commands", exit_on_error=False)
        self.tick()
        return pending

    async def _send(self, command: Command) -> None:
        try:
            await self.source.send_command(command)
        except Exception as exc:  # noqa: BLE001 - link down: shown as a failed command, loudly
            self.post_message(CommandSendFailed(command.command_id, f"{type(exc).__name__}: {exc}"))

    def _announce(self, pending: PendingCommand) -> None:
        ok = pending.status == "done"
        text = f"{pending.action}: {pending.status}" + (f" — {pending.detail}" if pending.detail else "")
        loud = pending.action in ("kill", "resume") and not ok
        self.toast(
            text,
            title="KILL SWITCH" if pending.action == "kill" else "command",
            severity="information" if ok else "error",
            timeout=15 if loud else 5,
        )

    def decide_signal(self, signal: SignalView | None, approve: bool) -> None:
        """Approve/reject the signal exactly as the operator saw it (id + version)."""
        if signal is None:
            self.toast("no pending signal selected", severity="warning", timeout=3)
            return
        earlier = self.state.commands.get(self.state.signal_commands.get(signal.signal_id, ""))
        if earlier is not None and earlier.status == "pending":  # a double press must not send twice
            self.toast(
                f"{earlier.action} of {signal.signal_id} already sent; waiting for the engine",
                severity="warning",
                timeout=3,
            )
            return
        action = CommandAction.APPROVE if approve else CommandAction.REJECT
        self.send(action, signal_id=signal.signal_id, signal_version=signal.version)

    # --- actions --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A read-only desk hides and disables every mutating action (kill, resume, mode): the
        footer does not offer them and their keys do nothing; the header says READ-ONLY."""
        return not (self.read_only and action in MUTATING_ACTIONS)

    def action_kill(self) -> None:
        """ctrl+k or !: ask to engage the kill switch; sends KILL on confirm. Another question that is
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
        self.push_screen(ConfirmScreen(KILL_TITLE, body, "KILL"), self._kill_confirmed)

    def _engine_answers(self) -> bool:
        """True when our link is up and the engine's heartbeat is current (online or stale)."""
        return self.link == "connected" and self.state.engine_health(self.clock()) in ("online", "stale")

    def _kill_confirmed(self, ok: bool | None) -> None:
        if ok:
            self.send(CommandAction.KILL, reason=f"desk kill switch ({self.operator})")

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

    def action_audit_log(self) -> None:
        """l: open the audit log screen (unless it is already showing)."""
        if not isinstance(self.screen, AuditScreen):
            self.push_screen(AuditScreen())

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

    def action_fills(self) -> None:
        """f: open the fills blotter unless it is showing."""
        if not isinstance(self.screen, FillsScreen):
            self.push_screen(FillsScreen())

    def action_pnl(self) -> None:
        """p: open the P&L screen (per game and sport, arbitrage locked in) unless it is showing."""
        if not isinstance(self.screen, PnlScreen):
            self.push_screen(PnlScreen())

    def action_risk(self) -> None:
        """e: open the risk screen (limits in use, rejections by reason) unless it is showing."""
        if not isinstance(self.screen, RiskScreen):
            self.push_screen(RiskScreen())

    def action_help(self) -> None:
        """?: open the help screen listing the bindings live on the current screen (unless showing)."""
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(live_bindings(self.screen)))

    def action_desk_screenshot(self) -> None:
        """Palette Screenshot: save the screen as SVG in `config.screenshot_dir()` and name the
        file in a toast; a failure to write is reported, never raised."""
        try:
            path = self.save_screenshot(path=str(screenshot_dir()))
        except OSError as exc:
            self.report_error("screenshot", f"not saved: {exc}")
            return
        self.toast(f"screenshot saved to {path}", title="screenshot", timeout=8)

    def open_game(self, game_id: str) -> None:
        """Push the game detail screen."""
        self.push_screen(GameScreen(game_id))

    def open_signal(self, signal_id: str) -> None:
        """Push the signal detail screen (a/r there act on that signal)."""
        if not isinstance(self.screen, SignalScreen):
            self.push_screen(SignalScreen(signal_id))
