"""Model-vs-market edge signals on one venue.

Buying YES costs the YES ask; buying NO costs 1 − (best YES bid) (model/book.py). For a side
with model probability p, a level at price P clears when p − P − fee/contract(P) ≥ min_edge.
Size = fractional Kelly (strategy/sizing.py) at the all-in cost, capped by settings and by the
depth of clearing levels; edge is recomputed on the exact fills (per-level venue-rounded fees).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from arbees_engine.model import Leg, Market, OrderBook, Side, Signal, SignalKind, depth
from arbees_engine.model.contracts import floor_to_step
from arbees_engine.model.fees import fee_per_contract_estimate
from arbees_engine.model.money import ONE, ZERO, probability_to_decimal
from arbees_engine.settings import StrategySettings

from .sizing import kelly_contracts, kelly_fraction_binary

IdSource = Callable[[], str]
EDGE_QUANTUM = Decimal("0.000001")


def uuid_ids() -> str:
    """Default id source: a random uuid4 hex (use an IdFactory for reproducible runs)."""
    return uuid.uuid4().hex


def clearing_levels(market: Market, book: OrderBook, side: Side, p: Decimal, min_edge: Decimal) -> list[depth.Take]:
    """Levels to buy `side` whose marginal edge p − P − fee/contract ≥ min_edge, each size floored
    to the market's contract step (whole contracts, or 0.01 on a fractional market).

    Uses the unrounded marginal fee rate; stops at the first level that does not clear
    (levels are best first, so deeper ones cannot clear either).
    """
    takes: list[depth.Take] = []
    for level in book.asks_for(side):
        if not (ZERO < level.price < ONE):
            continue
        if p - level.price - fee_per_contract_estimate(market.fees, level.price) < min_edge:
            break
        qty = floor_to_step(level.size, market.contract_step)
        if qty > 0:
            takes.append(depth.Take(level.price, qty))
    return takes


def _all_in_cost(market: Market, takes: list[depth.Take]) -> Decimal:
    """(notional + fees) / contracts in dollars for non-empty takes."""
    n = depth.total_contracts(takes)
    return (depth.notional(takes) + depth.fees(market.fees, takes)) / n


def _size(
    market: Market,
    levels: list[depth.Take],
    p: Decimal,
    settings: StrategySettings,
    bankroll: Decimal,
    staked: Decimal = ZERO,
) -> list[depth.Take]:
    """Kelly-size against the best level's all-in cost, then re-size at the walked VWAP cost."""
    cap = min(settings.max_contracts_per_signal, depth.total_contracts(levels))
    first = levels[0].price + fee_per_contract_estimate(market.fees, levels[0].price)
    step = market.contract_step
    n = kelly_contracts(p, first, bankroll, settings.kelly_fraction, cap, staked, step) if first < ONE else ZERO
    for _ in range(3):  # deeper levels raise the cost, which lowers Kelly: iterate to a fixed point
        if n <= 0:
            return []
        takes = depth.prefix(levels, n)
        cost = _all_in_cost(market, takes)
        if cost >= ONE:
            return []
        n_next = min(n, kelly_contracts(p, cost, bankroll, settings.kelly_fraction, cap, staked, step))
        if n_next == n:
            return takes
        n = n_next
    return depth.prefix(levels, n) if n > 0 else []


def _side_signal(
    game_id: str,
    market: Market,
    book: OrderBook,
    side: Side,
    p: Decimal,
    market_p: float,
    settings: StrategySettings,
    bankroll: Decimal,
    now: datetime,
    ids: IdSource,
    raw: tuple[float | None, float],
    staked: Decimal,
) -> Signal | None:
    levels = clearing_levels(market, book, side, p, settings.min_edge)
    if not levels:
        return None
    takes = _size(market, levels, p, settings, bankroll, staked)
    n = depth.total_contracts(takes)
    if n <= 0 or n < market.min_order_contracts:  # the venue would refuse a smaller order
        return None
    cost = _all_in_cost(market, takes)
    edge = (p - cost).quantize(EDGE_QUANTUM, rounding=ROUND_FLOOR)  # never overstate
    if edge < settings.min_edge:
        return None  # venue rounding on a small order ate the edge
    leg = Leg(market.market_id, market.venue, side, takes[-1].price, n)
    return Signal(
        signal_id=ids(),
        kind=SignalKind.EDGE,
        game_id=game_id,
        legs=(leg,),
        model_prob=float(p),
        market_prob=market_p,
        edge=edge,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.manual_expiry_s),
        stake_fraction=settings.kelly_fraction * float(kelly_fraction_binary(p, cost)),
        raw_model_prob=raw[0],
        market_weight=raw[1],
    )


def _market_prob(book: OrderBook, side: Side, market_p: float | None) -> float:
    """The market's probability for `side`: given YES prob or the book mid (NO = 1 − YES)."""
    if market_p is None:
        mid = book.mid
        market_p = float(mid) if mid is not None else float("nan")
    return market_p if side is Side.YES else 1.0 - market_p


def find_edge(
    game_id: str,
    market: Market,
    book: OrderBook,
    p_yes: float,
    market_p: float | None,
    settings: StrategySettings,
    bankroll_available: Decimal,
    now: datetime,
    ids: IdSource = uuid_ids,
    *,
    raw_p_yes: float | None = None,
    market_weight: float = 0.0,
    staked: Mapping[Side, Decimal] | None = None,
) -> Signal | None:
    """Best EDGE signal on `market` (buy YES with p_yes or NO with 1 − p_yes), or None.

    p_yes: probability the market's YES pays that the signal trades on (float 0..1, usually the
    model shrunk toward the mid; converted to Decimal here, MoneyError if NaN/out of range).
    market_p: market's YES probability for the record (None → book mid). raw_p_yes and
    market_weight: the model's own YES probability before shrinkage and the weight used, recorded
    on the signal (raw_model_prob is given for the signal's side). bankroll_available: dollars
    Kelly may size against; staked: dollars already at risk per side of this market (held or
    approved), deducted from the Kelly stake. `ids` makes signal ids.
    The leg's limit_price is the worst level used; contracts are Kelly-sized and capped by
    `settings.max_contracts_per_signal` and the depth of levels that clear `settings.min_edge`.
    Returns None for a stale or crossed book or when no side clears min_edge.
    """
    p = probability_to_decimal(p_yes)
    if book.stale or book.crossed:
        return None
    best: Signal | None = None
    for side, p_side in ((Side.YES, p), (Side.NO, ONE - p)):
        raw = None if raw_p_yes is None else raw_p_yes if side is Side.YES else 1.0 - raw_p_yes
        signal = _side_signal(
            game_id,
            market,
            book,
            side,
            p_side,
            _market_prob(book, side, market_p),
            settings,
            bankroll_available,
            now,
            ids,
            (raw, market_weight),
            (staked or {}).get(side, ZERO),
        )
        if signal is not None and (best is None or signal.edge > best.edge):
            best = signal
    return best
