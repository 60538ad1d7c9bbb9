"""Builders shared by the trading tests (markets, books, signals, contexts)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

from arbees_engine.model import (
    KALSHI_FEES,
    BookLevel,
    BookUpdate,
    BookUpdateKind,
    FeeKind,
    FeeSchedule,
    Leg,
    Market,
    OrderBook,
    Outcome,
    Side,
    Signal,
    SignalKind,
    Venue,
)

NOW = datetime(2026, 6, 13, 20, 0, 0, tzinfo=UTC)
GAME = "espn:nba:1"
POLY_SPORTS = FeeSchedule(FeeKind.POLYMARKET, D("0.05"), D("0"), 1)
NO_FEES = FeeSchedule(FeeKind.NONE)


def market(
    mid: str = "kalshi:HOME",
    *,
    venue: Venue = Venue.KALSHI,
    outcome: Outcome = Outcome.HOME,
    fees: FeeSchedule = KALSHI_FEES,
    game_id: str = GAME,
) -> Market:
    return Market(
        mid, venue, mid.split(":")[-1], game_id, outcome, "HOM" if outcome is Outcome.HOME else "AWY", fees=fees
    )


def book(mid: str, bids=(), asks=(), at: datetime = NOW, seq: int | None = 1) -> OrderBook:
    b = OrderBook(mid)
    b.apply(
        BookUpdate(
            mid,
            tuple(BookLevel(D(str(p)), D(str(s))) for p, s in bids),
            tuple(BookLevel(D(str(p)), D(str(s))) for p, s in asks),
            BookUpdateKind.SNAPSHOT,
            seq,
            at,
        )
    )
    return b


class Counter:
    """Deterministic id source: "id-1", "id-2", ..."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"id-{self.n}"


def edge_signal(
    mid: str = "kalshi:HOME",
    side: Side = Side.YES,
    price: str = "0.50",
    contracts: int = 10,
    game_id: str = GAME,
    venue: Venue = Venue.KALSHI,
) -> Signal:
    return Signal(
        "s1", SignalKind.EDGE, game_id, (Leg(mid, venue, side, D(price), contracts),), 0.6, 0.5, D("0.05"), NOW
    )
