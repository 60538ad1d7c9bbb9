"""The signal book: every signal's decision, and the one owner of every transition.

A signal is recorded once when decided (REJECTED, PENDING or APPROVED) and again on each later
change: a pending signal is approved, rejected by the operator, expired (its deadline, its game
closed, the kill switch) or resized; an approved one is reserved until the executor has run it,
then EXECUTED/UNFILLED/REJECTED. Each transition bumps the signal's version, is counted by
decision, published (bus) and stored (store writer) through the outbox. No other class changes
`pending`, `reserved` or a signal's decision.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from ..model import Decision, Signal
from ..model.contracts import format_contracts
from ..ports import Clock, Outbox
from ..store.batch import signal_job
from ..views import signal_view

RECENT_SIGNALS = 300


class SignalBook:
    """signals: the recent window (oldest first, at most RECENT_SIGNALS, never dropping a pending
    one); pending: manual-mode signals awaiting the operator; reserved: approved, queued for the
    executor, not yet run (they count against the risk limits); decisions: signals by decision;
    last_trade_at: game_id → when a signal on it was last approved (the risk gate's cooldown).

    on_approved(signal): the kernel queues its execution (jobs.ExecuteSignal).
    """

    def __init__(self, out: Outbox, clock: Clock, on_approved: Callable[[Signal], None]) -> None:
        self.out, self.clock, self.on_approved = out, clock, on_approved
        self.signals: OrderedDict[str, Signal] = OrderedDict()
        self.pending: dict[str, Signal] = {}
        self.reserved: dict[str, Signal] = {}
        self.decisions: Counter[str] = Counter()
        self.last_trade_at: dict[str, datetime] = {}

    # -- transitions -------------------------------------------------------------------------------
    def record(self, signal: Signal, decision: Decision, reason: str) -> None:
        """Move `signal` to `decision`: count it, keep it in the recent window, publish and store it."""
        if signal.signal_id in self.signals:
            self.decisions[signal.decision.value] -= 1
            signal.version += 1
        signal.decision, signal.reason = decision, reason
        self.decisions[decision.value] += 1
        self.signals[signal.signal_id] = signal
        self.signals.move_to_end(signal.signal_id)
        self.out.publish(signal_view(signal))
        self.out.write(signal_job(signal))
        self._trim()

    def _trim(self) -> None:
        while len(self.signals) > RECENT_SIGNALS:
            old_id = next(iter(self.signals))
            if old_id in self.pending:
                self.signals.move_to_end(old_id)
                break
            del self.signals[old_id]
            self.out.remove("signal", old_id)

    def pend(self, signal: Signal, expiry_s: float) -> None:
        """Hold `signal` for the operator (manual mode) until `expiry_s` seconds from now."""
        signal.expires_at = self.clock() + timedelta(seconds=expiry_s)
        self.pending[signal.signal_id] = signal
        self.record(signal, Decision.PENDING, "awaiting operator")

    def approve(self, signal: Signal, reason: str) -> None:
        """Mark approved, reserve it and queue it for execution; the game's cooldown starts now."""
        self.pending.pop(signal.signal_id, None)
        self.last_trade_at[signal.game_id] = self.clock()
        self.record(signal, Decision.APPROVED, reason)
        self.reserved[signal.signal_id] = signal  # counts against the limits until it has run
        self.on_approved(signal)

    def close(self, signal: Signal, decision: Decision, reason: str) -> None:
        """End a pending signal without executing it (REJECTED, OPERATOR_REJECTED or EXPIRED)."""
        self.pending.pop(signal.signal_id, None)
        self.record(signal, decision, reason)

    def release(self, signal_id: str) -> None:
        """The executor has run the reserved signal `signal_id`: it no longer counts as committed."""
        self.reserved.pop(signal_id, None)

    def resize(self, signal: Signal, contracts: Decimal) -> None:
        """Cut a pending EDGE signal to `contracts` at its limit price (audited; the approval that
        follows publishes and stores the new size and version)."""
        leg = signal.legs[0]
        signal.legs = (replace(leg, contracts=contracts),)
        self.out.audit(
            "engine",
            "signal_resized",
            signal.signal_id,
            f"{format_contracts(leg.contracts)} → {format_contracts(contracts)} contracts: Kelly sizes it smaller now",
        )

    # -- sweeps -----------------------------------------------------------------------------------
    def expire_pending(self) -> None:
        """Expire manual signals past their deadline (never executed)."""
        now = self.clock()
        for signal in [s for s in self.pending.values() if s.expires_at and s.expires_at <= now]:
            self.close(signal, Decision.EXPIRED, "no operator decision before expiry")
            self.out.audit("engine", "signal_expired", signal.signal_id, "")

    def expire_game(self, game_id: str, why: str) -> None:
        """Expire the pending signals of a game the feed closed (`why`: "game final", ...)."""
        for signal in [s for s in self.pending.values() if s.game_id == game_id]:
            self.close(signal, Decision.EXPIRED, why)

    def expire_all(self, why: str) -> None:
        """Expire every pending signal (the kill switch engaged)."""
        for signal in list(self.pending.values()):
            self.close(signal, Decision.EXPIRED, why)

    # -- reading ----------------------------------------------------------------------------------
    def pending_for(self, signal_id: str, version: int | None) -> tuple[Signal | None, str]:
        """(the pending signal, "") or (None, why it cannot be acted on): unknown, already decided,
        or changed since the operator saw `version`."""
        signal = self.pending.get(signal_id)
        if signal is None:
            known = self.signals.get(signal_id)
            return None, f"signal is {known.decision.value}" if known else "unknown signal"
        if version is not None and version != signal.version:
            return None, f"signal changed (version {signal.version}, you saw {version})"
        return signal, ""
