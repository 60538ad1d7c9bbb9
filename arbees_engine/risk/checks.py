"""Pre-trade checks. Each returns None (pass) or a stable snake_case reason code.

All take (signal, ctx, limits). Money in Decimal dollars, durations in seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from arbees_engine.model import Leg, Mode, Outcome, Side, Signal, SignalKind, depth, paying_results
from arbees_engine.model.contracts import WHOLE_STEP, format_contracts, on_step
from arbees_engine.model.fees import taker_fee
from arbees_engine.model.money import ZERO
from arbees_engine.settings import RiskLimits

from .context import RiskContext

Check = Callable[[Signal, RiskContext, RiskLimits], str | None]


def _age_s(now: datetime, then: datetime | None) -> float:
    return float("inf") if then is None else (now - then).total_seconds()


def _fees(signal: Signal, ctx: RiskContext) -> Decimal:
    """Worst-case taker fees at each leg's limit price, dollars."""
    legs = signal.legs
    return sum((taker_fee(ctx.markets[leg.market_id].fees, leg.limit_price, leg.contracts) for leg in legs), ZERO)


def invalid_signal(signal: Signal, ctx: RiskContext, limits: RiskLimits) -> str | None:
    """No legs, a non-positive leg, an ARB without two equal legs, a leg on an unknown market
    ("unknown_market"), or a leg whose contracts are not a multiple of its market's contract step
    (2.5 on a whole-contract market: "off_step")."""
    if not signal.legs or any(leg.contracts <= 0 for leg in signal.legs):
        return "invalid_signal"
    legs = signal.legs
    if signal.kind is SignalKind.ARB and (len(legs) != 2 or legs[0].contracts != legs[1].contracts):
        return "invalid_signal"
    if any(leg.market_id not in ctx.markets for leg in signal.legs):
        return "unknown_market"
    if any(not on_step(Decimal(leg.contracts), _step(ctx, leg)) for leg in legs):
        return "off_step"
    return None


def _step(ctx: RiskContext, leg: Leg) -> Decimal:
    """The contract step of a leg's market (1 when the market is unknown)."""
    market = ctx.markets.get(leg.market_id)
    return market.contract_step if market is not None else WHOLE_STEP


def _takes(ctx: RiskContext, leg: Leg) -> list[depth.Take]:
    """The levels a leg would take (its book walked up to its limit on its market's step, as the
    broker fills); [] without a book."""
    book = ctx.books.get(leg.market_id)
    return depth.walk(book.asks_for(leg.side), leg.contracts, leg.limit_price, _step(ctx, leg)) if book else []


def kill_switch(signal: Signal, ctx: RiskContext, limits: RiskLimits) -> str | None:
    """The kill switch is engaged."""
    return "kill_switch" if ctx.kill_engaged else None


def mode_halted(signal: Signal, ctx: RiskContext, limits: RiskLimits) -> str | None:
    """The engine is HALTED."""
    return "mode_halted" if ctx.mode is Mode.HALTED else None


def control_plane_down(signal: Signal, ctx: RiskContext, limits: RiskLimits) -> str | None:
    """Store (PostgreSQL) or bus (Redis) unreachable: no new positions (ARCHITECTURE.md)."""
    return None if (ctx.store_ok and ctx.bus_ok) else "control_plane_down"


def stale_quote(signal: Signal, ctx: RiskContext, limits: RiskLimits) -> str | None:
    """A leg's book is missing, flagged stale, or older than quote_stale_s."""
    for leg in signal.legs:
        book = ctx.books.get(leg.market_id)
        if book is None or book.stale or _age_s(ctx.now, book.updated_at) > limits.quote_stale_s:
            return "stale_quote"
    return None


def stale_game(signal: Signal, ctx: RiskContext, limits: RiskLimits) -> str | None:
    """The game's latest state is missing or older than game_state_stale_s."""
    if _age_s(ctx.now, ctx.game_observed_at.get(signal.game_id)) > limits.game_state_stale_s:
        return "stale_game"
    return None


def price_band(signal: Signal, ctx: RiskContext, limits: RiskLimits) -> str | None:
    """A leg could fill outside min_price..max_price (dollars per contract).

    Rejected when a leg's limit price lies outside the band, or when any ask level the leg would
    take (its book walked from the best price up to the limit for its contracts, as the broker
    fills) is below min_price: a buy fills at every cheaper level first. A leg whose book is
    missing is checked on its limit only (stale_quote rejects it).
    """
    for leg in signal.legs:
        if not limits.min_price <= leg.limit_price <= limits.max_price:
            return "price_band"
        if any(take.price < limits.min_price for take in _takes(ctx, leg)):
            return "price_band"
    return None


def price_moved(signal: Signal, ctx: RiskContext, limits: RiskLimits) -> str | None:
    """The book no longer offers a leg's full size at or below its limit price."""
    for leg in signal.legs:
        if depth.total_contracts(_takes(ctx, leg)) < leg.contracts:
            return "price_moved"
    return None


def _reserved(ctx: RiskContext, keep: Callable[[str | None], bool]) -> Decimal:
    """Worst-case cost (dollars, limit × contracts) of the legs approved or sent but not yet held
    (reserved signals and unresolved orders, `RiskContext.commitments`) in a game for which
    keep(game_id) holds; game_id is None for an order on an unknown market."""
    return sum((c.cost for c in ctx.commitments() if keep(c.game_id)), ZERO)


def max_position(signal: Signal, ctx: RiskContext, limits: RiskLimits) -> str | None:
    """Held + committed (reserved signals, unresolved orders) + new contracts on a market side
    would exceed max_position_contracts (Decimal contracts, so a fractional limit such as 2.5 holds exactly)."""
    committed = ctx.commitments()
    for leg in signal.legs:
        pos = ctx.portfolio.position(leg.market_id, leg.side)
        held = (pos.contracts if pos else ZERO) + sum(
            (c.contracts for c in committed if (c.market_id, c.side) == (leg.market_id, leg.side)), ZERO
        )
        if held + leg.contracts > limits.max_position_contracts:
            return "max_position"
    return None


def game_exposure(signal: Signal, ctx: RiskContext, limits: RiskLimits) -> str | None:
    """Dollars at cost in the game (held + reserved signals + unresolved orders) plus this signal's
    worst-case cost would exceed max_game_exposure."""
    reserved = _reserved(ctx, lambda game_id: game_id == signal.game_id)
    if ctx.portfolio.exposure_by_game(signal.game_id) + reserved + signal.cost > limits.max_game_exposure:
        return "game_exposure"
    return None


def sport_exposure(signal: Signal, ctx: RiskContext, limits: RiskLimits) -> str | None:
    """Dollars at cost in the game's sport (held + reserved signals + unresolved orders) plus this
    signal's cost would exceed max_sport_exposure."""
    sport = ctx.game_sports.get(signal.game_id)
    if sport is None:
        return "unknown_game"
    reserved = _reserved(ctx, lambda game_id: game_id is not None and ctx.game_sports.get(game_id) is sport)
    if ctx.portfolio.exposure_by_sport(sport) + reserved + signal.cost > limits.max_sport_exposure:
        return "sport_exposure"
    return None


def daily_loss(signal: Signal, ctx: RiskContext, limits: RiskLimits) -> str | None:
    """Realized P&L minus fees since UTC midnight, with the marked value of the still-open legs of
    games with a leg settled since that midnight (Portfolio.day_pnl_for_loss_limit), is at or below
    −daily_loss_limit. A leg settled on an earlier UTC day does not loosen today's limit."""
    return "daily_loss" if ctx.portfolio.day_pnl_for_loss_limit(ctx.now) <= -limits.daily_loss_limit else None


def cooldown(signal: Signal, ctx: RiskContext, limits: RiskLimits) -> str | None:
    """We traded this game less than game_cooldown_s ago."""
    return "cooldown" if _age_s(ctx.now, ctx.last_trade_at.get(signal.game_id)) < limits.game_cooldown_s else None


def opposing_position(signal: Signal, ctx: RiskContext, limits: RiskLimits) -> str | None:
    """An EDGE leg would bet against a held position, a committed leg (approved and unrun, or a
    live order whose outcome is unknown: `RiskContext.commitments`) or another leg, in the same game.

    Two holdings oppose when no game result pays both (e.g. YES home vs YES away or NO home).
    ARB signals are exempt: their legs are the two sides of one outcome by design and the pair
    is direction-neutral. Consequence: after an ARB, EDGE trades in that game are refused.
    """
    if signal.kind is SignalKind.ARB:
        return None
    sport = ctx.game_sports.get(signal.game_id)

    def pays(market_id: str, side: Side) -> frozenset[Outcome]:
        return paying_results(ctx.markets[market_id].outcome, side, sport)

    held = [
        pays(p.market_id, p.side)
        for p in ctx.portfolio.positions()
        if p.game_id == signal.game_id and p.market_id in ctx.markets
    ]
    held += [
        pays(c.market_id, c.side)
        for c in ctx.commitments()
        if c.game_id == signal.game_id and c.market_id in ctx.markets
    ]
    new: list[frozenset[Outcome]] = []
    for leg in signal.legs:
        mine = pays(leg.market_id, leg.side)
        if any(not (mine & other) for other in held + new):
            return "opposing_position"
        new.append(mine)
    return None


def insufficient_balance(signal: Signal, ctx: RiskContext, limits: RiskLimits) -> str | None:
    """Worst-case cost + fees exceeds available cash minus min_available_balance minus the
    worst-case cost of reserved signals and unresolved orders (dollars)."""
    spendable = ctx.portfolio.bankroll.available - limits.min_available_balance - _reserved(ctx, lambda _: True)
    return "insufficient_balance" if signal.cost + _fees(signal, ctx) > spendable else None


#: Order matters: the first failing check is the reported reason.
CHECKS: tuple[Check, ...] = (
    kill_switch,
    mode_halted,
    control_plane_down,
    invalid_signal,
    stale_quote,
    stale_game,
    price_band,
    price_moved,
    max_position,
    game_exposure,
    sport_exposure,
    daily_loss,
    cooldown,
    opposing_position,
    insufficient_balance,
)

#: Checks that need every leg's market known; skipped once invalid_signal/unknown_market fails.
NEEDS_MARKETS = frozenset({price_moved, opposing_position, insufficient_balance})


def leg_summary(leg: Leg) -> str:
    """Short text for logs: "kalshi:T yes 10@0.55"."""
    return f"{leg.market_id} {leg.side.value} {format_contracts(leg.contracts)}@{leg.limit_price}"
