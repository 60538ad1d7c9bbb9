"""Venues, markets and order books: venue-neutral domain types.

Every book is kept from the YES contract's point of view, in dollars per contract:
a NO bid at q is a YES ask at 1 − q, so the NO ask is 1 − (best YES bid) and the NO bid is
1 − (best YES ask). This holds on Kalshi (one book, two sides; see
https://docs.kalshi.com/getting_started/orderbook_responses) and on Polymarket (complementary
outcome tokens mirror each other's books; https://docs.polymarket.com/developers/CLOB/orderbook).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from .game import Sport
from .bounds import MAX_BOOK_LEVELS, MAX_LEVEL_CONTRACTS, MAX_PLACES, bounded_number, check_level, levels_after  # noqa: F401
from .money import ONE, ZERO, MoneyError, floor_to_tick, to_decimal


class Venue(StrEnum):
    """Trading venue. The simulated venue reuses these ids with `Market.simulated`."""

    KALSHI = "kalshi"
    POLYMARKET = "polymarket"


class Side(StrEnum):
    """Which contract: YES pays $1 if the market's outcome happens, NO pays $1 if not."""

    YES = "yes"
    NO = "no"

    @property
    def opposite(self) -> "Side":
        """The other contract."""
        return Side.NO if self is Side.YES else Side.YES


class Outcome(StrEnum):
    """Which game result makes YES pay: the home team wins, the away team wins, or a draw."""

    HOME = "home"
    AWAY = "away"
    DRAW = "draw"


def paying_results(outcome: Outcome, side: Side, sport: Sport | None) -> frozenset[Outcome]:
    """Game results for which a contract pays: YES pays on `outcome`, NO on every other result
    (home, away, and a draw in soccer, the only sport here whose games can end level)."""
    results = {Outcome.HOME, Outcome.AWAY} | ({Outcome.DRAW} if sport is Sport.SOCCER else set())
    return frozenset({outcome}) if side is Side.YES else frozenset(results - {outcome})


class FeeKind(StrEnum):
    """Fee formula family; implemented in `arbees_engine.execution.fees`."""

    KALSHI = "kalshi"  # rate × C × P × (1 − P), rounded up to the cent
    POLYMARKET = "polymarket"  # C × rate × (P × (1 − P))^exponent, taker only (docs.polymarket.com/trading/fees)
    NONE = "none"


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """A market's taker/maker fee parameters. `rate` is a fraction (0.07 = 7%)."""

    kind: FeeKind
    taker_rate: Decimal = ZERO
    maker_rate: Decimal = ZERO
    exponent: int = 1


KALSHI_FEES = FeeSchedule(FeeKind.KALSHI, Decimal("0.07"), Decimal("0.0175"))


class TickError(ValueError):
    """Raised for an impossible tick schedule: a step ≤ 0 or not finite, a range outside 0..1 or
    empty, no range at all, or schedule text that does not parse."""


class Rounding(StrEnum):
    """Which way a price moves onto a tick grid: DOWN for a buy limit (never pay more than
    intended), UP for a sell limit (never sell for less)."""

    DOWN = "down"
    UP = "up"

    @property
    def opposite(self) -> "Rounding":
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
    def uniform(cls, step: Decimal) -> "TickSchedule":
        """One step over the whole 0..1 dollar range. Raises TickError for a step ≤ 0 or > 1."""
        return cls((TickRange(ZERO, ONE, step),))

    @classmethod
    def of(cls, ranges: Iterable[tuple[object, object, object]]) -> "TickSchedule":
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
    def from_text(cls, text: str) -> "TickSchedule":
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


@dataclass(frozen=True, slots=True)
class Market:
    """A binary market tied to one game and one outcome.

    market_id: engine-wide id "<venue>:<venue_market_id>" (e.g. "kalshi:KXNBAGAME-26JUN13NYKSAS-SAS").
    venue_market_id: the venue's own id (Kalshi ticker; Polymarket YES token id).
    outcome: which game result pays YES; `yes_team` is that team's abbreviation (None for DRAW).
    tick: minimum price increment in dollars (0.01 or 0.001): the FINEST step of the market's grid
      (the `markets.tick` column). tick_schedule: a price-dependent grid (None: uniform); tick_refused:
      why the venue's grid was rejected ("" if it was not). Read both through `price_grid`.
    """

    market_id: str
    venue: Venue
    venue_market_id: str
    game_id: str
    outcome: Outcome
    yes_team: str | None
    title: str = ""
    tick: Decimal = Decimal("0.01")
    fees: FeeSchedule = KALSHI_FEES
    simulated: bool = False
    no_token_id: str | None = None
    min_order_contracts: int = 1  # the venue refuses smaller orders (Polymarket orderMinSize)
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    tick_schedule: TickSchedule | None = field(default=None, compare=False, hash=False)
    tick_refused: str = field(default="", compare=False, hash=False)


class TickGridSource(Protocol):
    """What states a market's grid: a `Market` or its latest `MarketListing`."""

    tick_schedule: TickSchedule | None
    tick_refused: str


def price_grid(market: Market, latest: TickGridSource | None = None) -> TickSchedule:
    """The grid a limit price on `market` must sit on (dollars, YES terms).

    Stated by `latest` (the market's latest MarketListing) or else `market`: its `tick_schedule`
    (Kalshi `price_ranges`) when its finest step equals `market.tick`; otherwise (none, or one the
    tick has since moved from, e.g. a Polymarket `tick_size_change`) uniform at `market.tick`.
    Raises TickError when the venue's grid was rejected at parse time (`tick_refused`: trading
    stops, whatever `market.tick` says) or for an impossible `market.tick`.
    """
    source: TickGridSource | Market = latest if latest is not None else market
    if source.tick_refused:
        raise TickError(f"the venue's price grid was rejected ({source.tick_refused})")
    schedule = source.tick_schedule
    if schedule is not None and schedule.finest == market.tick:
        return schedule
    return TickSchedule.uniform(market.tick)


class BookError(ValueError):
    """Raised for an impossible book update (price outside 0..1, negative size, NaN, a size above
    MAX_LEVEL_CONTRACTS, too many decimal places, more than MAX_BOOK_LEVELS levels on a side)."""


@dataclass(frozen=True, slots=True)
class BookLevel:
    """One price level: `price` dollars (0..1), `size` contracts (may be fractional on Kalshi)."""

    price: Decimal
    size: Decimal


@dataclass(frozen=True, slots=True)
class BookUpdate:
    """A venue's book message turned into domain terms, for the YES contract.

    is_snapshot: True replaces the whole book; False applies `bids`/`asks` as new absolute
    sizes per level (size 0 removes a level). `seq` is the venue's sequence number or None.
    """

    market_id: str
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    is_snapshot: bool
    seq: int | None = None
    received_at: datetime | None = None


class OrderBook:
    """Price-level order book for one market's YES contract.

    bids/asks map price (dollars) → size (contracts). `seq` is the last applied sequence number.
    `stale` is set while the feed is down or the book is being rebuilt; no signal may use a
    stale book. Methods raise BookError on invalid levels and leave the book unchanged.
    """

    __slots__ = ("asks", "bids", "market_id", "seq", "stale", "updated_at")

    def __init__(self, market_id: str) -> None:
        self.market_id = market_id
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}
        self.seq: int | None = None
        self.updated_at: datetime | None = None
        self.stale = True

    def apply(self, update: BookUpdate) -> None:
        """Apply a snapshot or delta atomically (validated first). Raises BookError. Only a snapshot
        clears `stale`: a delta on top of a book we stopped trusting is still untrustworthy."""
        try:
            bids = [check_level(lv.price, lv.size) for lv in update.bids]
            asks = [check_level(lv.price, lv.size) for lv in update.asks]
        except MoneyError as exc:
            raise BookError(str(exc)) from exc
        snapshot = update.is_snapshot
        if max(levels_after(self.bids, bids, snapshot), levels_after(self.asks, asks, snapshot)) > MAX_BOOK_LEVELS:
            raise BookError(f"{self.market_id}: more than {MAX_BOOK_LEVELS} levels on a side")
        if snapshot:
            self.bids = {p: s for p, s in bids if s > 0}
            self.asks = {p: s for p, s in asks if s > 0}
        else:
            for book, levels in ((self.bids, bids), (self.asks, asks)):
                for p, s in levels:
                    if s > 0:
                        book[p] = s
                    else:
                        book.pop(p, None)
        self.seq = update.seq if update.seq is not None else self.seq
        self.updated_at = update.received_at or self.updated_at
        if update.is_snapshot:  # only a full snapshot makes a stale book trustworthy again
            self.stale = False

    @property
    def best_bid(self) -> BookLevel | None:
        """Highest YES bid, or None."""
        if not self.bids:
            return None
        p = max(self.bids)
        return BookLevel(p, self.bids[p])

    @property
    def best_ask(self) -> BookLevel | None:
        """Lowest YES ask, or None."""
        if not self.asks:
            return None
        p = min(self.asks)
        return BookLevel(p, self.asks[p])

    @property
    def mid(self) -> Decimal | None:
        """(best bid + best ask) / 2 in dollars, or None if either side is empty."""
        bid, ask = self.best_bid, self.best_ask
        if bid is None or ask is None:
            return None
        return (bid.price + ask.price) / 2

    @property
    def crossed(self) -> bool:
        """True when best bid ≥ best ask (a book that cannot be traded on)."""
        bid, ask = self.best_bid, self.best_ask
        return bid is not None and ask is not None and bid.price >= ask.price

    def asks_for(self, side: Side) -> list[BookLevel]:
        """Levels a taker buying `side` would hit, best first.

        Buying YES lifts YES asks; buying NO hits YES bids at price 1 − bid.
        """
        if side is Side.YES:
            return [BookLevel(p, self.asks[p]) for p in sorted(self.asks)]
        return [BookLevel(ONE - p, self.bids[p]) for p in sorted(self.bids, reverse=True)]

    def bids_for(self, side: Side) -> list[BookLevel]:
        """Levels a taker selling `side` would hit, best first."""
        if side is Side.YES:
            return [BookLevel(p, self.bids[p]) for p in sorted(self.bids, reverse=True)]
        return [BookLevel(ONE - p, self.asks[p]) for p in sorted(self.asks)]

    def best_ask_for(self, side: Side) -> BookLevel | None:
        """Best price to buy `side` now, or None."""
        levels = self.asks_for(side)
        return levels[0] if levels else None

    def best_bid_for(self, side: Side) -> BookLevel | None:
        """Best price to sell `side` now, or None."""
        levels = self.bids_for(side)
        return levels[0] if levels else None
