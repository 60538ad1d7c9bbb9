"""What every adapter talks to: the engine's `Sink`, and the `Adapter` protocol it runs under.

An adapter's `run(sink)` coroutine runs until cancelled, pushing domain objects into the sink.
Sink methods are synchronous and cheap (they enqueue or update in memory), so an adapter never
waits on the store or the bus. Bad wire input is counted via `sink.reject(source, reason, detail)`
and never raises out of `run`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ..model import BookUpdate, Fill, GameState, Market, MarketListing, Order


class Sink(Protocol):
    """Receives everything adapters observe. Implemented by the engine (and by test recorders)."""

    def on_game_state(self, state: GameState) -> None:
        """A new observation of a game (any status, including FINAL and POSTPONED)."""

    def on_listing(self, listing: MarketListing) -> None:
        """A venue market discovered or updated; the engine matches it to a game."""

    def on_market(self, market: Market) -> None:
        """A market already tied to a game and outcome (the simulated venue knows its own)."""

    def on_book(self, update: BookUpdate) -> None:
        """An order-book snapshot or level set (`update.kind`) for the YES contract of `update.market_id`."""

    def on_book_stale(self, market_id: str, reason: str) -> None:
        """The book of `market_id` cannot be trusted until its next snapshot."""

    def reject(self, source: str, reason: str, detail: str = "") -> None:
        """Count and log a rejected input (`source` e.g. "espn", `reason` a short stable code)."""


class Adapter(Protocol):
    """A feed or venue connection."""

    name: str

    async def run(self, sink: Sink) -> None:
        """Run until cancelled, pushing into `sink`. Must not raise on bad input."""


class BookStream(Protocol):
    """A venue's book stream (Kalshi tickers, Polymarket YES token ids), driven by `StreamingVenue`."""

    async def run(self, sink: Sink) -> None:
        """Stream until cancelled, pushing book updates into `sink`; reconnects on its own."""

    async def subscribe(self, venue_market_ids: list[str]) -> None:
        """Start streaming these markets' books."""

    async def unsubscribe(self, venue_market_ids: list[str]) -> None:
        """Stop streaming these markets; their books go stale."""


class Broker(Protocol):
    """Sends orders to one venue (or simulates them). Raises only for a venue that cannot be reached
    in `reconcile` (the caller retries later); `execute` reports failures on the order."""

    async def execute(self, order: Order, now: datetime) -> list[Fill]:
        """Send `order` (immediate-or-cancel at `order.limit_price`, dollars per contract); its fills."""
        ...

    async def reconcile(self, order: Order, now: datetime) -> list[Fill]:
        """Look `order` (status SENT, outcome unknown) up again; its fills, with its status updated."""
        ...
