"""Venue taker/maker fees in exact Decimal dollars.

Kalshi (fee model: https://kalshi.com/docs/kalshi-fee-schedule.pdf; rounding:
https://docs.kalshi.com/getting_started/fee_rounding; series fields: `Series.fee_type` /
`Series.fee_multiplier` of the official SDK kalshi-typescript 3.30.0, models/series.ts, fee-type.ts):
    trade fee = round_up_to_$0.0001(multiplier × rate × C × P × (1 − P)); taker rate 0.07, maker
    0.0175 (`quadratic_with_maker_fees`), 0.035 (`quadratic_with_combo_maker_fees`) or 0
    (`quadratic`). The account's balance moves by floor(revenue − trade fee) to its balance
    precision ($0.01 for non-direct members, $0.0001 for direct members); the difference is the
    rounding fee. A per-order accumulator sums the rounding fees and, once it exceeds $0.01,
    rebates a cent (and drops by a cent), so an order split into many fills costs what one
    equivalent fill would. `KalshiOrderFees` implements this; every Kalshi fee below goes through it.
Polymarket (https://docs.polymarket.com/trading/fees, fee schedules from Gamma `feeSchedule`
{rate, exponent, takerOnly}):
    fee = C × rate × (P × (1 − P))^exponent, charged to takers only, kept to 5 decimal places
    (0.00001 USDC; smaller amounts round to zero, i.e. floored as the venue charges).
    NautilusTrader's adapter implements the same (nautilus_polymarket `compute_commission`).
    The pre-2026 schedule, C × P × rate × (P × (1 − P))^exponent (crypto rate 0.25, exponent 2),
    is NOT implemented: current Gamma schedules ("sports_fees_v2": rate 0.03–0.05, exponent 1)
    are priced by the formula above.
C is contracts (an int or a Decimal with at most 2 places: Kalshi's fractional granularity 0.01),
P the fill price in dollars (0..1). `FeeKind.NONE` charges nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from enum import StrEnum

from .money import CENT, ONE, ZERO, MoneyError, to_decimal


class FeeKind(StrEnum):
    """Fee formula family (the formulas are `taker_fee` / `maker_fee` below)."""

    KALSHI = "kalshi"  # rate × C × P × (1 − P), per-fill rounding with the order's accumulator
    POLYMARKET = "polymarket"  # C × rate × (P × (1 − P))^exponent, taker only (docs.polymarket.com/trading/fees)
    NONE = "none"


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """A market's taker/maker fee parameters. `rate` is a fraction (0.07 = 7%); a Kalshi series'
    `fee_multiplier` is already folded into both rates (see `kalshi_series_fees`)."""

    kind: FeeKind
    taker_rate: Decimal = ZERO
    maker_rate: Decimal = ZERO
    exponent: int = 1


#: Kalshi's general rates: taker 7%, maker 1.75% (kalshi.com/docs/kalshi-fee-schedule.pdf).
KALSHI_TAKER_RATE = Decimal("0.07")
KALSHI_FEES = FeeSchedule(FeeKind.KALSHI, KALSHI_TAKER_RATE, Decimal("0.0175"))
#: Maker rate as a share of the taker rate per Kalshi `fee_type` (SDK 3.30.0 models/series.ts:
#: `quadratic` has no maker fees, `quadratic_with_maker_fees` 0.25, `..._combo_...` 0.5).
KALSHI_MAKER_SHARE = {
    "quadratic": Decimal(0),
    "quadratic_with_maker_fees": Decimal("0.25"),
    "quadratic_with_combo_maker_fees": Decimal("0.5"),
}
#: Kalshi trade fees are ceiled to the centicent (docs.kalshi.com/getting_started/fee_rounding).
KALSHI_TRADE_FEE_QUANTUM = Decimal("0.0001")
#: Balance precision of a non-direct member (what an API trader is): $0.01. Direct members: $0.0001.
KALSHI_BALANCE_PRECISION = CENT
#: Smallest contract step Kalshi accepts (fractional trading, granularity 0.01).
CONTRACT_QUANTUM = Decimal("0.01")

#: Polymarket fee precision (docs.polymarket.com/trading/fees: 5 decimal places).
POLYMARKET_FEE_QUANTUM = Decimal("0.00001")
#: Precision of per-contract estimates (far below any tick).
ESTIMATE_QUANTUM = Decimal("0.000001")


class FeeError(ValueError):
    """Raised for a fee request that cannot be priced (price outside 0..1, bad contracts, an
    unknown Kalshi fee type)."""


Contracts = int | Decimal


def _validate(price: Decimal, contracts: Contracts) -> None:
    if not isinstance(price, Decimal) or not price.is_finite() or price < ZERO or price > ONE:
        raise FeeError(f"price {price!r} is not a Decimal in 0..1")
    if isinstance(contracts, bool) or not isinstance(contracts, (int, Decimal)):
        raise FeeError(f"contracts {contracts!r} is not an int or Decimal")
    if isinstance(contracts, Decimal) and not _on_contract_grid(contracts):
        raise FeeError(f"contracts {contracts!r} is not a finite multiple of {CONTRACT_QUANTUM}")
    if contracts < 0:
        raise FeeError(f"contracts {contracts!r} is negative")


def _on_contract_grid(contracts: Decimal) -> bool:
    try:
        return contracts.is_finite() and contracts == contracts.quantize(CONTRACT_QUANTUM, rounding=ROUND_FLOOR)
    except InvalidOperation:  # too many digits to quantize (e.g. 1E+40)
        return False


def _variance_term(schedule: FeeSchedule, price: Decimal) -> Decimal:
    return (price * (ONE - price)) ** schedule.exponent


def kalshi_series_fees(fee_type: object, fee_multiplier: object) -> FeeSchedule:
    """The FeeSchedule of a Kalshi series from its `fee_type` (str) and `fee_multiplier` (number).

    Rates: taker 0.07 × multiplier, maker taker × KALSHI_MAKER_SHARE[fee_type]. Source: SDK
    kalshi-typescript 3.30.0 `Series.fee_type` / `Series.fee_multiplier` ("a floating point
    multiplier applied to the fee calculations"). Raises FeeError for `flat` (the Specific Trading
    Fees Table has no formula here), any other fee type, or a multiplier that is not a finite
    number ≥ 0. Example: ("quadratic_with_maker_fees", 0.5) → taker 0.035, maker 0.00875.
    """
    share = KALSHI_MAKER_SHARE.get(fee_type) if isinstance(fee_type, str) else None
    if share is None:
        raise FeeError(f"Kalshi fee_type {fee_type!r:.40} is not priced")
    try:
        multiplier = to_decimal(fee_multiplier, field="fee_multiplier")
    except MoneyError as exc:
        raise FeeError(str(exc)) from exc
    if multiplier < ZERO or multiplier > Decimal(100):
        raise FeeError(f"fee_multiplier {multiplier} is outside 0..100")
    taker = KALSHI_TAKER_RATE * multiplier
    return FeeSchedule(FeeKind.KALSHI, taker, taker * share)


def kalshi_trade_fee(rate: Decimal, price: Decimal, contracts: Contracts) -> Decimal:
    """Kalshi's trade fee of one fill, dollars: rate × C × P × (1 − P) ceiled to $0.0001.

    Example: rate 0.07, 0.03 contracts at 0.3301 → 0.00046... → Decimal("0.0005") (the docs'
    combined worked example). Raises FeeError for a bad price or contracts.
    """
    _validate(price, contracts)
    return (rate * contracts * price * (ONE - price)).quantize(KALSHI_TRADE_FEE_QUANTUM, rounding=ROUND_CEILING)


@dataclass(frozen=True, slots=True)
class FillFee:
    """One Kalshi fill's fee components in dollars (docs.kalshi.com/getting_started/fee_rounding):
    trade_fee, rounding_fee, rebate (a whole cent or 0), net_fee = trade + rounding − rebate (≥ 0),
    balance_change = floor(revenue − trade fee) to the balance precision (signed, negative for a
    buy; the rebate is credited on top, as the docs' "Balance Change" column shows), accumulator
    (after adding this fill's rounding fee, before its rebate: the docs' "Accumulator" column)."""

    trade_fee: Decimal
    rounding_fee: Decimal
    rebate: Decimal
    net_fee: Decimal
    balance_change: Decimal
    accumulator: Decimal


@dataclass(slots=True)
class KalshiOrderFees:
    """The fee accumulator of ONE Kalshi order: `charge` each fill in order, taker or maker alike.

    balance_precision: the account's target precision (KALSHI_BALANCE_PRECISION, $0.01; $0.0001
    for direct members). The accumulator carries rounding overpayment across the order's fills;
    when it exceeds $0.01 a $0.01 rebate is issued and it drops by $0.01. A rebate that would make
    a fill's net fee negative (a sub-cent trade fee on a sub-cent notional) waits for a later fill,
    keeping the documented "net fee ≥ $0.00". Source: docs.kalshi.com/getting_started/fee_rounding.
    """

    balance_precision: Decimal = KALSHI_BALANCE_PRECISION
    accumulator: Decimal = field(default=ZERO)

    def charge(self, trade_fee: Decimal, revenue: Decimal) -> FillFee:
        """Book one fill: `trade_fee` (already ceiled, dollars) and `revenue` (signed dollars:
        −price × contracts for a buy, +price × contracts for a sell). Returns its FillFee."""
        exact = revenue - trade_fee
        balance_change = exact.quantize(self.balance_precision, rounding=ROUND_FLOOR)
        rounding_fee = exact - balance_change
        self.accumulator += rounding_fee
        accumulated, rebate = self.accumulator, ZERO
        if self.accumulator > CENT and trade_fee + rounding_fee >= CENT:
            rebate = CENT
            self.accumulator -= CENT
        net = trade_fee + rounding_fee - rebate
        return FillFee(trade_fee, rounding_fee, rebate, net, balance_change, accumulated)


def order_fill_fees(
    schedule: FeeSchedule,
    fills: Iterable[tuple[Decimal, Contracts]],
    *,
    maker: bool = False,
    buy: bool = True,
    balance_precision: Decimal = KALSHI_BALANCE_PRECISION,
) -> list[Decimal]:
    """Net fee (dollars) of each fill of ONE order, in fill order; fills are (price, contracts).

    Kalshi: per-fill trade fee with the order's rounding accumulator (`KalshiOrderFees`);
    Polymarket: each fill's taker fee floored to $0.00001 (makers 0); NONE: 0. The one function
    paper fills, depth walks and edge estimates share. Raises FeeError for a bad price/contracts.
    Example (the issue's multi-fill IOC): Kalshi taker 10 @ 0.50 then 10 @ 0.52 → [0.18, 0.17].
    """
    if schedule.kind is FeeKind.KALSHI:
        order = KalshiOrderFees(balance_precision)
        rate = schedule.maker_rate if maker else schedule.taker_rate
        out = []
        for price, contracts in fills:
            notional = price * contracts
            trade = kalshi_trade_fee(rate, price, contracts)
            out.append(order.charge(trade, -notional if buy else notional).net_fee if contracts else ZERO)
        return out
    return [_single_fee(schedule, price, contracts, maker) for price, contracts in fills]


def _single_fee(schedule: FeeSchedule, price: Decimal, contracts: Contracts, maker: bool) -> Decimal:
    _validate(price, contracts)
    if contracts == 0 or schedule.kind is FeeKind.NONE or maker:
        return ZERO
    if schedule.kind is FeeKind.POLYMARKET:
        raw = contracts * schedule.taker_rate * _variance_term(schedule, price)
        return raw.quantize(POLYMARKET_FEE_QUANTUM, rounding=ROUND_FLOOR)
    raise FeeError(f"unknown fee kind {schedule.kind!r}")


def order_fee(schedule: FeeSchedule, fills: Iterable[tuple[Decimal, Contracts]], *, maker: bool = False) -> Decimal:
    """Σ `order_fill_fees` of one order's fills, dollars (what the whole order pays in fees)."""
    return sum(order_fill_fees(schedule, fills, maker=maker), ZERO)


def taker_fee(schedule: FeeSchedule, price: Decimal, contracts: Contracts) -> Decimal:
    """Taker fee in dollars of ONE fill (an order filled in one match) of `contracts` bought at
    `price` on a market with `schedule`.

    Kalshi: trade fee ceiled to $0.0001 plus the rounding fee to the cent balance (for a whole-cent
    notional: the exact fee rounded up to the cent); Polymarket: floored to $0.00001; NONE: 0.
    Raises FeeError for a price outside [0, 1] or bad contracts.
    Example: Kalshi, 100 contracts at 0.50 → Decimal("1.75").
    """
    _validate(price, contracts)
    return order_fill_fees(schedule, [(price, contracts)])[0]


def maker_fee(schedule: FeeSchedule, price: Decimal, contracts: Contracts) -> Decimal:
    """Maker fee in dollars of one fill (Kalshi maker rate with the same rounding as `taker_fee`;
    Polymarket makers pay 0). Raises FeeError like `taker_fee`.
    """
    _validate(price, contracts)
    return order_fill_fees(schedule, [(price, contracts)], maker=True)[0]


def fee_per_contract_estimate(schedule: FeeSchedule, price: Decimal, contracts: Contracts | None = None) -> Decimal:
    """Taker fee per contract in dollars, rounded up to $0.000001.

    With `contracts` given: the venue-rounded fee of one fill of that many contracts divided by
    them (what an order of that size really pays per contract). Without: the unrounded marginal
    rate (rate × (P(1 − P))^exponent, Kalshi exponent 1), the limit as the order grows.
    Raises FeeError like `taker_fee`.
    """
    if contracts:
        return (taker_fee(schedule, price, contracts) / contracts).quantize(ESTIMATE_QUANTUM, rounding=ROUND_CEILING)
    _validate(price, 0)
    if schedule.kind is FeeKind.NONE:
        return ZERO
    term = price * (ONE - price) if schedule.kind is FeeKind.KALSHI else _variance_term(schedule, price)
    return (schedule.taker_rate * term).quantize(ESTIMATE_QUANTUM, rounding=ROUND_CEILING)


#: Counted reason (sink.reject / gate rejections) for a live fill whose venue fee differs from ours.
FEE_MISMATCH_REASON = "fee_mismatch"


def fee_difference(venue_fee: Decimal, estimated_fee: Decimal) -> Decimal:
    """Venue-booked fee minus our estimate, dollars (positive: the venue charged more).

    Live fills book `venue_fee` (what Kalshi reports, e.g. the fill's `fee_cost`); a non-zero
    result is to be counted under FEE_MISMATCH_REASON and logged with both amounts. Raises
    FeeError when either is not a finite Decimal.
    """
    for name, value in (("venue_fee", venue_fee), ("estimated_fee", estimated_fee)):
        if not isinstance(value, Decimal) or not value.is_finite():
            raise FeeError(f"{name} {value!r} is not a finite Decimal")
    return venue_fee - estimated_fee


def live_fill_fee(venue_fee: Decimal | None, estimated_fee: Decimal) -> tuple[Decimal, Decimal]:
    """(fee to book, difference to count) for a live fill: the venue's own fee when it reports one
    (Kalshi's fill `fee_cost`), with `fee_difference(venue, estimate)`; else our estimate and 0.
    A non-zero difference is counted under FEE_MISMATCH_REASON. Raises FeeError like `fee_difference`."""
    if venue_fee is None:
        return estimated_fee, ZERO
    return venue_fee, fee_difference(venue_fee, estimated_fee)
