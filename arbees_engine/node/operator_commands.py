"""Operator commands from the bus: kill, resume, approve, reject, set_mode.

A command runs only when signed by an authorized operator's key and fresh (control/command_guard.py);
the operator recorded in acks and audit is the key's owner. Each command is recorded in the store
before it runs; a command id seen before (also across restarts) is answered again with its stored
acknowledgement and never executed twice (ARCHITECTURE.md, "Commands"). Recording waits at most
RECORD_TIMEOUT_S seconds; a command other than a kill that could not be recorded is refused as
"store_unavailable", never run unrecorded.
A verified, fresh kill takes effect in memory before anything awaits the store (no order is sent
after it engages), then is persisted, retried in the background while the store is down
(store/durable.py), so neither a hung nor a dead store can delay a halt. Resume and mode changes
are the opposite: the store is written first, memory changes only once it has them, so a restart
never brings back a state the operator was told had changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog

from ..bus.messages import Command, CommandAck, CommandAction, EngineStatus, utcnow
from ..control.command_guard import AuditBudget, CommandGuard, Refusal
from ..control.signal_book import SignalBook
from ..control.state import ControlState
from ..model import Decision, Mode
from ..model.contracts import format_contracts
from ..ports import Clock, Outbox
from ..settings import Settings
from ..store.batch import ack_job
from ..store.durable import until_stored
from ..store.errors import StoreUnavailable
from ..strategy.trader import Trader

log = structlog.get_logger(__name__)

RECORD_TIMEOUT_S = 2.0  # seconds a command waits for the store to record it (0.5 s refused a healthy, loaded store)
T = TypeVar("T")
STATE_TIMEOUT_S = 5.0  # seconds one write of mode / kill switch may take before it counts as an outage


class CommandHandler:
    """Executes operator commands against one engine; `handle(cmd)` returns the ack to publish.

    `guard` (control/command_guard.py) decides whether a command may run; its `clock` is the wall
    clock commands expire by (tests inject one). Handed its ports (`out`, `clock`, `store()`), the
    control state, the signal book (every signal transition goes through it), the trader (re-checks
    at approval) and `status_view()` (published after a command), never the engine."""

    def __init__(
        self,
        settings: Settings,
        out: Outbox,
        clock: Clock,
        store: Callable[[], Any],
        control: ControlState,
        signals: SignalBook,
        trader: Trader,
        status_view: Callable[[], EngineStatus],
    ) -> None:
        self.settings, self.out, self.clock, self.store, self.control = settings, out, clock, store, control
        self.signals, self.trader, self.status_view = signals, trader, status_view
        self.guard = CommandGuard(settings)
        self.unverified_audits = AuditBudget()
        self._acks: dict[str, CommandAck] = {}
        self._persister: asyncio.Task | None = None
        self._persist_again = False
        self._abandoned: set[asyncio.Future] = set()  # store calls given up on, still unwinding
        self.stopping: Callable[[], bool] = lambda: False  # the kernel wires its job queue's flag

    async def handle(self, cmd: Command, superseded: bool = False) -> CommandAck:
        """Run `cmd` once if it is signed by an authorized operator and fresh; a repeated command id
        gets the original acknowledgement again; anything else is refused, counted and audited.
        `superseded`: a kill read after it in the same batch already ran (bus/publisher.py); a
        resume so marked is refused, as it would otherwise lift a kill sent after it."""
        refusal = self.guard.authenticate(cmd)
        if refusal is not None:  # not recorded under its id: an unverified sender owns no command id
            return self._refuse(cmd, "", refusal)
        if cmd.command_id in self._acks:
            return self._replayed(cmd, self._acks[cmd.command_id])
        engaged = None  # a fresh kill engages before anything awaits the store
        if cmd.action is CommandAction.KILL and self.guard.freshness(cmd) is None:
            engaged = self.engage_now(cmd.reason or "operator kill", cmd.operator)
        recorded, previous = await self._record(cmd)
        if previous is not None and previous.get("outcome") != "in_progress":
            return self._replayed(cmd, CommandAck.model_validate(previous))
        if previous is not None and cmd.action is not CommandAction.KILL:  # a kill is safe to finish again
            return self._refuse(
                cmd,
                cmd.operator,
                Refusal("interrupted", "recorded before an engine restart and never acknowledged; not run again"),
                store=True,
            )
        refusal = self._precondition(cmd, recorded, superseded) if engaged is None else None
        if refusal is not None:
            return self._refuse(cmd, cmd.operator, refusal, store=True)
        if engaged is not None:
            ok, outcome, detail = True, "done", "kill switch engaged" if engaged else "kill switch already engaged"
        else:
            ok, outcome, detail = await self._dispatch(cmd)
        ack = CommandAck(
            command_id=cmd.command_id,
            action=cmd.action.value,
            ok=ok,
            outcome=outcome,
            detail=detail,
            operator=cmd.operator,
            acked_at=utcnow(),
        )
        self.out.audit(
            cmd.operator,
            f"command_{cmd.action.value}",
            cmd.signal_id or cmd.mode or "",
            f"{outcome}: {detail}" if detail else outcome,
        )
        return self._settle(cmd, ack)

    def _precondition(self, cmd: Command, recorded: bool, superseded: bool) -> Refusal | None:
        """Why a verified command other than a fresh kill may not run now (checked after the store
        write, right before it runs), or None."""
        if not recorded and cmd.action is not CommandAction.KILL:
            return Refusal(
                "store_unavailable", f"the store did not record the command within {RECORD_TIMEOUT_S:g} s; not run"
            )
        if superseded and cmd.action is CommandAction.RESUME:
            return Refusal("superseded", "a kill sent after it was read with it and ran first; not run")
        return self.guard.freshness(cmd)

    async def _record(self, cmd: Command) -> tuple[bool, dict | None]:
        """Store the command before it runs, waiting at most RECORD_TIMEOUT_S: (recorded, None if new
        else what the store knows of its id); (False, None) when the store did not answer in time."""
        store = self.store()
        if store is None:
            return True, None
        try:
            return True, await self._bounded(
                store.record_command(
                    cmd.command_id, cmd.operator, cmd.action.value, cmd.model_dump(mode="json"), cmd.issued_at
                ),
                RECORD_TIMEOUT_S,
            )
        except Exception as exc:  # noqa: BLE001 - the kill must still work without the store
            log.error("command.record_failed", command_id=cmd.command_id, error=repr(exc))
            return False, None

    def _settle(self, cmd: Command, ack: CommandAck) -> CommandAck:
        """Remember the ack (memory and store) and publish the engine status it may have changed."""
        self._acks[cmd.command_id] = ack
        self.out.write(
            ack_job(
                cmd.command_id,
                cmd.operator,
                cmd.action.value,
                cmd.model_dump(mode="json"),
                cmd.issued_at,
                ack.model_dump(mode="json"),
            )
        )
        self.out.publish(self.status_view())
        return ack

    def _refuse(self, cmd: Command, owner: str, refusal: Refusal, store: bool = False) -> CommandAck:
        """Refuse without running: count `command:<reason>`, audit (actor = the verified key owner, or
        "unverified"), and acknowledge with outcome "refused"; `store`: remember it under its id."""
        claimed = "" if owner else f" (claims operator {cmd.operator!r})"
        if owner or self.unverified_audits.allow():  # a flood of forgeries is counted, not all logged and audited
            self.out.reject("command", refusal.reason, f"{cmd.action.value} {cmd.command_id}: {refusal.detail}")
            self.out.audit(
                owner or "unverified",
                "command_refused",
                f"{cmd.action.value}:{cmd.command_id}",
                refusal.text() + claimed,
            )
        else:  # logging each one would cost the consumer ~6x the refusal itself
            self.out.reject("command", refusal.reason, quiet=True)
        ack = CommandAck(
            command_id=cmd.command_id,
            action=cmd.action.value,
            ok=False,
            outcome="refused",
            detail=refusal.text(),
            operator=owner,
            acked_at=utcnow(),
        )
        return self._settle(cmd, ack) if store else ack

    def _replayed(self, cmd: Command, ack: CommandAck) -> CommandAck:
        """A command id seen before: counted and audited, answered with its first ack, never re-run."""
        self.out.reject("command", "replayed", f"{cmd.action.value} {cmd.command_id}")
        self.out.audit(
            cmd.operator,
            "command_replayed",
            f"{cmd.action.value}:{cmd.command_id}",
            f"answered with its first acknowledgement ({ack.outcome}); not run again",
        )
        self._acks[cmd.command_id] = ack
        return ack

    async def _dispatch(self, cmd: Command) -> tuple[bool, str, str]:
        handlers = {
            CommandAction.KILL: self._kill,
            CommandAction.RESUME: self._resume,
            CommandAction.APPROVE: self._approve,
            CommandAction.REJECT: self._reject,
            CommandAction.SET_MODE: self._set_mode,
        }
        try:
            return await handlers[cmd.action](cmd)
        except Exception as exc:  # noqa: BLE001 - the operator must hear about any failure
            log.exception("command.failed", command_id=cmd.command_id)
            return False, "failed", repr(exc)

    async def engage_kill(self, reason: str, operator: str) -> bool:
        """Engage the kill switch now (memory first); it is persisted in the background. Never raises
        for the store. Returns True if it was not engaged before."""
        return self.engage_now(reason, operator)

    def engage_now(self, reason: str, operator: str) -> bool:
        """Engage the kill switch in memory without awaiting anything (pending signals expire), audit
        it, publish the status, and start persisting it (`persist_later`). True if newly engaged."""
        changed = self.control.engage(reason, operator, self.clock())
        self.signals.expire_all("kill switch engaged")
        if changed:
            log.warning("kill_switch.engaged", reason=reason, operator=operator)
            self.out.audit(operator, "kill_engaged", self.settings.instance, reason)
        self.persist_later()
        self.out.publish(self.status_view())
        return changed

    def persist_later(self) -> None:
        """Write the in-memory mode and kill switch to the store in a background task, retried while
        the store is down (store/durable.py) until it commits or the engine stops."""
        if self.store() is None:
            return
        self._persist_again = True
        if self._persister is None or self._persister.done():
            self._persister = asyncio.create_task(self._persist_until_stored(), name="persist_engine_state")

    async def _persist_until_stored(self) -> None:
        while self._persist_again:  # a change made while a write was under way is written after it
            self._persist_again = False
            try:
                await until_stored(
                    "engine_state", self._save_current_state, stopping=self.stopping, counts=self.out.counts
                )
            except Exception as exc:  # noqa: BLE001 - a background task must say why it ended
                self.out.count("task_failures:persist_engine_state")
                log.error("kill_switch.persist_failed", error=repr(exc))
                return

    async def _save_current_state(self) -> None:
        control = self.control  # read at each attempt: the newest state is the one written
        await self._save_state(control.mode, control.kill_engaged, control.kill_reason, control.kill_operator)

    async def finish_persisting(self, timeout_s: float) -> None:
        """Wait (at most `timeout_s`) for the background write of the engine state (shutdown)."""
        if self._persister is not None and not self._persister.done():
            await asyncio.wait([self._persister], timeout=timeout_s)

    async def _save_state(self, mode: Mode, kill_engaged: bool, reason: str = "", operator: str = "") -> None:
        """One store write of mode and kill switch; StoreUnavailable when it takes over STATE_TIMEOUT_S."""
        store = self.store()
        if store is None:
            return
        try:
            await self._bounded(
                store.save_engine_state(self.settings.instance, mode, kill_engaged, reason, operator), STATE_TIMEOUT_S
            )
        except TimeoutError as exc:
            raise StoreUnavailable(f"engine state not written within {STATE_TIMEOUT_S:g} s") from exc

    async def _bounded(self, call: Awaitable[T], timeout_s: float) -> T:
        """`await call`, but raise TimeoutError after `timeout_s` seconds without waiting for the driver
        to unwind: asyncpg may take many seconds to give up a statement on a hung connection, so the
        call is cancelled and left to finish in the background (kept in `_abandoned` until it does)."""
        task = asyncio.ensure_future(call)
        try:
            done, _ = await asyncio.wait([task], timeout=timeout_s)
        except asyncio.CancelledError:
            task.cancel()  # the caller stops (shutdown): so does its store call
            raise
        if not done:
            task.cancel()
            self._abandoned.add(task)
            task.add_done_callback(_forget(self._abandoned))
            raise TimeoutError(f"no answer within {timeout_s:g} s")
        return task.result()

    async def _kill(self, cmd: Command) -> tuple[bool, str, str]:
        changed = await self.engage_kill(cmd.reason or "operator kill", cmd.operator)
        return True, "done", "kill switch engaged" if changed else "kill switch already engaged"

    async def _resume(self, cmd: Command) -> tuple[bool, str, str]:
        if self.settings.effective_kill_file().exists():
            return False, "refused", f"kill file {self.settings.effective_kill_file()} still present"
        control = self.control
        try:
            await self._save_state(control.mode, False)  # store first: memory follows only once it is stored
        except Exception:
            self.persist_later()  # a write cut off mid-way may have landed: put the store back to memory's state
            raise
        if self.settings.effective_kill_file().exists():  # appeared while the store was written
            self.persist_later()
            return False, "refused", f"kill file {self.settings.effective_kill_file()} appeared"
        changed = control.release()
        self.persist_later()  # a background kill write that raced this one must not win
        return True, "done", "kill switch released" if changed else "kill switch was not engaged"

    async def _set_mode(self, cmd: Command) -> tuple[bool, str, str]:
        if cmd.mode not in (Mode.AUTO.value, Mode.MANUAL.value, Mode.HALTED.value):
            return False, "refused", f"unknown mode {cmd.mode!r}"
        control = self.control
        try:  # store first, as for resume
            await self._save_state(Mode(cmd.mode), control.kill_engaged, control.kill_reason, control.kill_operator)
        except Exception:
            self.persist_later()
            raise
        control.mode = Mode(cmd.mode)
        self.persist_later()
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
        before, after = format_contracts(seen), format_contracts(signal.contracts)
        resized = f"; resized {before} → {after} contracts (Kelly now)" if signal.contracts != seen else ""
        self.signals.approve(signal, f"approved by {cmd.operator}{resized}")
        return True, "done", f"approved; executing{resized}"

    async def _reject(self, cmd: Command) -> tuple[bool, str, str]:
        signal, why = self.signals.pending_for(cmd.signal_id or "", cmd.signal_version)
        if signal is None:
            return False, "refused", why
        self.signals.close(signal, Decision.OPERATOR_REJECTED, f"rejected by {cmd.operator}")
        return True, "done", "rejected"


def _forget(pending: set[asyncio.Future]) -> Callable[[asyncio.Future], None]:
    """Done-callback: drop a finished abandoned call from `pending`, its outcome read (never reported)."""

    def done(task: asyncio.Future) -> None:
        pending.discard(task)
        if not task.cancelled():
            task.exception()

    return done
