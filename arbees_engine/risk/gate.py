"""The pre-trade risk gate: every signal passes all checks in risk/checks.py or is rejected.

All checks run (the verdict lists every failing reason); the first failing one, in CHECKS
order, is the reported reason and the one counted in `rejections`, so Σ rejections equals the
number of rejected signals. A check that raises counts as "check_error" (logged), never a crash.
"""

from __future__ import annotations

from collections import Counter

import structlog

from arbees_engine.model import Signal
from arbees_engine.settings import RiskLimits

from .checks import CHECKS, NEEDS_MARKETS, invalid_signal, leg_summary
from .context import RiskContext, RiskVerdict

log = structlog.get_logger(__name__)


class RiskGate:
    """Checks signals against `limits` (settings.RiskLimits).

    rejections: Counter reason → rejected signals; passed: number of signals that passed.
    """

    def __init__(self, limits: RiskLimits | None = None) -> None:
        self.limits = limits or RiskLimits()
        self.rejections: Counter[str] = Counter()
        self.passed = 0

    def check(self, signal: Signal, ctx: RiskContext) -> RiskVerdict:
        """Run every check on `signal` in `ctx`; return RiskVerdict(ok, first reason, all reasons)."""
        reasons: list[str] = []
        markets_ok = invalid_signal(signal, ctx, self.limits) is None
        for check in CHECKS:
            if check in NEEDS_MARKETS and not markets_ok:
                continue
            try:
                reason = check(signal, ctx, self.limits)
            except Exception as exc:  # noqa: BLE001 - bad input must become a counted rejection, not a crash
                log.error("risk_check_error", check=check.__name__, signal_id=signal.signal_id, error=repr(exc))
                reason = "check_error"
            if reason and reason not in reasons:
                reasons.append(reason)
        if not reasons:
            self.passed += 1
            return RiskVerdict(True)
        self.rejections[reasons[0]] += 1
        log.info(
            "risk_rejected",
            signal_id=signal.signal_id,
            reason=reasons[0],
            reasons=reasons,
            legs=[leg_summary(leg) for leg in signal.legs],
        )
        return RiskVerdict(False, reasons[0], tuple(reasons))
