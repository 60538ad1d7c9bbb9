"""Bounds on every quantity that comes from outside: the one check behind book levels
(`market.OrderBook.apply`) and every venue parser (`adapters/wire.py`).

A value is checked without ever being expanded (no int(), no str() of a huge int), so
"1e1000000", a 10^6-character string or a 5,000-digit integer is refused in microseconds.
"""

from __future__ import annotations

from decimal import Decimal

from .money import ONE, ZERO, MoneyError, to_decimal

#: Largest size one book level (or one trade) may hold, in contracts. The deepest recorded venue
#: level is < 10^7 contracts; the bound keeps every later int()/sum cheap (a size of "1e1000000"
#: once stalled the event loop for 78 s in `model.depth.whole_contracts`).
MAX_LEVEL_CONTRACTS = Decimal(10**9)
#: Decimal places a price (dollars) or size (contracts) may carry. Venues quote at most 4 for prices
#: (FINEST_TICK) and 2 for sizes (Kalshi `_fp` strings); more is refused, so Decimal arithmetic
#: (28 significant digits) on them stays exact.
MAX_PLACES = 6
#: Most levels one side of a book may hold: at 4-place prices there are at most 10,001 distinct ones.
MAX_BOOK_LEVELS = 10_001
_NUMBER_TYPES = (str, int, float, Decimal)
_MAX_NUMBER_CHARS = 64


def bounded_number(value: object, *, field: str, low: Decimal, high: Decimal, places: int = MAX_PLACES) -> Decimal:
    """`value` (str/int/float/Decimal) as a finite Decimal with low ≤ value ≤ high and at most
    `places` decimal places (trailing zeros beyond them are dropped: "444.3200000" → 444.320000).

    Checked without ever expanding the number (no int(), no str() of a huge int), so "1e1000000",
    a 10^6-character string or a 5,000-digit int is refused in microseconds.
    Raises MoneyError for another type, NaN/inf, garbage or a value out of bounds.
    """
    if isinstance(value, bool) or not isinstance(value, _NUMBER_TYPES):
        raise MoneyError(f"{field}: a {type(value).__name__} is not a number")
    if isinstance(value, str) and len(value) > _MAX_NUMBER_CHARS:
        raise MoneyError(f"{field}: a {len(value)}-character string is not a number")
    if isinstance(value, int) and not -(10**18) <= value <= 10**18:
        raise MoneyError(f"{field}: integer out of range")
    dec = to_decimal(value, field=field)
    if not low <= dec <= high:
        raise MoneyError(f"{field}: {dec:.6g} is outside {low}..{high}")
    exponent = dec.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        rounded = dec.quantize(Decimal(1).scaleb(-places))  # safe: |dec| ≤ high keeps it short
        if rounded != dec:
            raise MoneyError(f"{field}: {dec:.12g}… has more than {places} decimal places")
        dec = rounded
    return dec


def check_level(price: object, size: object) -> tuple[Decimal, Decimal]:
    """One book level: (price dollars in 0..1, size contracts in 0..MAX_LEVEL_CONTRACTS), both with
    at most MAX_PLACES places. Raises MoneyError (OrderBook.apply turns it into BookError)."""
    return (
        bounded_number(price, field="price", low=ZERO, high=ONE),
        bounded_number(size, field="size", low=ZERO, high=MAX_LEVEL_CONTRACTS),
    )


def levels_after(side: dict[Decimal, Decimal], levels: list[tuple[Decimal, Decimal]], snapshot: bool) -> int:
    """At most how many levels a book `side` holds once `levels` are applied (a snapshot replaces
    it; a SET_LEVELS update adds the prices it does not hold yet)."""
    return len({p for p, s in levels if s > 0 and (snapshot or p not in side)}) + (0 if snapshot else len(side))
