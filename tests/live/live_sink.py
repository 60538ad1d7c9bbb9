"""A recording Sink for live-layer tests: keeps every event in order and an OrderBook per market."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from arbees_engine.model import BookUpdate, OrderBook


class RecordingSink:
    """Implements the engine Sink protocol; `wait_for(pred)` awaits a condition with a timeout."""

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.books: dict[str, OrderBook] = {}
        self.rejects: list[tuple[str, str, str]] = []
        self._changed = asyncio.Event()

    def _notify(self) -> None:
        self._changed.set()

    def on_book(self, update: BookUpdate) -> None:
        self.events.append(("book", update))
        self.books.setdefault(update.market_id, OrderBook(update.market_id)).apply(update)
        self._notify()

    def on_book_stale(self, market_id: str, reason: str) -> None:
        self.events.append(("stale", market_id, reason))
        self.books.setdefault(market_id, OrderBook(market_id)).stale = True
        self._notify()

    def reject(self, source: str, reason: str, detail: str = "") -> None:
        self.rejects.append((source, reason, detail))
        self._notify()

    def on_game_state(self, state) -> None:  # pragma: no cover - not produced by venue streams
        pass

    def on_listing(self, listing) -> None:  # pragma: no cover
        pass

    def on_market(self, market) -> None:  # pragma: no cover
        pass

    @property
    def updates(self) -> list[BookUpdate]:
        return [e[1] for e in self.events if e[0] == "book"]

    def yes_view(self, market_id: str) -> tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]] | None:
        book = self.books.get(market_id)
        if book is None or book.stale:
            return None
        return dict(book.bids), dict(book.asks)

    async def wait_for(self, predicate, timeout: float = 5.0) -> None:
        """Return once predicate() is true; raise TimeoutError after `timeout` seconds."""
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    def assert_no_update_while_stale(self) -> None:
        """Between a market's stale mark and its next snapshot, no BookUpdate may be emitted."""
        stale: set[str] = set()
        for event in self.events:
            if event[0] == "stale":
                stale.add(event[1])
            elif event[1].market_id in stale:
                assert event[1].is_snapshot, f"level set emitted for stale {event[1].market_id}"
                stale.discard(event[1].market_id)
