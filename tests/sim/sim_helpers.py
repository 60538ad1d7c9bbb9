"""Shared helpers for the simulator tests: a recording Sink and a book tracker."""

from __future__ import annotations

from dataclasses import dataclass, field

from arbees_engine.adapters.sim import SimWorld
from arbees_engine.model import BookUpdate, GameState, Market, MarketListing, OrderBook


@dataclass
class RecordingSink:
    """Implements the engine's `Sink` protocol by recording every call in order."""

    events: list[object] = field(default_factory=list)
    stale: list[tuple[str, str]] = field(default_factory=list)
    rejects: list[tuple[str, str, str]] = field(default_factory=list)

    def on_game_state(self, state: GameState) -> None:
        self.events.append(state)

    def on_listing(self, listing: MarketListing) -> None:
        self.events.append(listing)

    def on_market(self, market: Market) -> None:
        self.events.append(market)

    def on_book(self, update: BookUpdate) -> None:
        self.events.append(update)

    def on_book_stale(self, market_id: str, reason: str) -> None:
        self.stale.append((market_id, reason))

    def reject(self, source: str, reason: str, detail: str = "") -> None:
        self.rejects.append((source, reason, detail))


class Books:
    """The engine's view: one OrderBook per market, fed from BookUpdates."""

    def __init__(self) -> None:
        self.books: dict[str, OrderBook] = {}
        self.markets: dict[str, Market] = {}

    def feed(self, event: object) -> None:
        if isinstance(event, Market):
            self.markets[event.market_id] = event
        elif isinstance(event, BookUpdate):
            self.books.setdefault(event.market_id, OrderBook(event.market_id)).apply(event)

    def mid(self, market_id: str) -> float | None:
        book = self.books.get(market_id)
        return None if book is None or book.mid is None else float(book.mid)


def run_steps(world: SimWorld, steps: int, books: Books | None = None) -> list[object]:
    """Step `world` `steps` times; return all events (and feed `books` if given)."""
    out: list[object] = []
    for _ in range(steps):
        events = world.step()
        if books is not None:
            for e in events:
                books.feed(e)
        out.extend(events)
    return out
