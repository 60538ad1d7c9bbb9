"""Domain types every module speaks: games, markets, books, signals, orders, fills, positions.

Import from here: `from arbees_engine.model import GameState, Market, OrderBook, Signal`.
"""

from .game import LEAGUE_SPORT, GameState, GameStateError, GameStatus, League, Sport, Team
from .market import (
    KALSHI_FEES,
    BookError,
    BookLevel,
    BookUpdate,
    FeeKind,
    FeeSchedule,
    Market,
    OrderBook,
    Outcome,
    Side,
    Venue,
    paying_results,
)
from .listing import ListingEvidence, MarketListing, TeamRefs
from .money import CENT, ONE, ZERO, MoneyError, to_decimal, to_price
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

__all__ = [name for name in dir() if not name.startswith("_")]
