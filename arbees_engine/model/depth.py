"""Walking an order book's levels in whole contracts (books may quote fractional sizes)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from .book import BookLevel
from .bounds import MAX_LEVEL_CONTRACTS
from .fees import FeeSchedule, order_fee
from .money import ZERO


@dataclass(frozen=True, slots=True)
class Take:
    """`contracts` taken at `price` dollars (one book level)."""

    price: Decimal
    contracts: int


def whole_contracts(size: Decimal) -> int:
    """Floor a book size (contracts, maybe fractional) to whole contracts; negative → 0.

    Capped at MAX_LEVEL_CONTRACTS (10^9): `OrderBook.apply` already refuses larger levels, and the
    cap keeps int() cheap for any level built elsewhere (int() of Decimal("1e1000000") takes
    minutes, which once froze the event loop)."""
    if size <= ZERO:
        return 0
    return int(min(size, MAX_LEVEL_CONTRACTS).to_integral_value(rounding=ROUND_FLOOR))


def walk(levels: list[BookLevel], contracts: int, limit: Decimal | None = None) -> list[Take]:
    """Takes that buy up to `contracts` from `levels` (best first) at prices ≤ `limit`.

    Levels with less than one whole contract are skipped. May return fewer contracts than
    asked when depth runs out.
    """
    takes: list[Take] = []
    remaining = contracts
    for level in levels:
        if remaining <= 0 or (limit is not None and level.price > limit):
            break
        qty = min(whole_contracts(level.size), remaining)
        if qty > 0:
            takes.append(Take(level.price, qty))
            remaining -= qty
    return takes


def total_contracts(takes: list[Take]) -> int:
    """Σ contracts of `takes`."""
    return sum(t.contracts for t in takes)


def notional(takes: list[Take]) -> Decimal:
    """Σ price × contracts in dollars."""
    return sum((t.price * t.contracts for t in takes), ZERO)


def fees(schedule: FeeSchedule, takes: list[Take]) -> Decimal:
    """Taker fees of one order filling `takes` (one fill per level, as the paper broker charges),
    dollars: `fees.order_fee`, so Kalshi's per-order rounding rebate is counted as the venue does."""
    return order_fee(schedule, [(t.price, t.contracts) for t in takes])


def prefix(takes: list[Take], contracts: int) -> list[Take]:
    """The first `contracts` contracts of `takes` (best first), splitting the last take."""
    out: list[Take] = []
    remaining = contracts
    for t in takes:
        if remaining <= 0:
            break
        qty = min(t.contracts, remaining)
        out.append(Take(t.price, qty))
        remaining -= qty
    return out
