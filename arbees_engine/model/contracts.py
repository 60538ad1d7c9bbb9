"""Contract quantities: exact `Decimal` counts on a market's contract step.

A market trades whole contracts (step 1) or, where the venue allows it, fractional contracts on a
0.01 grid. Kalshi's fixed-point counts (`*_fp` strings: "2 decimals ... Fractional contract values
(e.g., "2.50") are supported; the minimum granularity is 0.01 contracts", `kalshi-typescript`
3.30.0 models/market.ts) and https://docs.kalshi.com/getting_started/fixed_point_contracts
("Fractional trading will be enabled on a per-market basis"). Every quantity the engine sizes,
sends, fills or books is a multiple of its market's step; anything else is refused, never rounded
silently. The store keeps at most QUANTITY_PLACES decimal places (migrations/0006).
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from .bounds import MAX_LEVEL_CONTRACTS
from .money import ZERO, MoneyError, to_decimal

#: Step of a whole-contract market (contracts).
WHOLE_STEP = Decimal(1)
#: Step of a fractional market: Kalshi's minimum granularity, 0.01 contracts.
FRACTIONAL_STEP = Decimal("0.01")
#: The steps a market may have; the store's CHECK allows the same two.
CONTRACT_STEPS = (WHOLE_STEP, FRACTIONAL_STEP)
#: Decimal places a stored quantity may carry (the store's CHECKs).
QUANTITY_PLACES = 2


class QuantityError(MoneyError):
    """Raised for a quantity that is not a finite, non-negative multiple of its market's step."""


def check_step(step: object) -> Decimal:
    """`step` as one of CONTRACT_STEPS (1 or 0.01 contracts). Raises QuantityError otherwise."""
    try:
        dec = to_decimal(step, field="contract_step")
    except MoneyError as exc:
        raise QuantityError(str(exc)) from exc
    if dec not in CONTRACT_STEPS:
        raise QuantityError(f"contract_step {step!r} is neither 1 nor 0.01")
    return WHOLE_STEP if dec == WHOLE_STEP else FRACTIONAL_STEP


def floor_to_step(size: Decimal, step: Decimal = WHOLE_STEP) -> Decimal:
    """Floor a size (contracts, maybe finer than `step`) to a multiple of `step`; ≤ 0 → 0.

    Capped at MAX_LEVEL_CONTRACTS (10^9): `OrderBook.apply` already refuses larger levels, and the
    cap keeps the arithmetic short for any level built elsewhere (a size of "1e1000000" once froze
    the event loop). Returns a Decimal quantized to `step` ("2", "2.50")."""
    if size <= ZERO:
        return quantize(ZERO, step)
    units = (min(size, MAX_LEVEL_CONTRACTS) / step).to_integral_value(rounding=ROUND_FLOOR)
    return quantize(units * step, step)


def quantize(contracts: Decimal, step: Decimal) -> Decimal:
    """`contracts` (already a multiple of `step`) written with `step`'s exponent: 2 → "2" on step 1,
    "2.00" on step 0.01. Exact for on-step values; callers check `on_step` first."""
    return contracts.quantize(step)


def on_step(contracts: Decimal, step: Decimal) -> bool:
    """True when `contracts` is a finite multiple of `step`."""
    return contracts.is_finite() and (contracts % step) == ZERO


def parse_contracts(value: object, *, field: str = "contracts", step: Decimal = FRACTIONAL_STEP) -> Decimal:
    """A quantity from outside (bus JSON, store JSONB, venue `_fp` string): int, "2.50", Decimal.

    Must be finite, 0 ≤ value ≤ MAX_LEVEL_CONTRACTS and a multiple of `step` (default 0.01, the
    finest any market has). Older rows and messages carry ints ("contracts": 5), which parse too.
    Raises QuantityError otherwise.
    """
    if isinstance(value, float):
        raise QuantityError(f"{field}: a float {value!r} is not an exact quantity")
    if isinstance(value, str) and len(value) > 32:
        raise QuantityError(f"{field}: a {len(value)}-character string is not a quantity")
    try:
        dec = to_decimal(value, field=field)
    except MoneyError as exc:
        raise QuantityError(str(exc)) from exc
    if not ZERO <= dec <= MAX_LEVEL_CONTRACTS:
        raise QuantityError(f"{field}: {dec:.6g} is outside 0..{MAX_LEVEL_CONTRACTS}")
    if not on_step(dec, step):
        raise QuantityError(f"{field}: {dec} is not a multiple of {step}")
    return dec


def format_contracts(contracts: Decimal | int) -> str:
    """A quantity for people and the bus: "2" for whole counts, "2.5" / "0.05" for fractions.

    Trailing zeros go (2.50 → "2.5", 5.00 → "5"); never an exponent ("1E+2" is written "100")."""
    dec = Decimal(contracts)
    if dec == dec.to_integral_value():
        return f"{dec:.0f}"
    return f"{dec.normalize():f}"
