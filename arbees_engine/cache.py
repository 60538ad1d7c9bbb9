"""In-memory picture of the world the engine trades: games, markets, books, model probabilities.

Owned by the engine's event loop (single task writes), read by strategy, risk and views.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from .model import GameState, Market, MarketListing, OrderBook
from .priors import PriorBook


@dataclass
class Registry:
    """games: game_id → latest GameState; markets/books by market_id; listings kept for equivalence.

    game_markets: game_id → market ids. model_p_home: game_id → last P(home wins) 0..1.
    priors: pre-game P(home wins) per game, frozen at the start (priors.py).
    watched: market_id → (listing, refusal reason) for markets shown but never traded.
    finished_at: game_id → when it was first seen final/postponed/canceled; forgotten: ids dropped.
    regulation_scores: soccer game_id → (home, away) last seen in regulation (periods 1–2), what
      90-minute markets settle on when a cup tie goes to extra time.
    """

    games: dict[str, GameState] = field(default_factory=dict)
    markets: dict[str, Market] = field(default_factory=dict)
    books: dict[str, OrderBook] = field(default_factory=dict)
    listings: dict[str, MarketListing] = field(default_factory=dict)
    game_markets: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    model_p_home: dict[str, float] = field(default_factory=dict)
    priors: PriorBook = field(default_factory=PriorBook)
    game_seen_at: dict[str, datetime] = field(default_factory=dict)
    watched: dict[str, tuple[MarketListing, str]] = field(default_factory=dict)
    finished_at: dict[str, datetime] = field(default_factory=dict)
    forgotten: set[str] = field(default_factory=set)
    regulation_scores: dict[str, tuple[int, int]] = field(default_factory=dict)

    def add_market(self, market: Market) -> bool:
        """Register a market; returns False if it was already known."""
        if market.market_id in self.markets:
            self.markets[market.market_id] = market
            return False
        self.markets[market.market_id] = market
        self.books.setdefault(market.market_id, OrderBook(market.market_id))
        self.game_markets[market.game_id].append(market.market_id)
        return True

    def forget_game(self, game_id: str) -> list[str]:
        """Drop a game and its markets and books; returns the dropped market ids."""
        market_ids = self.game_markets.pop(game_id, [])
        for market_id in market_ids:
            self.markets.pop(market_id, None)
            self.books.pop(market_id, None)
            self.listings.pop(market_id, None)
        for table in (
            self.games,
            self.model_p_home,
            self.priors,
            self.game_seen_at,
            self.finished_at,
            self.regulation_scores,
        ):
            table.pop(game_id, None)
        self.forgotten.add(game_id)  # a feed that keeps listing it must not bring it back
        return market_ids

    def markets_of(self, game_id: str) -> list[Market]:
        """Markets tied to `game_id`."""
        return [self.markets[m] for m in self.game_markets.get(game_id, ())]

    def arb_pairs(self, market: Market) -> list[Market]:
        """Markets on other venues for the same game and outcome (equivalence checked by caller)."""
        return [
            other
            for other in self.markets_of(market.game_id)
            if other.venue is not market.venue
            and other.outcome is market.outcome
            and other.market_id != market.market_id
        ]
