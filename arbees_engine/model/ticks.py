"""Price grids: which limit prices a venue accepts on a market, in exact Decimal dollars (YES terms)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from .money import ONE, ZERO, MoneyError, floor_to_tick, to_decimal
from .venue import Side


class TickError(ValueError):
    """Raised for an impossible tick schedule: a step ≤ 0 or not finite, a range outside 0..1 or
    empty, no range at all, or schedule text that does not parse."""


class Rounding(StrEnum):
    """Which way a price moves onto a tick grid: DOWN for a buy limit (never pay more than
    intended), UP for a sell limit (never sell for less)."""

    DOWN = "down"
    UP = "up"

    @property
    def opposite(self) -> Rounding:
        """The other direction."""
        return Rounding.UP if self is Rounding.DOWN else Rounding.DOWN


@dataclass(frozen=True, slots=True)
class TickRange:
    """Prices `start`..`end` (dollars, both ends included) quoted in steps of `step` dollars from
    `start`: Kalshi's `price_ranges[]` element {start, end, step}
    (https://docs.kalshi.com/getting_started/fixed_point_migration, "Price Level Structures").
    Raises TickError unless 0 ≤ start < end ≤ 1 and 0 < step ≤ end − start, all finite."""

    start: Decimal
    end: Decimal
    step: Decimal

    def __post_init__(self) -> None:
        if not all(isinstance(v, Decimal) and v.is_finite() for v in (self.start, self.end, self.step)):
            raise TickError(f"tick range {self.start}..{self.end} step {self.step} is not finite Decimals")
        if not (ZERO <= self.start < self.end <= ONE) or not (ZERO < self.step <= self.end - self.start):
            raise TickError(f"tick range {self.start}..{self.end} step {self.step} is outside 0..1 or empty")

    def floor(self, price: Decimal) -> Decimal | None:
        """Highest grid price of this range ≤ `price` (dollars), or None when `price` < start."""
        if price < self.start:
            return None
        return self.start + floor_to_tick(min(price, self.end) - self.start, self.step)

    def ceil(self, price: Decimal) -> Decimal | None:
        """Lowest grid price of this range ≥ `price` (dollars), or None when there is none."""
        if price > self.end:
            return None
        up = self.start - floor_to_tick(self.start - max(price, self.start), self.step)  # −floor(−x) = ceil(x)
        return up if up <= self.end else None


@dataclass(frozen=True, slots=True)
class TickSchedule:
    """A market's price grid: the union of its `ranges`' steps, as exact Decimal dollars.

    A price is on the grid when some range holds it at a whole number of steps from its start.
    Kalshi states the grid per market in `price_ranges` (e.g. `tapered_deci_cent`: $0.001 steps
    below $0.10 and above $0.90, $0.01 between; https://docs.kalshi.com/getting_started/fixed_point_migration);
    Polymarket has one tick per market (`orderPriceMinTickSize`, updated by the market channel's
    `tick_size_change`; https://docs.polymarket.com/developers/CLOB/websocket/market-channel).
    The grid is in YES-price terms; `round_for` mirrors it for the NO contract (NO at p = YES at 1 − p).
    Raises TickError when `ranges` is empty.
    """

    ranges: tuple[TickRange, ...]

    def __post_init__(self) -> None:
        if not self.ranges:
            raise TickError("a tick schedule needs at least one range")

    @classmethod
    def uniform(cls, step: Decimal) -> TickSchedule:
        """One step over the whole 0..1 dollar range. Raises TickError for a step ≤ 0 or > 1."""
        return cls((TickRange(ZERO, ONE, step),))

    @classmethod
    def of(cls, ranges: Iterable[tuple[object, object, object]]) -> TickSchedule:
        """From (start, end, step) triples of strings/Decimals in dollars (floats via their repr).
        Raises TickError for a value that is not a finite number, or an impossible range."""
        out = []
        for start, end, step in ranges:
            try:
                out.append(TickRange(*(to_decimal(v, field="tick") for v in (start, end, step))))
            except MoneyError as exc:
                raise TickError(str(exc)) from exc
        return cls(tuple(sorted(out, key=lambda r: (r.start, r.end))))

    @classmethod
    def from_text(cls, text: str) -> TickSchedule:
        """Inverse of `text` ("0.00:0.10:0.001;0.10:0.90:0.01;…"). Raises TickError."""
        parts = [p.split(":") for p in text.split(";") if p.strip()]
        if any(len(p) != 3 for p in parts):
            raise TickError(f"tick schedule text {text!r} is not start:end:step;…")
        return cls.of([(start, end, step) for start, end, step in parts])

    @property
    def text(self) -> str:
        """Canonical text "start:end:step;…" (dollars), for `MarketListing.extra[TICK_SCHEDULE_KEY]`."""
        return ";".join(f"{r.start}:{r.end}:{r.step}" for r in self.ranges)

    @property
    def finest(self) -> Decimal:
        """Smallest step in dollars: what `Market.tick` / `MarketListing.tick` hold."""
        return min(r.step for r in self.ranges)

    @property
    def coarsest(self) -> Decimal:
        """Largest step in dollars."""
        return max(r.step for r in self.ranges)

    def on_grid(self, price: Decimal) -> bool:
        """True when `price` (dollars) is a price the venue accepts on this grid."""
        return any(r.start <= price <= r.end and (price - r.start) % r.step == 0 for r in self.ranges)

    def round_to_grid(self, price: Decimal, rounding: Rounding) -> Decimal | None:
        """`price` (dollars) itself when on the grid, else the nearest grid price below (DOWN) or
        above (UP); None when the grid has no price on that side."""
        if self.on_grid(price):
            return price
        if rounding is Rounding.DOWN:
            below = [p for r in self.ranges if (p := r.floor(price)) is not None]
            return max(below) if below else None
        above = [p for r in self.ranges if (p := r.ceil(price)) is not None]
        return min(above) if above else None

    def round_for(self, side: Side, price: Decimal, rounding: Rounding) -> Decimal | None:
        """`round_to_grid` for a price of the `side` contract: a NO price p is on the grid when the
        YES price 1 − p is, and rounding p DOWN moves 1 − p UP. None when there is no grid price."""
        if side is Side.YES:
            return self.round_to_grid(price, rounding)
        mirrored = self.round_to_grid(ONE - price, rounding.opposite)
        return None if mirrored is None else ONE - mirrored


#: `MarketListing.extra` key of the venue's grid as text, for readers (orders read `tick_schedule`).
TICK_SCHEDULE_KEY = "tick_schedule"
#: Prefix of a TICK_SCHEDULE_KEY value that marks the venue's stated grid as unusable (e.g. a Kalshi
#: `price_ranges` step of 0): "refused: <why>". The listing is still kept (status, result: settlement
#: needs it) with its `tick_refused` set, so `price_grid` raises TickError and no order is sent.
TICK_SCHEDULE_REFUSED = "refused: "


class Ticked(Protocol):
    """What `price_grid` reads of a market: its finest price step (`Market.tick`, dollars)."""

    @property
    def tick(self) -> Decimal:
        """Minimum price increment in dollars."""
        ...


class TickGridSource(Protocol):
    """What states a market's grid: a `Market` or its latest `MarketListing`."""

    @property
    def tick_schedule(self) -> TickSchedule | None:
        """The venue's price-dependent grid (None: uniform at the market's tick)."""
        ...

    @property
    def tick_refused(self) -> str:
        """Why the venue's grid was rejected at parse time ("" if it was not)."""
        ...


class GridMarket(Ticked, TickGridSource, Protocol):
    """A market as `price_grid` reads it: its tick and its own stated grid (a `Market`)."""


def price_grid(market: GridMarket, latest: TickGridSource | None = None) -> TickSchedule:
    """The grid a limit price on `market` must sit on (dollars, YES terms).

    Stated by `latest` (the market's latest MarketListing) or else `market`: its `tick_schedule` (Kalshi
    `price_ranges`) when its finest step equals
    `market.tick`; otherwise (none, or one the tick has since moved from, e.g. a Polymarket
    `tick_size_change`) uniform at `market.tick`. Raises TickError when the venue's grid was rejected
    at parse time (`tick_refused`: trading stops, whatever `market.tick` says) or for an impossible
    `market.tick`.
    """
    source: TickGridSource = latest if latest is not None else market
    if source.tick_refused:
        raise TickError(f"the venue's price grid was rejected ({source.tick_refused})")
    schedule = source.tick_schedule
    if schedule is not None and schedule.finest == market.tick:
        return schedule
    return TickSchedule.uniform(market.tick)
