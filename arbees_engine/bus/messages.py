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

from datetime import datetime, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Union

import msgpack
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

Dollars = Decimal
Prob = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Price = Annotated[Decimal, Field(ge=0, le=1)]


def _as_utc(moment: datetime) -> datetime:
    """A timestamp without a zone is UTC (the bus's convention); any other is converted to UTC, so
    a reader never compares naive with aware times."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]

HEARTBEAT_TTL_S = 5.0
HEARTBEAT_INTERVAL_S = 1.0
EVENTS_MAXLEN = 100_000
AUDIT_MAXLEN = 1_000
COMMAND_GROUP = "engine"


class BusError(ValueError):
    """Raised when bytes on the bus are not a valid message (bad msgpack, failed validation)."""


def utcnow() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


class _Msg(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


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


# --- entity views: the desk's picture of engine state -------------------------------------------


class GameView(_Msg):
    """A game as the desk shows it. clock_s: seconds left in the period; model_p_home: 0..1.

    pregame_home_prob: the pre-game prior P(home wins) 0..1 the model uses (None: the league's
    home rate); prior_source: where it came from ("spread", "feed", "market", "").
    """

    kind: Literal["game"] = "game"
    game_id: str
    sport: str
    league: str
    home: str
    away: str
    home_score: int
    away_score: int
    period: int
    clock_s: float
    status: str
    model_p_home: Prob | None = None
    pregame_home_prob: Prob | None = None
    prior_source: str = ""
    updated_at: UtcDatetime
    # the sport's own clock (defaults keep older engines' games decodable)
    inning_half: str | None = None  # baseball: "top" | "bottom"
    outs: int | None = None  # baseball: outs in the half-inning, 0..2
    added_time_s: float = 0.0  # soccer: seconds played in the half's added time

    @property
    def key(self) -> str:
        """Snapshot key of this view within its kind."""
        return self.game_id


class QuoteView(_Msg):
    """One market and its top of book (YES contract, dollars). `stale`: not usable for signals.

    A market the matcher refused is still shown ("watched": game_id "", never traded) with the
    refusal in `note`, e.g. "unmatched: no_game".
    """

    kind: Literal["quote"] = "quote"
    market_id: str
    venue: str
    game_id: str
    outcome: str
    yes_team: str | None
    title: str = ""
    yes_bid: Price | None = None
    yes_ask: Price | None = None
    yes_bid_size: Decimal | None = None
    yes_ask_size: Decimal | None = None
    seq: int | None = None
    stale: bool = False
    simulated: bool = False
    note: str = ""
    updated_at: UtcDatetime

    @property
    def key(self) -> str:
        """Snapshot key of this view within its kind."""
        return self.market_id

    @property
    def mid(self) -> Decimal | None:
        """(bid + ask) / 2 in dollars, or None."""
        if self.yes_bid is None or self.yes_ask is None:
            return None
        return (self.yes_bid + self.yes_ask) / 2


class LegView(_Msg):
    """One leg of a signal: buy `contracts` of `side` on `market_id` up to `limit_price` dollars."""

    market_id: str
    venue: str
    side: str
    limit_price: Price
    contracts: int


class SignalView(_Msg):
    """A signal and its decision. edge: dollars per contract after fees. `version` guards approvals.

    model_prob: probability (0..1) the signal traded on for its side, i.e. the model shrunk toward
    the mid; raw_model_prob: the sport model's own probability before shrinkage (None for ARB);
    market_weight: the shrink weight used (0..1); market_prob: the market mid for that side.
    """

    kind: Literal["signal"] = "signal"
    signal_id: str
    version: int
    signal_kind: str
    game_id: str
    legs: list[LegView]
    model_prob: Prob
    market_prob: Prob
    edge: Decimal
    kelly_fraction: float = 0.0
    raw_model_prob: Prob | None = None
    market_weight: Prob = 0.0
    decision: str
    reason: str = ""
    created_at: UtcDatetime
    expires_at: UtcDatetime | None = None

    @property
    def key(self) -> str:
        """Snapshot key of this view within its kind."""
        return self.signal_id


class OrderView(_Msg):
    """An IOC order. Prices in dollars."""

    kind: Literal["order"] = "order"
    client_order_id: str
    signal_id: str
    market_id: str
    venue: str
    side: str
    limit_price: Price
    contracts: int
    filled_contracts: int
    status: str
    paper: bool
    reason: str = ""
    created_at: UtcDatetime

    @property
    def key(self) -> str:
        """Snapshot key of this view within its kind."""
        return self.client_order_id


class FillView(_Msg):
    """A fill: `contracts` at `price` dollars with `fee` dollars."""

    kind: Literal["fill"] = "fill"
    fill_id: str
    client_order_id: str
    market_id: str
    venue: str
    side: str
    price: Price
    contracts: int
    fee: Decimal
    filled_at: UtcDatetime

    @property
    def key(self) -> str:
        """Snapshot key of this view within its kind."""
        return self.fill_id


class PositionView(_Msg):
    """A position. avg_price/mark dollars; P&L dollars."""

    kind: Literal["position"] = "position"
    position_id: str
    market_id: str
    venue: str
    game_id: str
    side: str
    contracts: int
    avg_price: Decimal
    mark: Decimal | None = None
    unrealized_pnl: Decimal
    realized_pnl: Decimal
    fees: Decimal
    settled: bool = False

    @property
    def key(self) -> str:
        """Snapshot key of this view within its kind."""
        return self.position_id


class BankrollView(_Msg):
    """Bankroll in dollars. equity = starting + realized_pnl − fees (the bankroll identity)."""

    kind: Literal["bankroll"] = "bankroll"
    starting: Decimal
    equity: Decimal
    available: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    fees: Decimal
    open_exposure: Decimal
    day_realized_pnl: Decimal
    updated_at: UtcDatetime

    @property
    def key(self) -> str:
        """Snapshot key of this view within its kind."""
        return "bankroll"


class LatencyView(_Msg):
    """Latency percentiles of one pipeline stage, milliseconds, over the last `count` samples."""

    p50_ms: float
    p95_ms: float
    p99_ms: float
    count: int


class EngineStatus(_Msg):
    """The engine's own state: mode, kill switch, health, counters, rejections, latencies.

    engine_now: the engine's clock when it wrote this (simulated time under `--venue sim`), so a
    reader counts signal expiry on the clock `expires_at` is on. trading: per venue whether orders
    are real ("live"), paper against real books ("paper") or on the simulated venue ("sim").
    venue_feeds: per venue the health of its books ("ok", "stale k/n" when k of n books are stale,
    "down" when all are, "unknown" without markets). exposure_by_game/_sport: dollars at cost of
    open positions, to hold against limits max_game_exposure/max_sport_exposure.
    """

    kind: Literal["engine"] = "engine"
    instance: str
    mode: str
    kill_engaged: bool
    kill_reason: str = ""
    kill_operator: str = ""
    kill_at: UtcDatetime | None = None
    venues: list[str] = Field(default_factory=list)
    feed: str = ""
    store_ok: bool = True
    store_reason: str = ""  # why store_ok is False: PostgreSQL unreachable, or the writer's backlog (rows)
    bus_ok: bool = True
    started_at: UtcDatetime
    updated_at: UtcDatetime
    counts: dict[str, int] = Field(default_factory=dict)
    rejections: dict[str, int] = Field(default_factory=dict)
    latency: dict[str, LatencyView] = Field(default_factory=dict)
    limits: dict[str, str] = Field(default_factory=dict)
    # Fields the desk's header and risk view read; defaults keep older engines' statuses decodable.
    engine_now: UtcDatetime | None = None  # the engine's clock (simulated time in a sim): signal expiry runs on it
    trading: dict[str, str] = Field(default_factory=dict)  # venue → "paper" | "live" | "sim"
    venue_feeds: dict[str, str] = Field(default_factory=dict)  # venue → "ok" | "stale k/n" | "down" | "unknown"
    exposure_by_game: dict[str, Decimal] = Field(default_factory=dict)  # game_id → dollars at cost
    exposure_by_sport: dict[str, Decimal] = Field(default_factory=dict)  # sport → dollars at cost

    @property
    def key(self) -> str:
        """Snapshot key of this view within its kind."""
        return "engine"


class AuditView(_Msg):
    """One audit-log line: who (`actor`: operator name or "engine") did what, when."""

    kind: Literal["audit"] = "audit"
    audit_id: int | str
    ts: UtcDatetime
    actor: str
    action: str
    entity: str = ""
    detail: str = ""

    @property
    def key(self) -> str:
        """Snapshot key of this view within its kind."""
        return str(self.audit_id)


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
