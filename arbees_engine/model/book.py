"""Order books: price levels and the venue's book messages in domain terms.

Every book is kept from the YES contract's point of view, in dollars per contract:
a NO bid at q is a YES ask at 1 − q, so the NO ask is 1 − (best YES bid) and the NO bid is
1 − (best YES ask). This holds on Kalshi (one book, two sides; see
https://docs.kalshi.com/getting_started/orderbook_responses) and on Polymarket (complementary
outcome tokens mirror each other's books; https://docs.polymarket.com/developers/CLOB/orderbook).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from .bounds import MAX_BOOK_LEVELS, check_level, levels_after
from .money import ONE, MoneyError
from .venue import Side


class BookError(ValueError):
    """Raised for an impossible book update (price outside 0..1, negative size, NaN, a size above
    MAX_LEVEL_CONTRACTS, too many decimal places, more than MAX_BOOK_LEVELS levels on a side)."""


@dataclass(frozen=True, slots=True)
class BookLevel:
    """One price level: `price` dollars (0..1), `size` contracts (may be fractional on Kalshi)."""

    price: Decimal
    size: Decimal


class BookUpdateKind(StrEnum):
    """What a BookUpdate does to the book.

    SNAPSHOT replaces the whole book with the update's levels. SET_LEVELS sets each listed level
    to the absolute size it carries (size 0 removes the level) and leaves the others alone: the
    venue's change (a Kalshi `orderbook_delta` of +/− contracts, a Polymarket `price_change`) is
    already applied by the adapter, so what reaches the book is never a signed change.
    """

    SNAPSHOT = "snapshot"
    SET_LEVELS = "set_levels"


@dataclass(frozen=True, slots=True)
class BookUpdate:
    """A venue's book message turned into domain terms, for the YES contract.

    kind: SNAPSHOT replaces the whole book; SET_LEVELS sets `bids`/`asks` as new absolute sizes
    per level (size 0 removes a level). `seq` is the venue's sequence number or None.
    Raises TypeError when `kind` is not a BookUpdateKind (a bare bool from the old `is_snapshot`
    field would otherwise be taken silently).
    """

    market_id: str
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    kind: BookUpdateKind
    seq: int | None = None
    received_at: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.kind, BookUpdateKind):
            raise TypeError(f"BookUpdate.kind must be a BookUpdateKind, not {self.kind!r}")

    @property
    def is_snapshot(self) -> bool:
        """True for a SNAPSHOT (replaces the whole book)."""
        return self.kind is BookUpdateKind.SNAPSHOT


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
        """Apply a snapshot or a level set atomically (validated first). Raises BookError. Only a
        snapshot clears `stale`: levels set on a book we stopped trusting are still untrustworthy."""
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
        if snapshot:  # only a full snapshot makes a stale book trustworthy again
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
