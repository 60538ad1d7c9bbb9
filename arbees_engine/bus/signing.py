"""Operator command signatures: Ed25519 over a canonical encoding of the command.

Encoding (version 1), exactly:

    b"arbees-command-v1\\n" + instance (UTF-8) + b"\\n" + canonical JSON

The canonical JSON is the object of every `Command` field except `signature` (action,
command_id, expires_at, issued_at, mode, operator, reason, signal_id, signal_version), keys
sorted, separators "," and ":", ASCII only (non-ASCII as \\uXXXX), no whitespace; absent
optional fields are JSON null; `action` is its string value; times are UTC written
"YYYY-MM-DDTHH:MM:SS.ffffffZ" (always six fraction digits). The instance is bound in so a
command signed for one engine cannot be replayed on another. The signature is the 64-byte
Ed25519 signature (RFC 8032, via `cryptography`) in standard base64 with padding.

Time: `expires_at = issued_at + ttl` (DEFAULT_TTL_S). The engine checks both against its wall
clock, so the desk's and the engine's clocks are assumed synchronised (one machine, or NTP)
within CLOCK_SKEW_S; a sender reports a command as timed out only once its expiry has passed by
that allowance too, when the engine can no longer accept it.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .messages import Command

DEFAULT_TTL_S = 10.0
CLOCK_SKEW_S = 2.0
MAX_TTL_S = 60.0
DOMAIN = b"arbees-command-v1\n"
_SIGNED_FIELDS = (
    "action",
    "command_id",
    "expires_at",
    "issued_at",
    "mode",
    "operator",
    "reason",
    "signal_id",
    "signal_version",
)


def _utc_text(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(command: Command, instance: str) -> bytes:
    """The exact bytes a signature covers (module docstring) for `command` on engine `instance`."""
    fields: dict[str, object] = {}
    for name in _SIGNED_FIELDS:
        value = getattr(command, name)
        if isinstance(value, datetime):
            value = _utc_text(value)
        elif name == "action":
            value = value.value
        fields[name] = value
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return DOMAIN + instance.encode("utf-8") + b"\n" + body.encode("ascii")


def public_key_text(public: Ed25519PublicKey) -> str:
    """The 32 raw public-key bytes in standard base64 (what operators.toml stores)."""
    from cryptography.hazmat.primitives import serialization

    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def parse_public_key(text: str) -> Ed25519PublicKey:
    """Inverse of `public_key_text`. Raises ValueError for anything but 32 base64 bytes."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"public key is not base64: {exc}") from exc
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key has 32 bytes, not {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True)
class OperatorKey:
    """An operator's private signing key; `name` is what the engine knows the public key by."""

    name: str
    private: Ed25519PrivateKey

    @property
    def public_text(self) -> str:
        """Base64 public key (for operators.toml)."""
        return public_key_text(self.private.public_key())

    def sign(self, command: Command, instance: str) -> Command:
        """`command` with operator = this key's name and its signature for `instance` filled in."""
        named = command.model_copy(update={"operator": self.name, "signature": ""})
        signature = self.private.sign(canonical_bytes(named, instance))
        return named.model_copy(update={"signature": base64.b64encode(signature).decode("ascii")})

    def new_command(self, instance: str, now: datetime, ttl_s: float = DEFAULT_TTL_S, **fields: object) -> Command:
        """A signed Command issued at `now` (aware UTC) expiring `ttl_s` seconds later; `fields` are
        the Command's command_id, action and arguments."""
        command = Command(operator=self.name, issued_at=now, expires_at=now + timedelta(seconds=ttl_s), **fields)
        return self.sign(command, instance)


def signature_valid(command: Command, instance: str, public: Ed25519PublicKey) -> bool:
    """True when `command.signature` is `public`'s Ed25519 signature of its canonical bytes."""
    try:
        signature = base64.b64decode(command.signature, validate=True)
        public.verify(signature, canonical_bytes(command, instance))
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def timed_out(command: Command, now: datetime, skew_s: float = CLOCK_SKEW_S) -> bool:
    """True once no engine whose clock is within `skew_s` of `now` can still accept `command`:
    only then may a sender say "timed out". A command without expiry is timed out at once."""
    if command.expires_at is None:
        return True
    return now > command.expires_at + timedelta(seconds=skew_s)
