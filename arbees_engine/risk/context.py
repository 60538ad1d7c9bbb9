"""What the risk gate looks at: the engine's current state, assembled by the orchestrator."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from arbees_engine.model import Market, Mode, Order, OrderBook, Side, Signal, Sport
from arbees_engine.portfolio import Portfolio


class Commitment(NamedTuple):
    """One leg counted against the limits before it is held: `contracts` on (market_id, side) in
    game_id (None: unknown), costing at most `cost` dollars (limit price × contracts, before fees)."""

    game_id: str | None
    market_id: str
    side: Side
    contracts: Decimal
    cost: Decimal


def commitments(
    reserved: Iterable[Signal], unresolved_orders: Iterable[Order], markets: Mapping[str, Market]
) -> tuple[Commitment, ...]:
    """Every leg that may still become a position but is not in the portfolio: each leg of a
    reserved (approved, unrun) signal and each live order whose outcome is unknown, at its worst
    case (all contracts at the limit, dollars). The one definition the risk gate and Kelly sizing
    share.

    game_id comes from the signal, or for an order from its market in `markets`; an order on a
    market no longer in `markets` has game_id None (it still counts against the position and
    balance limits, but against no game or sport). Never raises.
    """
    legs = [
        Commitment(s.game_id, leg.market_id, leg.side, leg.contracts, leg.limit_price * leg.contracts)
        for s in reserved
        for leg in s.legs
    ]
    for order in unresolved_orders:
        market = markets.get(order.market_id)
        legs.append(
            Commitment(
                market.game_id if market is not None else None,
                order.market_id,
                order.side,
                order.contracts,
                order.limit_price * order.contracts,
            )
        )
    return tuple(legs)


@dataclass(slots=True)
class RiskContext:
    """Snapshot of engine state for one risk decision.

    mode: engine mode; kill_engaged: kill switch state; now: decision time (UTC, aware).
    portfolio: positions and bankroll. markets: market_id → Market (its game_id, outcome).
    game_sports: game_id → Sport. books: market_id → OrderBook (staleness, price re-check).
    game_observed_at: game_id → when its latest GameState was received.
    last_trade_at: game_id → time of our last trade in that game (cooldown).
    store_ok / bus_ok: PostgreSQL / Redis reachable; either down → no new positions.
    reserved: signals approved but not yet executed; their worst-case cost and contracts count
      against the exposure, position and balance limits as if already held.
    unresolved_orders: live orders whose outcome is unknown (sent, may have filled; the executor's
      `unresolved`); each counts at its worst case, every contract filled at its limit, against the
      same limits until it is resolved. Both are read through `commitments()`.
    """

    mode: Mode
    kill_engaged: bool
    now: datetime
    portfolio: Portfolio
    markets: Mapping[str, Market]
    game_sports: Mapping[str, Sport]
    books: Mapping[str, OrderBook]
    game_observed_at: Mapping[str, datetime] = field(default_factory=dict)
    last_trade_at: Mapping[str, datetime] = field(default_factory=dict)
    store_ok: bool = True
    bus_ok: bool = True
    reserved: tuple[Signal, ...] = ()
    unresolved_orders: tuple[Order, ...] = ()

    def commitments(self) -> tuple[Commitment, ...]:
        """Every leg that may still become a position but is not in the portfolio (`commitments`)."""
        return commitments(self.reserved, self.unresolved_orders, self.markets)


@dataclass(frozen=True, slots=True)
class RiskVerdict:
    """ok: the signal may proceed; reason: first failing check ("" when ok); reasons: all failures."""

    ok: bool
    reason: str = ""
    reasons: tuple[str, ...] = ()
