"""The entity views of the bus — the desk's picture of engine state (games, quotes, signals,
orders, fills, positions, bankroll, engine status, audit lines) — and the field types every bus
message shares. `arbees_engine.bus.messages` re-exports all of it; import from there.

Money fields are Decimal dollars, sent as strings ("0.56") so they stay exact; quantities
(`Contracts`) are Decimal contracts with at most 2 places, sent as decimal strings ("2.5", "25";
a fractional market trades 0.01 contracts) and read from strings or, as senders before fractional
contracts wrote them, ints; probabilities are floats in 0..1; times are timezone-aware UTC
datetimes sent as ISO-8601 strings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field, PlainSerializer

Dollars = Decimal
Prob = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Price = Annotated[Decimal, Field(ge=0, le=1)]


def _as_utc(moment: datetime) -> datetime:
    """A timestamp without a zone is UTC (the bus's convention); any other is converted to UTC, so
    a reader never compares naive with aware times."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


def format_contracts(contracts: Decimal | int) -> str:
    """A quantity as the bus sends it and the desk shows it: "2" for whole counts (also 2.00),
    "2.5" / "0.05" for fractions; trailing zeros dropped, never an exponent."""
    dec = Decimal(contracts)
    if dec == dec.to_integral_value():
        return f"{dec:.0f}"
    return f"{dec.normalize():f}"


#: Contracts on the bus: a Decimal 0..10^9 with at most 2 places (Kalshi's 0.01 granularity).
#: Sent as a decimal string (`format_contracts`); an int or a string decodes.
Contracts = Annotated[
    Decimal,
    Field(ge=0, le=10**9, decimal_places=2, allow_inf_nan=False),
    PlainSerializer(format_contracts, return_type=str, when_used="json"),
]


class _Msg(BaseModel):
    """Base of every bus message: immutable, unknown fields ignored (newer senders decode)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


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
    """One leg of a signal: buy `contracts` (Contracts) of `side` on `market_id` up to
    `limit_price` dollars."""

    market_id: str
    venue: str
    side: str
    limit_price: Price
    contracts: Contracts


class SignalView(_Msg):
    """A signal and its decision. edge: dollars per contract after fees. `version` guards approvals.

    model_prob: probability (0..1) the signal traded on for its side, i.e. the model shrunk toward
    the mid; raw_model_prob: the sport model's own probability before shrinkage (None for ARB);
    market_weight: the shrink weight used (0..1); market_prob: the market mid for that side.
    stake_fraction: fraction of the bankroll the sizing staked, k·f* (0..1); sent before issue 12
    as `kelly_fraction`, a name that now means only the settings' multiplier k. The old key still
    decodes, and `kelly_fraction` reads stake_fraction, for one release.
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
    stake_fraction: float = Field(0.0, validation_alias=AliasChoices("stake_fraction", "kelly_fraction"))
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

    @property
    def kelly_fraction(self) -> float:
        """Old name of `stake_fraction` (k·f*), kept for one release for readers of the old field."""
        return self.stake_fraction


class OrderView(_Msg):
    """An IOC order. Prices in dollars; contracts and filled_contracts are Contracts."""

    kind: Literal["order"] = "order"
    client_order_id: str
    signal_id: str
    market_id: str
    venue: str
    side: str
    limit_price: Price
    contracts: Contracts
    filled_contracts: Contracts
    status: str
    paper: bool
    reason: str = ""
    created_at: UtcDatetime

    @property
    def key(self) -> str:
        """Snapshot key of this view within its kind."""
        return self.client_order_id


class FillView(_Msg):
    """A fill: `contracts` (Contracts, e.g. 2.5) at `price` dollars with `fee` dollars."""

    kind: Literal["fill"] = "fill"
    fill_id: str
    client_order_id: str
    market_id: str
    venue: str
    side: str
    price: Price
    contracts: Contracts
    fee: Decimal
    filled_at: UtcDatetime

    @property
    def key(self) -> str:
        """Snapshot key of this view within its kind."""
        return self.fill_id


class PositionView(_Msg):
    """A position. contracts: Contracts held; avg_price/mark dollars; P&L dollars."""

    kind: Literal["position"] = "position"
    position_id: str
    market_id: str
    venue: str
    game_id: str
    side: str
    contracts: Contracts
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
    """Bankroll in dollars. equity = starting + realized_pnl − fees (the bankroll identity).

    realized_pnl is gross of fees (settlement payout − cost); day_net_pnl is today's realized P&L
    net of fees (since UTC midnight), sent before issue 12 as `day_realized_pnl`: the old key still
    decodes, and `day_realized_pnl` reads day_net_pnl, for one release. day_fees: fees paid since
    UTC midnight (engine clock), dollars; None from an engine too old to send it.
    """

    kind: Literal["bankroll"] = "bankroll"
    starting: Decimal
    equity: Decimal
    available: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    fees: Decimal
    open_exposure: Decimal
    day_net_pnl: Decimal = Field(validation_alias=AliasChoices("day_net_pnl", "day_realized_pnl"))
    updated_at: UtcDatetime
    day_fees: Decimal | None = None

    @property
    def key(self) -> str:
        """Snapshot key of this view within its kind."""
        return "bankroll"

    @property
    def day_realized_pnl(self) -> Decimal:
        """Old name of `day_net_pnl` (net of fees), kept for one release for readers such as the desk."""
        return self.day_net_pnl


class LatencyView(_Msg):
    """Latency percentiles of one pipeline stage, milliseconds, over the last `count` samples."""

    p50_ms: float
    p95_ms: float
    p99_ms: float
    count: int


class FeedView(_Msg):
    """One venue's book feed (adapters/watchdog.py FeedStatus).

    state: "down" (no connection), "live" or "silent k/n" (k of n subscribed markets silent past
    the watchdog's bound, being checked); last_message_age_s: seconds since any frame (None before
    the first); market_age_s: market id ("kalshi:<ticker>", "polymarket:<YES token>") → seconds
    since its last book message (None before the first); counts: the watchdog's steps
    ("rest_checks", "quiet_ok", "book_moved", "resubscribes", "reconnects", "recovered", "pings",
    "pongs", "pong_timeouts", ...) and the stream's resync counters ("resyncs", "hash_ok",
    "hash_mismatch", "hash_mid_trade", "hash_unverifiable", "book_mismatch", "seq_gap", ...).
    """

    state: str
    last_message_age_s: float | None = None
    market_age_s: dict[str, float | None] = Field(default_factory=dict)
    counts: dict[str, int] = Field(default_factory=dict)


class EngineStatus(_Msg):
    """The engine's own state: mode, kill switch, health, counters, rejections, latencies.

    engine_now: the engine's clock when it wrote this (simulated time under `--venue sim`), so a
    reader counts signal expiry on the clock `expires_at` is on. trading: per venue whether orders
    are real ("live"), paper against real books ("paper") or on the simulated venue ("sim"); "live
    halted: <why>" when a live venue refuses new orders (Polymarket heartbeats failing or stopped).
    venue_feeds: per venue the health of its books ("ok", "stale k/n" when k of n books are stale,
    "down" when all are, "unknown" without markets). exposure_by_game/_sport: dollars at cost of
    open positions, to hold against limits max_game_exposure/max_sport_exposure. naked_exposure:
    arbitrage legs left unhedged after the legged policy ran, until their positions close.
    "down" when all are, "unknown" without markets). feeds: per streaming venue its FeedView
    (connection state, each market's last update age, watchdog counters). exposure_by_game/_sport: dollars at cost of
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
    trading: dict[str, str] = Field(default_factory=dict)  # venue → "paper" | "live" | "live halted: …" | "sim"
    venue_feeds: dict[str, str] = Field(default_factory=dict)  # venue → "ok" | "stale k/n" | "down" | "unknown"
    feeds: dict[str, FeedView] = Field(default_factory=dict)  # venue → its websocket feed (streaming venues only)
    exposure_by_game: dict[str, Decimal] = Field(default_factory=dict)  # game_id → dollars at cost
    exposure_by_sport: dict[str, Decimal] = Field(default_factory=dict)  # sport → dollars at cost
    # signal_id → an arbitrage leg left unhedged ("3 YES kalshi:X ≤$0.55 since 12:00:01Z (hold: …)"),
    # shown until its position closes (execution/legs.py)
    naked_exposure: dict[str, str] = Field(default_factory=dict)
    # venue → {aspect: state string}, e.g. {"kalshi": {"ws": "auth_failed", "paused": "rate_limit"}}:
    # the place further per-venue health goes (feed health, heartbeats, pauses); "ok", "live" and
    # "open" are healthy. node/status.py fills "ws" (FeedView.state) and any adapter's venue_states().
    # The desk's header shows every aspect of every venue, next to venue_feeds ("feed").
    venue_states: dict[str, dict[str, str]] = Field(default_factory=dict)
    resume_mode: str = ""  # the operator's chosen mode, the one a resume returns to ("": not reported)

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
