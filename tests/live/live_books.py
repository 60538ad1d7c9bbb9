"""Book snapshots for live-desk tests: a live arbitrage is sent only when both books show its depth."""

from __future__ import annotations

from decimal import Decimal

from arbees_engine.model import BookLevel, BookUpdate, BookUpdateKind, OrderBook


def seed_book(registry, market_id: str, *, bids=(), asks=()) -> OrderBook:
    """Put a fresh YES-book snapshot for `market_id` in `registry.books`; levels are (price, size) strings."""
    book = registry.books.get(market_id) or OrderBook(market_id)
    levels = lambda pairs: tuple(BookLevel(Decimal(p), Decimal(s)) for p, s in pairs)  # noqa: E731
    book.apply(BookUpdate(market_id, levels(bids), levels(asks), BookUpdateKind.SNAPSHOT, 1))
    registry.books[market_id] = book
    return book
