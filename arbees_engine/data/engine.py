"""Market data in, the cache kept: the adapters' `Sink`.

    adapters ──Sink──► MarketData.on_book / on_game_state / on_listing / on_market / on_book_stale
        ──► cache (cache.py) ──► listeners: the trader (price, evaluate, mark), the ops hooks

MarketData validates and applies what the venues and feeds report, publishes quotes and game views,
samples quotes into the store, takes pre-game priors, and forgets finished games; it tells the
trader (a `TradingListener`) and the ops hooks (`TickHooks`) what changed. It never decides.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from ..adapters.espn.freshness import stale_reason
from ..cache import Registry
from ..model import BookError, BookUpdate, GameState, GameStateError, GameStatus, Market, MarketListing, OrderBook
from ..portfolio.settlement_rules import note_regulation_score
from ..ports import Clock, Outbox
from ..store.batch import game_job, market_job, quote_job
from ..telemetry.latency import LatencyRecorder
from ..views import game_view, quote_view, watched_quote_view
from .listings import ListingIntake

QUOTE_SAMPLE_S = 5.0  # seconds between stored top-of-book samples per market
FINISHED_GAME_KEEP_S = 900.0  # a finished game stays on the desk this long (engine clock), then goes


class TradingListener(Protocol):
    """What market data tells the trading pipeline (strategy/trader.py Trader)."""

    def price_game(self, state: GameState) -> float | None:
        """Model P(home wins) 0..1 of a live/scheduled game, or None."""
        ...

    def evaluate_game(self, game_id: str, started_ns: int) -> None:
        """Re-evaluate every market of a live game whose state changed."""
        ...

    def evaluate_market(self, market: Market, started_ns: int) -> None:
        """Look for edges and arbitrage on a market whose book changed."""
        ...

    def mark(self, market_id: str, book: OrderBook) -> None:
        """Mark open positions in `market_id` at the book's mid."""
        ...


class TickHooks(Protocol):
    """What market data tells the ops hooks (arbees_engine/node/operations.py Operations)."""

    def on_tick(self, market: Market, received_ns: int) -> None: ...
    def on_game_tick(self, started_ns: int) -> None: ...
    def on_book_stale(self, market_id: str, reason: str) -> None: ...


class MarketData:
    """The adapters' Sink for one engine (engine loop only).

    Handed its ports (`out`, `clock`, the `cache`), the latency recorder, the `matcher` (or None),
    the listing intake, its listeners (`trader`, `hooks`) and `on_game_closed(state)`, called once
    when a game turns FINAL/POSTPONED/CANCELED (the kernel expires its signals and queues settlement).
    """

    def __init__(
        self,
        out: Outbox,
        clock: Clock,
        cache: Registry,
        latency: LatencyRecorder,
        matcher: Any,
        listings: ListingIntake,
        trader: TradingListener,
        on_game_closed: Callable[[GameState], None],
    ) -> None:
        self.out, self.clock, self.cache, self.latency, self.matcher = out, clock, cache, latency, matcher
        self.listings, self.trader, self.on_game_closed = listings, trader, on_game_closed
        self.hooks: TickHooks = _NoHooks()
        self._quote_sampled_at: dict[str, datetime] = {}
        self._settle: Callable[[], Awaitable[None]] | None = None

    def settles_with(self, settle: Callable[[], Awaitable[None]]) -> None:
        """Wire `settle_queue` to the kernel's "wait until queued executions finished" (the kernel)."""
        self._settle = settle

    async def settle_queue(self) -> None:
        """Wait until the executions this input queued have finished. A replay calls it after each
        record (ops/replay.py), so a recorded run's executions see the books they saw live."""
        if self._settle is not None:
            await self._settle()

    def reject(self, source: str, reason: str, detail: str = "") -> None:
        """Count and log a rejected input (ports.Outbox.reject)."""
        self.out.reject(source, reason, detail)

    def on_game_state(self, state: GameState) -> None:
        """Take a new game observation: price it, publish it, settle on FINAL, re-evaluate markets.
        An ESPN state older than the one held is refused and counted "espn:stale_state"."""
        started = time.perf_counter_ns()
        try:
            state.validate()
        except GameStateError as exc:
            self.out.reject("game", "invalid_state", str(exc))
            return
        if state.game_id in self.cache.forgotten:
            return
        previous = self.cache.games.get(state.game_id)
        if previous is not None and state.game_id.startswith("espn:") and (why := stale_reason(previous, state)):
            self.out.reject("espn", "stale_state", f"{state.game_id}: {why}")  # adapters/espn/freshness.py
            return
        state = self.cache.priors.observe_game(state)
        self.cache.games[state.game_id] = state
        note_regulation_score(self.cache, state)
        self.cache.game_seen_at[state.game_id] = self.clock()
        if self.matcher is not None:
            self.matcher.add_game(state)
            self.listings.rematch_due |= previous is None
        p_home = self.trader.price_game(state)
        self.out.count("game_states")
        if previous is None or previous != state:
            source = prior.source if (prior := self.cache.priors.get(state.game_id)) else "feed"
            self.out.publish(game_view(state, p_home, self.clock(), source))
            self.out.write(game_job(state, p_home, source))
        if state.status in (GameStatus.LIVE, GameStatus.SCHEDULED):
            self.cache.finished_at.pop(state.game_id, None)  # a suspended game resumed
        if state.status in (GameStatus.FINAL, GameStatus.POSTPONED, GameStatus.CANCELED):
            if previous is None or previous.status != state.status:
                self.cache.finished_at[state.game_id] = self.clock()
                self.on_game_closed(state)
            return
        if state.status is GameStatus.LIVE:
            self.trader.evaluate_game(state.game_id, started)
            self.hooks.on_game_tick(started)

    def on_listing(self, listing: MarketListing) -> None:
        """Match a venue listing to a game, or show it as watched with the refusal (data/listings.py)."""
        self.listings.take(listing)

    def on_market(self, market: Market) -> None:
        """Register a market tied to a game."""
        if self.cache.add_market(market):
            self.out.count("markets")
            self.out.write(market_job(market))
            self.out.publish(quote_view(market, self.cache.books.get(market.market_id), self.clock()))

    def on_book(self, update: BookUpdate) -> None:
        """Apply a book message, then evaluate edges and arbitrage on it."""
        received = time.perf_counter_ns()
        market = self.cache.markets.get(update.market_id)
        watched = self.cache.watched.get(update.market_id) if market is None else None
        if market is None and watched is None:
            self.out.reject("book", "unknown_market", update.market_id)
            return
        book = self._apply_book(update)
        if book is None:
            return
        if market is None:  # a watched market: shown, never traded
            if watched is not None:
                self.out.publish(watched_quote_view(update.market_id, watched[0], book, watched[1], self.clock()))
            return
        self.latency.record("book", received)
        self.out.count("book_updates")
        self._note_prior(market, book)
        self.out.publish(quote_view(market, book, self.clock()))
        self._sample_quote(market.market_id, book)
        self.trader.mark(market.market_id, book)
        game = self.cache.games.get(market.game_id)
        if game is not None and game.status is GameStatus.LIVE:
            self.trader.evaluate_market(market, received)
        self.hooks.on_tick(market, received)

    def _apply_book(self, update: BookUpdate) -> OrderBook | None:
        """Apply `update` to its book; on a bad update count it, mark the book stale, return None."""
        book = self.cache.books[update.market_id]
        try:
            book.apply(update)
        except BookError as exc:
            book.stale = True
            self.out.reject("book", "invalid_update", f"{update.market_id}: {exc}")
            return None
        if update.received_at is None:
            book.updated_at = self.clock()
        return book

    def on_book_stale(self, market_id: str, reason: str) -> None:
        """Mark a book unusable until its next snapshot."""
        book = self.cache.books.get(market_id)
        if book is not None:
            book.stale = True
            self.out.count("book_stale")
            self.hooks.on_book_stale(market_id, reason)
            market = self.cache.markets.get(market_id)
            if market:
                self.out.publish(quote_view(market, book, self.clock()))

    def _sample_quote(self, market_id: str, book: OrderBook) -> None:
        """Store the top of book at most once per QUOTE_SAMPLE_S (engine clock) per market."""
        now = self.clock()
        last = self._quote_sampled_at.get(market_id)
        if last is not None and (now - last).total_seconds() < QUOTE_SAMPLE_S:
            return
        self._quote_sampled_at[market_id] = now
        bid, ask = book.best_bid, book.best_ask
        self.out.write(
            quote_job(
                market_id,
                now,
                bid.price if bid else None,
                ask.price if ask else None,
                bid.size if bid else None,
                ask.size if ask else None,
            )
        )

    def _note_prior(self, market: Market, book: OrderBook) -> None:
        """Offer the book to the prior book; a newly taken prior re-prices the scheduled game."""
        game = self.cache.games.get(market.game_id)
        if self.cache.priors.observe_book(game, market, book) and game is not None:
            self.on_game_state(game)

    def equivalent(self, a: Market, b: Market) -> bool:
        """True when `a` and `b` pay on the same outcome under the same terms (data/listings.py)."""
        return self.listings.equivalent(a, b)

    # -- publishing --------------------------------------------------------------------------

    def forget_finished(self, holds_position: Callable[[str], bool]) -> None:
        """Forget games finished more than FINISHED_GAME_KEEP_S ago (engine clock) unless
        `holds_position(game_id)` (settlement still queued or pending): a daemon runs for weeks, its
        state must not grow without bound. Their quotes and game leave the operator's snapshot."""
        now = self.clock()
        for game_id, state in list(self.cache.games.items()):
            if state.status in (GameStatus.SCHEDULED, GameStatus.LIVE):
                continue
            finished = self.cache.finished_at.get(game_id, now)
            if (now - finished).total_seconds() < FINISHED_GAME_KEEP_S or holds_position(game_id):
                continue
            for market_id in self.cache.forget_game(game_id):
                self.out.remove("quote", market_id)
            self.out.remove("game", game_id)
            if self.matcher is not None:
                self.matcher.remove_game(game_id)
            self.out.count("games_forgotten")


class _NoHooks:
    """Until the kernel attaches the ops hooks: nothing to tell."""

    def on_tick(self, market: Market, received_ns: int) -> None:
        """Nothing."""

    def on_game_tick(self, started_ns: int) -> None:
        """Nothing."""

    def on_book_stale(self, market_id: str, reason: str) -> None:
        """Nothing."""
