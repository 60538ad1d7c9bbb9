"""Operator commands from the bus: kill, resume, approve, reject, set_mode.

A command runs only when signed by an authorized operator's key and fresh (control/command_guard.py);
the operator recorded in acks and audit is the key's owner. Each command is recorded in the store
before it runs; a command id seen before (also across restarts) is answered again with its stored
acknowledgement and never executed twice (ARCHITECTURE.md, "Commands").
The kill switch takes effect in memory first (no order is sent after this returns), then is
persisted, so a store outage cannot delay a halt.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from ..bus.messages import Command, CommandAck, CommandAction, EngineStatus, utcnow
from ..model import Decision, Mode
from ..control.command_guard import AuditBudget, CommandGuard, Refusal
from ..ports import Clock, Outbox
from ..settings import Settings
from ..store.batch import ack_job
from ..control.state import ControlState
from .signal_book import SignalBook
from .trading import Trader

log = structlog.get_logger(__name__)


class CommandHandler:
    """Executes operator commands against one engine; `handle(cmd)` returns the ack to publish.

    `guard` (control/command_guard.py) decides whether a command may run; its `clock` is the wall
    clock commands expire by (tests inject one). Handed its ports (`out`, `clock`, `store()`), the
    control state, the signal book (every signal transition goes through it), the trader (re-checks
    at approval) and `status_view()` (published after a command), never the engine."""

    def __init__(self, settings: Settings, out: Outbox, clock: Clock, store: Callable[[], Any], control: ControlState,
                 signals: SignalBook, trader: Trader, status_view: Callable[[], EngineStatus]) -> None:
        self.settings, self.out, self.clock, self.store, self.control = settings, out, clock, store, control
        self.signals, self.trader, self.status_view = signals, trader, status_view
        self.guard = CommandGuard(settings)
        self.unverified_audits = AuditBudget()
        self._acks: dict[str, CommandAck] = {}

    async def handle(self, cmd: Command) -> CommandAck:
        """Run `cmd` once if it is signed by an authorized operator and fresh; a repeated command id
        gets the original acknowledgement again; anything else is refused, counted and audited."""
        refusal = self.guard.authenticate(cmd)
        if refusal is not None:  # not recorded under its id: an unverified sender owns no command id
            return self._refuse(cmd, "", refusal)
        if cmd.command_id in self._acks:
            return self._replayed(cmd, self._acks[cmd.command_id])
        previous = await self._record(cmd)
        if previous is not None and previous.get("outcome") != "in_progress":
            return self._replayed(cmd, CommandAck.model_validate(previous))
        if previous is not None and cmd.action is not CommandAction.KILL:  # a kill is safe to finish again
            return self._refuse(cmd, cmd.operator, Refusal("interrupted", "recorded before an engine restart "
                                                           "and never acknowledged; not run again"), store=True)
        refusal = self.guard.freshness(cmd)  # checked after the store write, right before it runs
        if refusal is not None:
            return self._refuse(cmd, cmd.operator, refusal, store=True)
        ok, outcome, detail = await self._dispatch(cmd)
        ack = CommandAck(command_id=cmd.command_id, action=cmd.action.value, ok=ok, outcome=outcome,
                         detail=detail, operator=cmd.operator, acked_at=utcnow())
        self.out.audit(cmd.operator, f"command_{cmd.action.value}", cmd.signal_id or cmd.mode or "",
                          f"{outcome}: {detail}" if detail else outcome)
        return self._settle(cmd, ack)

    async def _record(self, cmd: Command) -> dict | None:
        """Store the command before it runs: None if new, else what the store knows of its id."""
        store = self.store()
        if store is None:
            return None
        try:
            return await store.record_command(cmd.command_id, cmd.operator, cmd.action.value,
                                              cmd.model_dump(mode="json"), cmd.issued_at)
        except Exception as exc:  # noqa: BLE001 - the kill must still work without the store
            log.error("command.record_failed", command_id=cmd.command_id, error=repr(exc))
            return None

    def _settle(self, cmd: Command, ack: CommandAck) -> CommandAck:
        """Remember the ack (memory and store) and publish the engine status it may have changed."""
        self._acks[cmd.command_id] = ack
        self.out.write(ack_job(cmd.command_id, cmd.operator, cmd.action.value, cmd.model_dump(mode="json"),
                                  cmd.issued_at, ack.model_dump(mode="json")))
        self.out.publish(self.status_view())
        return ack

    def _refuse(self, cmd: Command, owner: str, refusal: Refusal, store: bool = False) -> CommandAck:
        """Refuse without running: count `command:<reason>`, audit (actor = the verified key owner, or
        "unverified"), and acknowledge with outcome "refused"; `store`: remember it under its id."""
        self.out.reject("command", refusal.reason, f"{cmd.action.value} {cmd.command_id}: {refusal.detail}")
        claimed = "" if owner else f" (claims operator {cmd.operator!r})"
        if owner or self.unverified_audits.allow():  # a flood of forgeries is counted, not all audited
            self.out.audit(owner or "unverified", "command_refused", f"{cmd.action.value}:{cmd.command_id}",
                              refusal.text() + claimed)
        ack = CommandAck(command_id=cmd.command_id, action=cmd.action.value, ok=False, outcome="refused",
                         detail=refusal.text(), operator=owner, acked_at=utcnow())
        return self._settle(cmd, ack) if store else ack

    def _replayed(self, cmd: Command, ack: CommandAck) -> CommandAck:
        """A command id seen before: counted and audited, answered with its first ack, never re-run."""
        self.out.reject("command", "replayed", f"{cmd.action.value} {cmd.command_id}")
        self.out.audit(cmd.operator, "command_replayed", f"{cmd.action.value}:{cmd.command_id}",
                          f"answered with its first acknowledgement ({ack.outcome}); not run again")
        self._acks[cmd.command_id] = ack
        return ack

    async def _dispatch(self, cmd: Command) -> tuple[bool, str, str]:
        handlers = {
            CommandAction.KILL: self._kill, CommandAction.RESUME: self._resume, CommandAction.APPROVE: self._approve,
            CommandAction.REJECT: self._reject, CommandAction.SET_MODE: self._set_mode,
        }
        try:
            return await handlers[cmd.action](cmd)
        except Exception as exc:  # noqa: BLE001 - the operator must hear about any failure
            log.exception("command.failed", command_id=cmd.command_id)
            return False, "failed", repr(exc)

    async def engage_kill(self, reason: str, operator: str) -> bool:
        """Engage the kill switch now (memory first), then persist it and audit it."""
        changed = self.control.engage(reason, operator, self.clock())
        self.signals.expire_all("kill switch engaged")
        if changed:
            log.warning("kill_switch.engaged", reason=reason, operator=operator)
            self.out.audit(operator, "kill_engaged", self.settings.instance, reason)
        await self._persist()
        self.out.publish(self.status_view())
        return changed

    async def _persist(self) -> None:
        store, control = self.store(), self.control
        if store is None:
            return
        await store.save_engine_state(self.settings.instance, control.mode, control.kill_engaged,
                                      control.kill_reason, control.kill_operator)

    async def _kill(self, cmd: Command) -> tuple[bool, str, str]:
        changed = await self.engage_kill(cmd.reason or "operator kill", cmd.operator)
        return True, "done", "kill switch engaged" if changed else "kill switch already engaged"

    async def _resume(self, cmd: Command) -> tuple[bool, str, str]:
        if self.settings.effective_kill_file().exists():
            return False, "refused", f"kill file {self.settings.effective_kill_file()} still present"
        changed = self.control.release()
        await self._persist()
        return True, "done", "kill switch released" if changed else "kill switch was not engaged"

    async def _set_mode(self, cmd: Command) -> tuple[bool, str, str]:
        if cmd.mode not in (Mode.AUTO.value, Mode.MANUAL.value, Mode.HALTED.value):
            return False, "refused", f"unknown mode {cmd.mode!r}"
        self.control.mode = Mode(cmd.mode)
        await self._persist()
        return True, "done", f"mode {cmd.mode}"

    async def _approve(self, cmd: Command) -> tuple[bool, str, str]:
        signal, why = self.signals.pending_for(cmd.signal_id or "", cmd.signal_version)
        if signal is None:
            return False, "refused", why
        seen = signal.contracts
        stale = self.trader.revalidate(signal)  # expiry, and the edge on the game's state now (may cut the size)
        if stale is not None:
            decision, reason = stale
            self.signals.close(signal, decision, reason)
            return False, "refused", f"re-check failed: {reason}"
        verdict = self.trader.check(signal)  # re-check price and limits at approval time
        if not verdict.ok:
            self.signals.close(signal, Decision.REJECTED, verdict.reason)
            return False, "refused", f"risk re-check failed: {verdict.reason}"
        resized = f"; resized {seen} → {signal.contracts} contracts (Kelly now)" if signal.contracts != seen else ""
        self.signals.approve(signal, f"approved by {cmd.operator}{resized}")
        return True, "done", f"approved; executing{resized}"

    async def _reject(self, cmd: Command) -> tuple[bool, str, str]:
        signal, why = self.signals.pending_for(cmd.signal_id or "", cmd.signal_version)
        if signal is None:
            return False, "refused", why
        self.signals.close(signal, Decision.OPERATOR_REJECTED, f"rejected by {cmd.operator}")
        return True, "done", "rejected"
