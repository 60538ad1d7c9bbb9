"""Who may command the engine, and until when: the check every bus command passes before it runs.

A command runs only if it carries an Ed25519 signature (bus/signing.py) by a key listed in the
authorized-operators file (bus/operators.py) under the operator name it claims, and only while it
is fresh by the engine's wall clock: issued_at at most `command_clock_skew_s` ahead, expires_at
not passed, and expires_at − issued_at at most `command_max_ttl_s`. Each refusal has a reason
("unsigned", "unknown_operator", "bad_signature", "operators_file_unsafe", "no_expiry",
"expired", "issued_in_future", "ttl_too_long") that the handler counts as `command:<reason>`.
The file is read again whenever it changes (an `operator add` needs no restart).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog

from ..bus.messages import Command
from ..bus.operators import OperatorError, load_authorized
from ..bus.signing import signature_valid
from ..settings import Settings

log = structlog.get_logger(__name__)


def wall_clock() -> datetime:
    """Wall-clock UTC now: commands expire by real time even when the engine's clock is simulated."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Refusal:
    """Why a command may not run: `reason` (a counter key) and a sentence for the operator."""

    reason: str
    detail: str

    def text(self) -> str:
        """ "<reason>: <detail>", the acknowledgement's detail."""
        return f"{self.reason}: {self.detail}"


@dataclass
class AuditBudget:
    """Token bucket for audit rows of unverified refusals: a flood of forged commands is still
    counted one by one, but writes at most `burst` rows at once and `per_s` rows a second after,
    so it cannot crowd the store writer's queue. `allow()` → True if this one may be audited."""

    burst: float = 20.0
    per_s: float = 1.0
    tokens: float = 20.0
    suppressed: int = 0
    _at: float = field(default_factory=time.monotonic)

    def allow(self) -> bool:
        """Take a token if there is one; count a suppressed row otherwise."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self._at) * self.per_s)
        self._at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        self.suppressed += 1
        return False


class CommandGuard:
    """Authenticates and time-checks commands for one engine. `clock`: () → aware UTC (wall clock)."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = wall_clock) -> None:
        self.path: Path = settings.effective_operators_file()
        self.instance = settings.instance
        self.clock = clock
        self.max_ttl = timedelta(seconds=settings.command_max_ttl_s)
        self.skew = timedelta(seconds=settings.command_clock_skew_s)
        self.keys: dict = {}
        self.load_error = ""
        self._stamp: tuple | bool | None = False  # False: never read
        self.reload()

    def reload(self) -> None:
        """Re-read the authorized-operators file if it changed; an unsafe or bad file authorises nobody."""
        try:
            info = self.path.stat()
            stamp = (info.st_ino, info.st_mtime_ns, info.st_size, info.st_mode, info.st_uid)
        except FileNotFoundError:
            stamp = None
        if stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            self.keys, self.load_error = load_authorized(self.path), ""
        except (OperatorError, OSError) as exc:
            self.keys, self.load_error = {}, str(exc)
            log.error("operators.refused", path=str(self.path), error=self.load_error)
            return
        if not self.keys:
            log.warning("operators.none", path=str(self.path), hint="arbees-engine operator add NAME")
        else:
            log.info("operators.loaded", path=str(self.path), operators=sorted(self.keys))

    def authenticate(self, cmd: Command) -> Refusal | None:
        """None when `cmd` is signed by the key of the operator it names; else the refusal."""
        self.reload()
        if not cmd.signature:
            return Refusal("unsigned", "commands must be signed with an operator key (arbees-engine operator add)")
        if self.load_error:
            return Refusal("operators_file_unsafe", f"authorized operators not loaded: {self.load_error}")
        public = self.keys.get(cmd.operator)
        if public is None:
            return Refusal("unknown_operator", f"operator {cmd.operator!r} is not in {self.path}")
        if not signature_valid(cmd, self.instance, public):
            return Refusal(
                "bad_signature",
                f"signature does not verify with {cmd.operator!r}'s public key for instance {self.instance!r}",
            )
        return None

    def freshness(self, cmd: Command) -> Refusal | None:
        """None while `cmd` may still run by the wall clock; else the refusal (stale or malformed times)."""
        now = self.clock()
        if cmd.expires_at is None:
            return Refusal("no_expiry", "command has no expires_at")
        if cmd.expires_at - cmd.issued_at > self.max_ttl:
            return Refusal(
                "ttl_too_long",
                f"valid {(cmd.expires_at - cmd.issued_at).total_seconds():g} s, "
                f"more than the {self.max_ttl.total_seconds():g} s allowed",
            )
        if cmd.issued_at > now + self.skew:
            return Refusal(
                "issued_in_future",
                f"issued {(cmd.issued_at - now).total_seconds():.1f} s ahead of the "
                f"engine's clock (allowed skew {self.skew.total_seconds():g} s)",
            )
        if now > cmd.expires_at:
            return Refusal(
                "expired",
                f"expired {(now - cmd.expires_at).total_seconds():.1f} s ago "
                f"(at {cmd.expires_at.isoformat()}); not run",
            )
        return None
