"""Every message that crosses the Redis bus, as pydantic models, and their msgpack codec.

Layout in Redis for engine instance `I` (all keys under `arbees:I:`; see `BusKeys`):
  snapshot   hash: "<kind>:<id>" → packed view; "engine" → EngineStatus; "last_event_id" → stream id
  events     stream, capped: fields {"k": kind, "d": packed payload}; ids are assigned by the engine
             (single writer) so that the snapshot and the event are written in one MULTI/EXEC
  audit      list, newest first, capped: packed AuditView
  commands   stream read by the engine's consumer group "engine": fields {"d": packed Command}
  heartbeat  string with a short TTL: packed Heartbeat

Money fields are Decimal dollars, sent as strings ("0.56") so they stay exact; probabilities are
floats in 0..1; times are timezone-aware UTC datetimes sent as ISO-8601 strings.
This module imports neither Textual nor any engine internals, so both sides can import it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Literal, Union

import msgpack
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

# The entity views and shared field types live in views.py (this module stays under 400 lines);
# they are re-exported here, the one place both sides import bus messages from.
from .views import (  # noqa: F401 - re-exported
    AuditView,
    BankrollView,
    Contracts,
    Dollars,
    EngineStatus,
    FeedView,
    FillView,
    GameView,
    LatencyView,
    LegView,
    OrderView,
    PositionView,
    Price,
    Prob,
    QuoteView,
    SignalView,
    UtcDatetime,
    _Msg,
    format_contracts,
)

HEARTBEAT_TTL_S = 5.0
HEARTBEAT_INTERVAL_S = 1.0
EVENTS_MAXLEN = 100_000
AUDIT_MAXLEN = 1_000
COMMAND_GROUP = "engine"


class BusError(ValueError):
    """Raised when bytes on the bus are not a valid message (bad msgpack, failed validation)."""


def utcnow() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(UTC)


class BusKeys:
    """Redis key names for one engine instance: `BusKeys("default").events` → "arbees:default:events"."""

    def __init__(self, instance: str) -> None:
        if not instance or any(c in instance for c in " :\n"):
            raise ValueError(f"instance name {instance!r} must be non-empty without spaces or ':'")
        self.instance = instance
        prefix = f"arbees:{instance}:"
        self.snapshot = prefix + "snapshot"
        self.events = prefix + "events"
        self.audit = prefix + "audit"
        self.commands = prefix + "commands"
        self.heartbeat = prefix + "heartbeat"


class Removed(_Msg):
    """An entity left the snapshot (e.g. a finished game's quotes). `entity_kind` is a view's kind."""

    kind: Literal["removed"] = "removed"
    entity_kind: str
    entity_id: str

    @property
    def key(self) -> str:
        """Snapshot key of this view within its kind."""
        return f"{self.entity_kind}:{self.entity_id}"


class Resync(_Msg):
    """The engine rewrote the whole snapshot (after a Redis outage or an event backlog overflow):
    a reader must reload the snapshot and tail from its `last_event_id`."""

    kind: Literal["resync"] = "resync"
    reason: str = ""

    @property
    def key(self) -> str:
        """Snapshot key of this view within its kind."""
        return "resync"


class CommandAction(StrEnum):
    """Operator actions (ARCHITECTURE.md, "Commands")."""

    KILL = "kill"
    RESUME = "resume"
    APPROVE = "approve"
    REJECT = "reject"
    SET_MODE = "set_mode"


class Command(_Msg):
    """An operator command, signed by the operator's key (bus/signing.py gives the encoding).

    command_id: unique nonce; a repeated id is answered again, never re-run. operator: the
    signing key's name. issued_at/expires_at: the engine refuses it after expires_at (wall clock).
    signal_id/signal_version: for approve/reject, the signal as the operator saw it.
    mode: for set_mode, "auto" or "manual". signature: base64 Ed25519 ("" = unsigned, refused).
    """

    command_id: str
    operator: str
    issued_at: UtcDatetime
    action: CommandAction
    reason: str = ""
    signal_id: str | None = None
    signal_version: int | None = None
    mode: str | None = None
    expires_at: UtcDatetime | None = None
    signature: str = ""


class CommandAck(_Msg):
    """The engine's answer to a command: ok, and `outcome` ("done", "refused", "failed") with detail.
    `operator`: the verified owner of the signing key ("" when the signature did not verify)."""

    kind: Literal["ack"] = "ack"
    command_id: str
    action: str
    ok: bool
    outcome: str
    detail: str = ""
    operator: str = ""
    acked_at: UtcDatetime

    @property
    def key(self) -> str:
        """Snapshot key of this view within its kind."""
        return self.command_id


class Heartbeat(_Msg):
    """Engine liveness: written every HEARTBEAT_INTERVAL_S with a HEARTBEAT_TTL_S expiry."""

    instance: str
    pid: int
    seq: int
    ts: UtcDatetime
    mode: str
    kill_engaged: bool


BusEvent = Annotated[
    Union[
        GameView,
        QuoteView,
        SignalView,
        OrderView,
        FillView,
        PositionView,
        BankrollView,
        EngineStatus,
        AuditView,
        Removed,
        CommandAck,
        Resync,
    ],
    Field(discriminator="kind"),
]
_EVENT_ADAPTER: TypeAdapter[BusEvent] = TypeAdapter(BusEvent)

#: Kinds kept in the snapshot hash, keyed "<kind>:<key>".
SNAPSHOT_KINDS = ("game", "quote", "signal", "position", "order", "bankroll", "engine")


def pack(message: BaseModel) -> bytes:
    """Encode a model as msgpack of its JSON-mode dump (Decimals become exact strings)."""
    return msgpack.packb(message.model_dump(mode="json"), use_bin_type=True)


def unpack_event(data: bytes) -> BusEvent:
    """Decode one packed entity/event. Raises BusError on bad msgpack or validation failure."""
    try:
        return _EVENT_ADAPTER.validate_python(msgpack.unpackb(data, raw=False))
    except (ValueError, ValidationError, msgpack.ExtraData, msgpack.FormatError, TypeError) as exc:
        raise BusError(f"bad bus event: {exc}") from exc


def unpack_as(model: type[_Msg], data: bytes) -> _Msg:
    """Decode packed bytes into `model` (Command, Heartbeat, ...). Raises BusError."""
    try:
        return model.model_validate(msgpack.unpackb(data, raw=False))
    except (ValueError, ValidationError, msgpack.ExtraData, msgpack.FormatError, TypeError) as exc:
        raise BusError(f"bad {model.__name__}: {exc}") from exc


def snapshot_field(view: BaseModel) -> str:
    """Snapshot hash field name for a view: "<kind>:<key>"."""
    return f"{view.kind}:{view.key}"  # type: ignore[attr-defined]
