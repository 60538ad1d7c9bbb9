"""Signals, orders, fills, positions and bankroll: venue-neutral domain types.

Money is Decimal dollars; `contracts` are exact Decimal counts on the market's contract step
(`Market.contract_step`: 1 for whole-contract markets, 0.01 where the venue trades fractions;
model/contracts.py). Ints still compare and add exactly, so whole counts read as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from .money import ZERO
from .venue import Side, Venue


class Mode(StrEnum):
    """Engine trading mode (ARCHITECTURE.md, "Kill switch and modes")."""

    AUTO = "auto"
    MANUAL = "manual"
    HALTED = "halted"


class SignalKind(StrEnum):
    """EDGE: model vs executable price on one venue. ARB: YES on one venue + NO on the other."""

    EDGE = "edge"
    ARB = "arb"


class Decision(StrEnum):
    """What became of a signal."""

    PENDING = "pending"  # manual mode: waiting for the operator
    APPROVED = "approved"  # risk passed (and operator approved in manual mode); sent to execution
    REJECTED = "rejected"  # risk gate refused; `reason` says which check
    OPERATOR_REJECTED = "operator_rejected"
    EXPIRED = "expired"
    EXECUTED = "executed"  # at least one fill
    UNFILLED = "unfilled"  # IOC found no liquidity at the limit


@dataclass(frozen=True, slots=True)
class Leg:
    """One order a signal wants: buy `contracts` (Decimal, on the market's step) of `side` on
    `market_id` at up to `limit_price` dollars."""

    market_id: str
    venue: Venue
    side: Side
    limit_price: Decimal
    contracts: Decimal


@dataclass(slots=True)
class Signal:
    """A trade idea from the strategy.

    model_prob: the probability the signal used that the leg's `side` pays (0..1, float): the
      model's, shrunk toward the market mid (pricing.blend_detail).
    market_prob: the market's mid for that side (0..1), for the record.
    raw_model_prob: the sport model's own probability for that side before the shrinkage (0..1),
      None for ARB (no model involved). market_weight: the shrink weight w actually used (0..1).
    edge: expected value per contract after fees, in dollars (model_prob − price − fee/contract);
      for ARB, $1 − total cost per pair after fees.
    stake_fraction: fraction of the bankroll the sizing staked, k·f* (the settings' Kelly multiplier
      `kelly_fraction` k times the full-Kelly fraction f*; strategy/sizing.py), 0..1.
    version: bumped on every change, so an operator's approve acts on what they saw.
    """

    signal_id: str
    kind: SignalKind
    game_id: str
    legs: tuple[Leg, ...]
    model_prob: float
    market_prob: float
    edge: Decimal
    created_at: datetime
    expires_at: datetime | None = None
    stake_fraction: float = 0.0
    raw_model_prob: float | None = None
    market_weight: float = 0.0
    decision: Decision = Decision.PENDING
    reason: str = ""
    version: int = 1

    @property
    def contracts(self) -> Decimal:
        """Contracts on the first leg (both legs of an ARB are equal); 0 without legs."""
        return self.legs[0].contracts if self.legs else ZERO

    @property
    def cost(self) -> Decimal:
        """Worst-case notional in dollars before fees: Σ limit_price × contracts."""
        return sum((leg.limit_price * leg.contracts for leg in self.legs), ZERO)


class OrderStatus(StrEnum):
    """Order lifecycle. IOC orders end FILLED, PARTIAL (rest cancelled), CANCELLED or REJECTED."""

    INTENT = "intent"  # written to the store, not yet sent
    SENT = "sent"
    FILLED = "filled"
    PARTIAL = "partial"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


@dataclass(slots=True)
class Order:
    """An immediate-or-cancel limit buy of `contracts` (Decimal, on the market's step), of which
    `filled_contracts` filled. `client_order_id` is unique forever (store enforces it)."""

    client_order_id: str
    signal_id: str
    market_id: str
    venue: Venue
    side: Side
    limit_price: Decimal
    contracts: Decimal
    created_at: datetime
    status: OrderStatus = OrderStatus.INTENT
    filled_contracts: Decimal = ZERO
    venue_order_id: str | None = None
    paper: bool = True
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution: `contracts` (Decimal, e.g. 2.50 on a fractional market) at `price` dollars,
    `fee` dollars. `fill_id` is unique forever."""

    fill_id: str
    client_order_id: str
    market_id: str
    venue: Venue
    side: Side
    price: Decimal
    contracts: Decimal
    fee: Decimal
    filled_at: datetime

    @property
    def notional(self) -> Decimal:
        """price × contracts, dollars."""
        return self.price * self.contracts


@dataclass(slots=True)
class Position:
    """Holdings of one contract side in one market.

    contracts: open contracts (Decimal ≥ 0, on the market's step; we only buy, and exit by settlement).
    cost: dollars paid for the open contracts (excluding fees); avg_price = cost / contracts.
    realized_pnl: dollars realised by settlement, GROSS of fees (payout − cost); fees: dollars paid
      in fees. Anything net of fees says `net` in its name (portfolio.py, "Naming convention").
    """

    market_id: str
    venue: Venue
    game_id: str
    side: Side
    contracts: Decimal = ZERO
    cost: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO
    settled: bool = False
    mark: Decimal | None = None

    @property
    def avg_price(self) -> Decimal:
        """Average entry price in dollars, 0 when flat."""
        return (self.cost / self.contracts) if self.contracts else ZERO

    @property
    def unrealized_pnl(self) -> Decimal:
        """(mark − avg) × contracts in dollars; 0 without a mark."""
        if self.mark is None or not self.contracts:
            return ZERO
        return self.mark * self.contracts - self.cost


@dataclass(slots=True)
class Bankroll:
    """Cash account, dollars. Invariant: cash = starting + realized_pnl − fees − open cost.

    realized_pnl is gross of fees (Σ settlement payout − cost); `fees` are every fee paid.
    """

    starting: Decimal
    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO
    open_cost: Decimal = ZERO
    version: int = 0
    extra: dict[str, Decimal] = field(default_factory=dict)

    @property
    def equity(self) -> Decimal:
        """starting + realized P&L − fees: the bankroll identity, in dollars."""
        return self.starting + self.realized_pnl - self.fees

    @property
    def available(self) -> Decimal:
        """Cash free for new orders: equity − cost of open positions."""
        return self.equity - self.open_cost
