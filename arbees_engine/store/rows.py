"""Conversions between database rows and domain types (arbees_engine.model).

NUMERIC columns come back as Decimal with the column's scale (0.56 reads as Decimal("0.560000"),
which compares equal to Decimal("0.56")). Timestamps are timezone-aware UTC.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..model import (
    Bankroll,
    Decision,
    FeeKind,
    FeeSchedule,
    Fill,
    Leg,
    Market,
    Order,
    OrderStatus,
    Outcome,
    Position,
    Side,
    Signal,
    SignalKind,
    Venue,
)
from ..model.contracts import check_step, format_contracts, parse_contracts


def json_dumps(value: Any) -> str:
    """JSON for jsonb columns; Decimal and datetime become strings so money stays exact."""
    return json.dumps(value, default=_json_default, separators=(",", ":"))


def _json_default(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


@dataclass(frozen=True, slots=True)
class BankrollRow:
    """The bankroll row, dollars. `applied` is False when a delta's ref had already been applied."""

    starting: Decimal
    realized_pnl: Decimal
    fees: Decimal
    version: int
    updated_at: datetime
    applied: bool = True

    @property
    def equity(self) -> Decimal:
        """starting + realized_pnl − fees, dollars."""
        return self.starting + self.realized_pnl - self.fees

    def to_bankroll(self, open_cost: Decimal = Decimal(0)) -> Bankroll:
        """Domain Bankroll with `open_cost` dollars tied up in open positions."""
        return Bankroll(self.starting, self.realized_pnl, self.fees, open_cost, self.version)


def bankroll_from_row(row: Mapping[str, Any], applied: bool = True) -> BankrollRow:
    """Build a BankrollRow from a `bankroll` table row."""
    return BankrollRow(row["starting"], row["realized_pnl"], row["fees"], row["version"], row["updated_at"], applied)


def legs_to_json(legs: tuple[Leg, ...]) -> list[dict[str, Any]]:
    """Signal legs as JSON-ready dicts (limit_price and contracts as exact decimal strings)."""
    return [
        {
            "market_id": leg.market_id,
            "venue": leg.venue.value,
            "side": leg.side.value,
            "limit_price": str(leg.limit_price),
            "contracts": format_contracts(leg.contracts),
        }
        for leg in legs
    ]


def legs_from_json(items: list[dict[str, Any]]) -> tuple[Leg, ...]:
    """Inverse of legs_to_json; `contracts` as a decimal string or, in rows written before
    fractional contracts, a JSON int. Raises QuantityError for anything else."""
    return tuple(
        Leg(
            i["market_id"],
            Venue(i["venue"]),
            Side(i["side"]),
            Decimal(i["limit_price"]),
            parse_contracts(i["contracts"], field="legs.contracts"),
        )
        for i in items
    )


def signal_row(signal: Signal) -> tuple[Any, ...]:
    """A signal as the `signals` columns in table order (signal_id, kind, game_id, legs JSON,
    model_prob, market_prob, edge Decimal dollars, stake_fraction, decision, reason, version,
    created_at, expires_at, raw_model_prob, market_weight). Probabilities, the shrink weight and
    the stake fraction are floats 0..1 (not money: `edge` and the legs' prices stay Decimal)."""
    return (
        signal.signal_id,
        signal.kind.value,
        signal.game_id,
        legs_to_json(signal.legs),
        float(signal.model_prob),
        float(signal.market_prob),
        signal.edge,
        float(signal.stake_fraction),
        signal.decision.value,
        signal.reason,
        signal.version,
        signal.created_at,
        signal.expires_at,
        None if signal.raw_model_prob is None else float(signal.raw_model_prob),
        float(signal.market_weight),
    )


def signal_from_row(row: Mapping[str, Any]) -> Signal:
    """Build a Signal from a `signals` row."""
    return Signal(
        signal_id=row["signal_id"],
        kind=SignalKind(row["kind"]),
        game_id=row["game_id"],
        legs=legs_from_json(row["legs"]),
        model_prob=row["model_prob"],
        market_prob=row["market_prob"],
        edge=row["edge"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        stake_fraction=row["stake_fraction"],
        decision=Decision(row["decision"]),
        reason=row["reason"],
        version=row["version"],
        raw_model_prob=row["raw_model_prob"],
        market_weight=row["market_weight"],
    )


def order_from_row(row: Mapping[str, Any]) -> Order:
    """Build an Order from an `orders` row."""
    return Order(
        client_order_id=row["client_order_id"],
        signal_id=row["signal_id"],
        market_id=row["market_id"],
        venue=Venue(row["venue"]),
        side=Side(row["side"]),
        limit_price=row["limit_price"],
        contracts=row["contracts"],
        created_at=row["created_at"],
        status=OrderStatus(row["status"]),
        filled_contracts=row["filled_contracts"],
        venue_order_id=row["venue_order_id"],
        paper=row["paper"],
        reason=row["reason"],
    )


def fill_from_row(row: Mapping[str, Any]) -> Fill:
    """Build a Fill from a `fills` row."""
    return Fill(
        fill_id=row["fill_id"],
        client_order_id=row["client_order_id"],
        market_id=row["market_id"],
        venue=Venue(row["venue"]),
        side=Side(row["side"]),
        price=row["price"],
        contracts=row["contracts"],
        fee=row["fee"],
        filled_at=row["filled_at"],
    )


def position_from_row(row: Mapping[str, Any]) -> Position:
    """Build a Position from a `positions` row."""
    return Position(
        market_id=row["market_id"],
        venue=Venue(row["venue"]),
        game_id=row["game_id"],
        side=Side(row["side"]),
        contracts=row["contracts"],
        cost=row["cost"],
        realized_pnl=row["realized_pnl"],
        fees=row["fees"],
        settled=row["settled"],
        mark=row["mark"],
    )


def market_from_row(row: Mapping[str, Any]) -> Market:
    """Build a Market from a `markets` row."""
    fees = FeeSchedule(FeeKind(row["fee_kind"]), row["taker_rate"], row["maker_rate"], row["fee_exponent"])
    return Market(
        market_id=row["market_id"],
        venue=Venue(row["venue"]),
        venue_market_id=row["venue_market_id"],
        game_id=row["game_id"],
        outcome=Outcome(row["outcome"]),
        yes_team=row["yes_team"],
        title=row["title"],
        tick=row["tick"],
        fees=fees,
        simulated=row["simulated"],
        no_token_id=row["no_token_id"],
        contract_step=(step := check_step(row["contract_step"])),
        min_order_contracts=step,  # not stored: the step is the least any venue takes
    )
