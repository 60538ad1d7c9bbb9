"""Walking an order book's levels in multiples of a market's contract step.

Books may quote sizes finer than the market trades (Kalshi `_fp` sizes, Polymarket shares); a
whole-contract market (step 1) takes whole contracts at each level, a fractional one (step 0.01,
model/contracts.py) takes hundredths. Quantities are exact Decimals throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .book import BookLevel
from .contracts import WHOLE_STEP, floor_to_step
from .fees import FeeSchedule, order_fee
from .money import ZERO


@dataclass(frozen=True, slots=True)
class Take:
    """`contracts` (Decimal, a multiple of the market's step) taken at `price` dollars (one level)."""

    price: Decimal
    contracts: Decimal


def whole_contracts(size: Decimal) -> int:
    """Floor a book size (contracts, maybe fractional) to whole contracts as an int; ≤ 0 → 0.

    Capped at MAX_LEVEL_CONTRACTS (10^9) like `contracts.floor_to_step`, which callers sizing on a
    market's step use instead."""
    return int(floor_to_step(size, WHOLE_STEP))


def walk(
    levels: list[BookLevel], contracts: Decimal, limit: Decimal | None = None, step: Decimal = WHOLE_STEP
) -> list[Take]:
    """Takes that buy up to `contracts` from `levels` (best first) at prices ≤ `limit`.

    Each level's size is floored to `step` (1 or 0.01 contracts); levels with less than one step
    are skipped. May return fewer contracts than asked when depth runs out.
    """
    takes: list[Take] = []
    remaining = Decimal(contracts)
    for level in levels:
        if remaining <= 0 or (limit is not None and level.price > limit):
            break
        qty = min(floor_to_step(level.size, step), floor_to_step(remaining, step))
        if qty > 0:
            takes.append(Take(level.price, qty))
            remaining -= qty
    return takes


def total_contracts(takes: list[Take]) -> Decimal:
    """Σ contracts of `takes` (Decimal; 0 for none)."""
    return sum((t.contracts for t in takes), ZERO)


def notional(takes: list[Take]) -> Decimal:
    """Σ price × contracts in dollars."""
    return sum((t.price * t.contracts for t in takes), ZERO)


def fees(schedule: FeeSchedule, takes: list[Take]) -> Decimal:
    """Taker fees of one order filling `takes` (one fill per level, as the paper broker charges),
    dollars: `fees.order_fee`, so Kalshi's per-order rounding rebate is counted as the venue does."""
    return order_fee(schedule, [(t.price, t.contracts) for t in takes])


def prefix(takes: list[Take], contracts: Decimal) -> list[Take]:
    """The first `contracts` contracts of `takes` (best first), splitting the last take."""
    out: list[Take] = []
    remaining = Decimal(contracts)
    for t in takes:
        if remaining <= 0:
            break
        qty = min(t.contracts, remaining)
        out.append(Take(t.price, qty))
        remaining -= qty
    return out
