"""Venue taker/maker fees in exact Decimal dollars.

Kalshi (https://kalshi.com/docs/kalshi-fee-schedule.pdf):
    fee = round_up_to_cent(rate × C × P × (1 − P)); taker rate 0.07, maker rate 0.0175.
Polymarket (https://docs.polymarket.com/trading/fees, fee schedules from Gamma `feeSchedule`
{rate, exponent, takerOnly}):
    fee = C × rate × (P × (1 − P))^exponent, charged to takers only, kept to 5 decimal places
    (0.00001 USDC; smaller amounts round to zero, i.e. floored as the venue charges).
    NautilusTrader's adapter implements the same (nautilus_polymarket `compute_commission`).
    The pre-2026 schedule, C × P × rate × (P × (1 − P))^exponent (crypto rate 0.25, exponent 2),
    is NOT implemented: current Gamma schedules ("sports_fees_v2": rate 0.03–0.05, exponent 1)
    are priced by the formula above.
C is contracts (int, or a non-negative Decimal on fractional markets), P the fill price in dollars
(0..1). `FeeKind.NONE` charges nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum

from .money import ONE, ZERO, round_cent_up


class FeeKind(StrEnum):
    """Fee formula family (the formulas are `taker_fee` / `maker_fee` below)."""

    KALSHI = "kalshi"  # rate × C × P × (1 − P), rounded up to the cent
    POLYMARKET = "polymarket"  # C × rate × (P × (1 − P))^exponent, taker only (docs.polymarket.com/trading/fees)
    NONE = "none"


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """A market's taker/maker fee parameters. `rate` is a fraction (0.07 = 7%)."""

    kind: FeeKind
    taker_rate: Decimal = ZERO
    maker_rate: Decimal = ZERO
    exponent: int = 1


#: Kalshi's general schedule: taker 7%, maker 1.75% (kalshi.com/docs/kalshi-fee-schedule.pdf).
KALSHI_FEES = FeeSchedule(FeeKind.KALSHI, Decimal("0.07"), Decimal("0.0175"))

#: Polymarket fee precision (docs.polymarket.com/trading/fees: 5 decimal places).
POLYMARKET_FEE_QUANTUM = Decimal("0.00001")
#: Precision of per-contract estimates (far below any tick).
ESTIMATE_QUANTUM = Decimal("0.000001")


class FeeError(ValueError):
    """Raised for a fee request that cannot be priced (price outside 0..1, negative contracts)."""


def _validate(price: Decimal, contracts: int | Decimal) -> None:
    if not isinstance(price, Decimal) or not price.is_finite() or price < ZERO or price > ONE:
        raise FeeError(f"price {price!r} is not a Decimal in 0..1")
    if isinstance(contracts, Decimal):  # fractional contracts (model/contracts.py)
        if not contracts.is_finite() or contracts < ZERO:
            raise FeeError(f"contracts {contracts!r} is not a non-negative finite Decimal")
        return
    if isinstance(contracts, bool) or not isinstance(contracts, int) or contracts < 0:
        raise FeeError(f"contracts {contracts!r} is not a non-negative int")


def _variance_term(schedule: FeeSchedule, price: Decimal) -> Decimal:
    return (price * (ONE - price)) ** schedule.exponent


def taker_fee(schedule: FeeSchedule, price: Decimal, contracts: int | Decimal) -> Decimal:
    """Taker fee in dollars for buying `contracts` at `price` dollars on a market with `schedule`.

    Kalshi: rounded up to the cent; Polymarket: floored to $0.00001; NONE: 0.
    Raises FeeError for a price outside [0, 1] or negative/non-int contracts.
    Example: Kalshi, 100 contracts at 0.50 → Decimal("1.75").
    """
    _validate(price, contracts)
    if contracts == 0 or schedule.kind is FeeKind.NONE:
        return ZERO
    if schedule.kind is FeeKind.KALSHI:
        return round_cent_up(schedule.taker_rate * contracts * price * (ONE - price))
    if schedule.kind is FeeKind.POLYMARKET:
        raw = contracts * schedule.taker_rate * _variance_term(schedule, price)
        return raw.quantize(POLYMARKET_FEE_QUANTUM, rounding=ROUND_FLOOR)
    raise FeeError(f"unknown fee kind {schedule.kind!r}")


def maker_fee(schedule: FeeSchedule, price: Decimal, contracts: int | Decimal) -> Decimal:
    """Maker fee in dollars (Kalshi maker rate, rounded up to the cent; Polymarket makers pay 0).

    Raises FeeError like `taker_fee`.
    """
    _validate(price, contracts)
    if contracts == 0 or schedule.kind is not FeeKind.KALSHI:
        return ZERO
    return round_cent_up(schedule.maker_rate * contracts * price * (ONE - price))


def fee_per_contract_estimate(schedule: FeeSchedule, price: Decimal, contracts: int | Decimal | None = None) -> Decimal:
    """Taker fee per contract in dollars, rounded up to $0.000001.

    With `contracts` given: the venue-rounded fee of that many contracts divided by them (what an
    order of that size really pays per contract). Without: the unrounded marginal rate
    (rate × (P(1 − P))^exponent, Kalshi exponent 1), the limit as the order grows.
    Raises FeeError like `taker_fee`.
    """
    if contracts:
        return (taker_fee(schedule, price, contracts) / contracts).quantize(ESTIMATE_QUANTUM, rounding=ROUND_CEILING)
    _validate(price, 0)
    if schedule.kind is FeeKind.NONE:
        return ZERO
    term = price * (ONE - price) if schedule.kind is FeeKind.KALSHI else _variance_term(schedule, price)
    return (schedule.taker_rate * term).quantize(ESTIMATE_QUANTUM, rounding=ROUND_CEILING)
