"""Cross-venue arbitrage: YES on one venue + NO on the other for the SAME outcome.

One YES and one NO on equivalent markets pay exactly $1 together whatever happens, so a pair
bought for less than $1 after both taker fees locks in the difference. The matcher guarantees
the two markets are equivalent. Books are walked jointly: pairs are added level by level while
the marginal pair cost (both prices + both per-contract fee rates) leaves ≥ min_arb_profit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from arbees_engine.model import Leg, Market, OrderBook, Side, Signal, SignalKind, depth
from arbees_engine.model.contracts import floor_to_step
from arbees_engine.model.fees import fee_per_contract_estimate
from arbees_engine.model.money import ONE, ZERO
from arbees_engine.settings import StrategySettings

from .edge import EDGE_QUANTUM, IdSource, uuid_ids


def _marginal_cost(market: Market, price: Decimal) -> Decimal:
    return price + fee_per_contract_estimate(market.fees, price)


def joint_depth(
    market_a: Market, levels_a: list[depth.Take], market_b: Market, levels_b: list[depth.Take], min_profit: Decimal
) -> tuple[list[depth.Take], list[depth.Take]]:
    """Walk both sides' levels (sizes on the pair's contract step) together while 1 − marginal
    pair cost ≥ min_profit.

    Returns equal-sized takes for A and B (possibly empty).
    """
    takes_a: list[depth.Take] = []
    takes_b: list[depth.Take] = []
    i = j = 0
    left_a = levels_a[0].contracts if levels_a else ZERO
    left_b = levels_b[0].contracts if levels_b else ZERO
    while i < len(levels_a) and j < len(levels_b):
        pa, pb = levels_a[i].price, levels_b[j].price
        if ONE - _marginal_cost(market_a, pa) - _marginal_cost(market_b, pb) < min_profit:
            break
        qty = min(left_a, left_b)
        takes_a.append(depth.Take(pa, qty))
        takes_b.append(depth.Take(pb, qty))
        left_a -= qty
        left_b -= qty
        if left_a == 0:
            i += 1
            left_a = levels_a[i].contracts if i < len(levels_a) else ZERO
        if left_b == 0:
            j += 1
            left_b = levels_b[j].contracts if j < len(levels_b) else ZERO
    return _merge(takes_a), _merge(takes_b)


def _merge(takes: list[depth.Take]) -> list[depth.Take]:
    """Merge consecutive takes at the same price (one fill per level)."""
    out: list[depth.Take] = []
    for t in takes:
        if out and out[-1].price == t.price:
            out[-1] = depth.Take(t.price, out[-1].contracts + t.contracts)
        else:
            out.append(t)
    return out


def pair_step(market_a: Market, market_b: Market) -> Decimal:
    """The contract step both legs of a pair can trade: the coarser of the two (1 when either
    market trades whole contracts, 0.01 when both trade fractions)."""
    return max(market_a.contract_step, market_b.contract_step)


def _levels(book: OrderBook, side: Side, step: Decimal) -> list[depth.Take]:
    takes = [depth.Take(lv.price, floor_to_step(lv.size, step)) for lv in book.asks_for(side)]
    return [t for t in takes if t.contracts > 0 and ZERO < t.price < ONE]


def _pair_cost(market_a: Market, ta: list[depth.Take], market_b: Market, tb: list[depth.Take]) -> Decimal:
    """Exact dollars for both legs: notionals + per-level venue-rounded taker fees."""
    return depth.notional(ta) + depth.fees(market_a.fees, ta) + depth.notional(tb) + depth.fees(market_b.fees, tb)


def _affordable(
    market_a: Market,
    ta: list[depth.Take],
    market_b: Market,
    tb: list[depth.Take],
    budget: Decimal,
    cap: Decimal,
    step: Decimal,
) -> Decimal:
    """Largest n ≤ cap, a multiple of `step`, whose exact pair cost fits `budget` dollars (binary
    search over whole steps; cost is monotone)."""
    lo, hi = 0, int(floor_to_step(cap, step) / step)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        n = mid * step
        if _pair_cost(market_a, depth.prefix(ta, n), market_b, depth.prefix(tb, n)) <= budget:
            lo = mid
        else:
            hi = mid - 1
    return floor_to_step(lo * step, step)


def _direction(
    game_id: str,
    market_a: Market,
    book_a: OrderBook,
    side_a: Side,
    market_b: Market,
    book_b: OrderBook,
    settings: StrategySettings,
    budget: Decimal,
    now: datetime,
    ids: IdSource,
) -> Signal | None:
    step = pair_step(market_a, market_b)
    ta, tb = joint_depth(
        market_a,
        _levels(book_a, side_a, step),
        market_b,
        _levels(book_b, side_a.opposite, step),
        settings.min_arb_profit,
    )
    cap = min(depth.total_contracts(ta), settings.max_contracts_per_signal)
    n = _affordable(market_a, ta, market_b, tb, budget, cap, step) if budget > ZERO else ZERO
    if n <= 0 or n < max(market_a.min_order_contracts, market_b.min_order_contracts):
        return None  # nothing affordable, or below a venue's minimum order size
    ta, tb = depth.prefix(ta, n), depth.prefix(tb, n)
    profit = ((n - _pair_cost(market_a, ta, market_b, tb)) / n).quantize(EDGE_QUANTUM, rounding=ROUND_FLOOR)
    if profit < settings.min_arb_profit:
        return None  # per-fill rounding on a small size ate the margin
    legs = (
        Leg(market_a.market_id, market_a.venue, side_a, ta[-1].price, n),
        Leg(market_b.market_id, market_b.venue, side_a.opposite, tb[-1].price, n),
    )
    return Signal(
        signal_id=ids(),
        kind=SignalKind.ARB,
        game_id=game_id,
        legs=legs,
        model_prob=1.0,
        market_prob=float(ONE - profit),
        edge=profit,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.manual_expiry_s),
    )


def find_arb(
    game_id: str,
    market_a: Market,
    book_a: OrderBook,
    market_b: Market,
    book_b: OrderBook,
    settings: StrategySettings,
    bankroll_available: Decimal,
    now: datetime,
    ids: IdSource = uuid_ids,
) -> Signal | None:
    """Best ARB signal between two equivalent markets on different venues, or None.

    Tries YES on A + NO on B and NO on A + YES on B. Size: joint depth at a marginal profit
    ≥ settings.min_arb_profit per pair, capped by settings.max_contracts_per_signal and by
    `bankroll_available` dollars (all-in cost incl. fees). Both legs have equal contracts;
    limit_price is each leg's worst level. edge = $1 − all-in cost per pair (dollars);
    model_prob = 1.0 (the pair pays with certainty), market_prob = all-in cost per pair.
    Returns None for stale or crossed books, the same market twice, or no profitable pair.
    """
    if market_a.market_id == market_b.market_id:
        return None
    if book_a.stale or book_b.stale or book_a.crossed or book_b.crossed:
        return None
    best: Signal | None = None
    for side_a in (Side.YES, Side.NO):
        signal = _direction(game_id, market_a, book_a, side_a, market_b, book_b, settings, bankroll_available, now, ids)
        if signal is not None and (best is None or signal.edge > best.edge):
            best = signal
    return best
