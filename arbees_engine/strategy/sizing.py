"""Fractional Kelly sizing for binary contracts.

A contract bought at all-in cost c (price + fee per contract, dollars) pays $1 with
probability p. Betting a fraction f of bankroll, the growth-optimal fraction is
    f* = (p − c) / (1 − c)          (0 when p ≤ c)
(Kelly, "A New Interpretation of Information Rate", Bell System Technical Journal 35, 1956;
Thorp, "The Kelly Criterion in Blackjack, Sports Betting and the Stock Market", 2006, §2:
net odds b = (1 − c)/c, f* = (bp − q)/b). We stake kelly_fraction × f* of the bankroll,
i.e. floor(kelly_fraction × f* × bankroll / c) contracts, floored to the market's contract step
(1 for whole-contract markets, 0.01 where the venue trades fractions: model/contracts.py).
"""

from __future__ import annotations

from decimal import Decimal

from arbees_engine.model.contracts import WHOLE_STEP, floor_to_step
from arbees_engine.model.money import ONE, ZERO


class SizingError(ValueError):
    """Raised for inputs Kelly cannot size (cost outside (0, 1), probability outside [0, 1])."""


def kelly_fraction_binary(p: Decimal, cost: Decimal) -> Decimal:
    """Full-Kelly bankroll fraction f* = (p − c)/(1 − c) for a $1 binary bought at `cost`.

    p: win probability (Decimal 0..1); cost: all-in dollars per contract, 0 < cost < 1.
    Returns 0 when there is no edge (p ≤ cost). Raises SizingError for bad inputs.
    """
    if not (ZERO <= p <= ONE):
        raise SizingError(f"probability {p} outside 0..1")
    if not (ZERO < cost < ONE):
        raise SizingError(f"cost {cost} outside (0, 1)")
    if p <= cost:
        return ZERO
    return (p - cost) / (ONE - cost)


def kelly_contracts(
    p: Decimal,
    cost: Decimal,
    bankroll: Decimal,
    kelly_fraction: float,
    max_contracts: Decimal | int,
    staked: Decimal = ZERO,
    step: Decimal = WHOLE_STEP,
) -> Decimal:
    """Contracts to buy: floor((kelly_fraction × f* × bankroll − staked) / cost) to a multiple of
    `step` (1 or 0.01 contracts), capped at max_contracts (itself floored to the step).

    bankroll: dollars available (≤ 0 gives 0); kelly_fraction: 0 < k ≤ 1 (float setting,
    converted exactly via repr); staked: dollars already at risk on this same bet (held or
    approved), so repeated signals top the stake up to the Kelly target instead of adding a
    fresh Kelly stake each time. Returns a Decimal in [0, max_contracts] on `step` (e.g. 37 on a
    whole-contract market, 37.52 on a fractional one). Raises SizingError.
    """
    if not (0 < kelly_fraction <= 1):
        raise SizingError(f"kelly_fraction {kelly_fraction} outside (0, 1]")
    none = floor_to_step(ZERO, step)
    if bankroll <= ZERO or max_contracts <= 0:
        return none
    f_star = kelly_fraction_binary(p, cost)
    if f_star == ZERO:
        return none
    stake = Decimal(repr(float(kelly_fraction))) * f_star * bankroll - max(staked, ZERO)
    if stake <= ZERO:
        return none
    return min(floor_to_step(stake / cost, step), floor_to_step(Decimal(max_contracts), step))
