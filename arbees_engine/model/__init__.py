"""Domain types every module speaks: games, markets, books, fees, signals, orders, fills, positions.

Import from here: `from arbees_engine.model import GameState, Market, OrderBook, Signal`.
"""

from .book import BookError, BookLevel, BookUpdate, BookUpdateKind, OrderBook
from .fees import KALSHI_FEES, FeeError, FeeKind, FeeSchedule, fee_per_contract_estimate, maker_fee, taker_fee
from .game import LEAGUE_SPORT, GameState, GameStateError, GameStatus, League, Sport, Team
from .listing import ListingEvidence, ListingStatus, MarketListing, TeamRefs, VenueResult
from .market import Market
from .money import CENT, ONE, ZERO, MoneyError, to_decimal, to_price
from .ticks import TICK_SCHEDULE_KEY, TICK_SCHEDULE_REFUSED, Rounding, TickError, TickRange, TickSchedule, price_grid
from .trading import (
    Bankroll,
    Decision,
    Fill,
    Leg,
    Mode,
    Order,
    OrderStatus,
    Position,
    Signal,
    SignalKind,
)
from .venue import Outcome, Side, Venue, paying_results

__all__ = [name for name in dir() if not name.startswith("_")]
