"""Per-leg checks before an arbitrage is sent, and what happens when it is left with one leg.

`grid_limit` / `grid_limits`: a leg's (every leg's) limit on its market's tick grid (model/ticks.py),
rounded DOWN; a multi-leg signal with a leg off its grid is refused (see `Executor.execute`).
`depth_refusal`: on a live desk every leg of a multi-leg signal must have the contracts on the
book's asks at or below its limit before the FIRST leg is sent (model/depth.py `walk`); a leg
whose book is missing, stale or too thin refuses the whole signal ("insufficient_depth: …").

`Legging`: when the second leg fills less than the first (refused, killed, thin), the first leg's
excess is naked. The configured policy (settings `strategy.legged_policy`) runs, is counted in the
engine status (`legged_arbs`, `legged_unwinds`, `legged_unwind_contracts`, `legged_holds`) and
audited (`arb_unwound` / `arb_held`):
- "unwind": buy the complementary contract of the first leg's market for the naked contracts at
  a limit of 1 − (first leg's limit) + `legged_unwind_max_loss` (dollars per contract), rounded
  DOWN on its grid: YES + NO of one market pay exactly $1, so the position is flat and the loss per
  contract is at most `legged_unwind_max_loss` before fees;
- "hold": keep the position and alert (the `arb_held` audit line).
What stays naked is `Legging.naked`, published in the engine status (`naked_exposure`) until the
position is closed (gone from the portfolio, e.g. settled).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

import structlog

from ..cache import Registry
from ..model import Leg, Order, OrderBook, Side, Signal
from ..model.contracts import format_contracts
from ..model.depth import total_contracts, walk
from ..model.ticks import Rounding, TickError, price_grid
from ..portfolio import Portfolio
from ..ports import Outbox
from ..settings import StrategySettings

log = structlog.get_logger(__name__)


class LeggedPolicy(StrEnum):
    """What to do with an arbitrage's naked first leg (module docstring)."""

    UNWIND = "unwind"
    HOLD = "hold"


def grid_limit(cache: Registry, leg: Leg) -> tuple[Decimal, None] | tuple[None, str]:
    """(limit on the grid, None) or (None, "code: detail"). The grid is the market's
    `price_grid` with its latest listing's schedule (Kalshi `price_ranges`)."""
    if not (leg.limit_price.is_finite() and 0 < leg.limit_price <= 1):
        return None, f"limit_out_of_range: {leg.market_id} {leg.side.value} limit {leg.limit_price} is not in (0, 1]"
    market = cache.markets.get(leg.market_id)
    if market is None:
        return None, f"unknown_market: {leg.market_id} is not registered, its tick grid is unknown"
    try:
        grid = price_grid(market, cache.listings.get(leg.market_id))
    except TickError as exc:
        return None, f"bad_tick_grid: {leg.market_id}: {exc}"
    limit = grid.round_for(leg.side, leg.limit_price, Rounding.DOWN)
    if limit is None or limit <= 0:
        return None, (
            f"limit_off_tick_grid: {leg.market_id} {leg.side.value} limit {leg.limit_price} has no "
            f"grid price above $0 at or below it (grid {grid.text})"
        )
    return limit, None


def grid_limits(cache: Registry, out: Outbox, signal: Signal) -> tuple[list[Decimal], str | None]:
    """Every leg's limit (dollars) on its market's tick grid, rounded DOWN; or ([], refusal)
    naming the first leg that cannot be sent, counted as `engine.reject("execution", code)`."""
    limits: list[Decimal] = []
    for leg in signal.legs:
        limit, refusal = grid_limit(cache, leg)
        if refusal is not None:
            code, _, detail = refusal.partition(": ")
            out.reject("execution", code, f"{signal.signal_id}: {detail}")
            return [], refusal
        assert limit is not None  # grid_limit returns a limit or a refusal
        if limit != leg.limit_price and len(signal.legs) > 1:
            # the legs were priced together off the books: a leg rounded away from the price the
            # arbitrage saw may not fill after the first leg did, leaving a naked position
            refusal = (
                f"limit_off_tick_grid: {leg.market_id} {leg.side.value} limit {leg.limit_price} is off "
                f"the grid (nearest below {limit}); a multi-leg signal is sent only at its own prices"
            )
            out.reject("execution", "limit_off_tick_grid", f"{signal.signal_id}: {refusal}")
            return [], refusal
        if limit != leg.limit_price:
            out.count("limit_rounded_to_tick", 1)
            log.info(
                "order.limit_rounded_to_tick",
                signal_id=signal.signal_id,
                market_id=leg.market_id,
                side=leg.side.value,
                limit=str(leg.limit_price),
                sent=str(limit),
            )
        limits.append(limit)
    return limits, None


def depth_refusal(signal: Signal, limits: list[Decimal], books: Mapping[str, OrderBook]) -> str | None:
    """ "insufficient_depth: …" naming the first leg whose book cannot fill it at its limit, else None."""
    for leg, limit in zip(signal.legs, limits, strict=True):
        book = books.get(leg.market_id)
        if book is None or book.stale:
            return f"insufficient_depth: {leg.market_id} has {'no' if book is None else 'a stale'} book"
        available = total_contracts(walk(book.asks_for(leg.side), leg.contracts, limit))
        if available < leg.contracts:
            return (
                f"insufficient_depth: {leg.market_id} {leg.side.value} has {available} of "
                f"{leg.contracts} contracts at or below {limit}"
            )
    return None


@dataclass(slots=True)
class NakedLeg:
    """An arbitrage leg left unhedged: `contracts` of `side` on `market_id`, bought at ≤ `limit`."""

    signal_id: str
    market_id: str
    side: Side
    contracts: Decimal
    limit: Decimal
    since: datetime
    why: str

    def text(self) -> str:
        """One line for the desk: "3 YES kalshi:X ≤$0.55 since 12:00:01Z (hold: …)"."""
        return (
            f"{format_contracts(self.contracts)} {self.side.value.upper()} {self.market_id} ≤${self.limit} "
            f"since {self.since:%H:%M:%SZ} ({self.why})"
        )


class Legging:
    """The legged-arbitrage policy and the naked legs still open (module docstring).

    out: counts and audits; policy / unwind_max_loss (dollars per contract): from settings."""

    def __init__(
        self, out: Outbox, policy: LeggedPolicy = LeggedPolicy.HOLD, unwind_max_loss: Decimal = Decimal("0.03")
    ) -> None:
        self.out, self.policy, self.unwind_max_loss = out, policy, unwind_max_loss
        self.naked: dict[str, NakedLeg] = {}

    def configure(self, strategy: StrategySettings) -> None:
        """Take the policy and the unwind bound from `settings.strategy` (legged_policy, legged_unwind_max_loss)."""
        self.policy, self.unwind_max_loss = LeggedPolicy(strategy.legged_policy), strategy.legged_unwind_max_loss

    def unwind_leg(self, cache: Registry, first: Order, contracts: Decimal) -> tuple[Leg | None, str]:
        """The buy that flattens `contracts` of `first` (its market's other side), or (None, why not)."""
        other = Side.NO if first.side is Side.YES else Side.YES
        cap = min(Decimal(1) - first.limit_price + self.unwind_max_loss, Decimal(1))
        leg = Leg(first.market_id, first.venue, other, cap, contracts)
        limit, refusal = grid_limit(cache, leg)
        if limit is None:
            return None, refusal or "no grid price"
        return Leg(first.market_id, first.venue, other, limit, contracts), ""

    def record(self, signal_id: str, first: Order, contracts: Decimal, now: datetime, why: str) -> None:
        """Keep `contracts` of `first` as naked (shown until the position closes); counted and audited."""
        if contracts <= 0:
            self.naked.pop(signal_id, None)
            return
        self.naked[signal_id] = NakedLeg(signal_id, first.market_id, first.side, contracts, first.limit_price, now, why)
        self.out.count("legged_holds")
        self.out.audit("engine", "arb_held", signal_id, self.naked[signal_id].text())

    def exposure(self, portfolio: Portfolio) -> dict[str, str]:
        """Signal id → its naked leg's line, after dropping legs whose position is closed."""
        for signal_id, leg in list(self.naked.items()):
            position = portfolio.position(leg.market_id, leg.side)
            if position is None or position.contracts <= 0:
                del self.naked[signal_id]
            elif position.contracts < leg.contracts:
                leg.contracts = position.contracts
        return {signal_id: leg.text() for signal_id, leg in self.naked.items()}
