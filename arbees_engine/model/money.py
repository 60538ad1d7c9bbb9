"""Exact money: prices, fees, P&L and bankroll are `decimal.Decimal` in dollars.

A binary-option contract pays $1.00, so a price in dollars is also the implied
probability. Prices live in [0, 1]; fees and P&L are rounded to the cent.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation

ONE = Decimal("1")
ZERO = Decimal("0")
CENT = Decimal("0.01")
#: Finest tick any supported venue quotes (Kalshi `deci_cent`, Polymarket 0.001 markets).
FINEST_TICK = Decimal("0.0001")


class MoneyError(ValueError):
    """Raised when a value cannot be an exact price or amount (NaN, inf, garbage, out of range)."""


def to_decimal(value: object, *, field: str = "value") -> Decimal:
    """Convert a str/int/Decimal (or a float, via its shortest repr) to a finite Decimal.

    Floats go through `repr` so 0.1 becomes Decimal("0.1"), not its binary expansion.
    Raises MoneyError for NaN, infinities, booleans, None and unparsable strings.
    """
    if isinstance(value, bool) or value is None:
        raise MoneyError(f"{field}: {value!r} is not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise MoneyError(f"{field}: {value!r} is not finite")
        value = repr(value)
    try:
        dec = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise MoneyError(f"{field}: {value!r} is not a number") from exc
    if not dec.is_finite():
        raise MoneyError(f"{field}: {value!r} is not finite")
    return dec


def to_price(value: object, *, field: str = "price") -> Decimal:
    """Parse a contract price in dollars and check it lies in [0, 1].

    Accepts "0.5600", 0.56, Decimal("0.56"). Raises MoneyError outside [0, 1] (e.g. 1.7) or for NaN.
    """
    dec = to_decimal(value, field=field)
    if dec < ZERO or dec > ONE:
        raise MoneyError(f"{field}: {dec} is outside 0..1")
    return dec


def cents_to_price(cents: object, *, field: str = "price") -> Decimal:
    """Convert a legacy integer-cent price (Kalshi `yes_bid` = 56) to dollars (0.56)."""
    return to_price(to_decimal(cents, field=field) / 100, field=field)


def round_cent_up(amount: Decimal) -> Decimal:
    """Round a dollar amount up to the next cent (venue fee rounding)."""
    return amount.quantize(CENT, rounding=ROUND_CEILING)


def round_cent(amount: Decimal) -> Decimal:
    """Round a dollar amount to the cent, banker's rounding (for display and marks)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def floor_to_tick(price: Decimal, tick: Decimal) -> Decimal:
    """Round a price down to a multiple of `tick` (dollars)."""
    return (price / tick).to_integral_value(rounding=ROUND_FLOOR) * tick


def probability_to_decimal(p: float) -> Decimal:
    """Convert a model probability (float in [0, 1]) to a Decimal at the decision boundary.

    Rounded to 1e-6, which is far below any venue tick. Raises MoneyError for NaN or out of range.
    """
    if not isinstance(p, (int, float)) or not math.isfinite(p) or p < 0 or p > 1:
        raise MoneyError(f"probability {p!r} is not within 0..1")
    return Decimal(repr(float(p))).quantize(Decimal("0.000001"))
