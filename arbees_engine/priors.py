"""Pre-game priors: P(home wins) before the start, frozen once the game is under way (issue 5 §2).

Sources, best first:
- "spread": the feed's sportsbook line (ESPN `odds[].details`, converted in pricing/spread.py);
- "feed": any other pre-game probability the feed itself supplies (the simulated venue);
- "market": the venue book's mid while the game is scheduled, when no other source exists.
  The latest pre-start mid is kept (the closing price: the most informed pre-game view a market
  gives, cf. the closing-line efficiency literature, e.g. Levitt 2004, "Why are gambling markets
  organised so differently from financial markets?", Economic Journal 114), and only from a book
  whose spread is at most MAX_MARKET_SPREAD: a 6¢/99¢ book's "mid" is not a price.
Once a game is seen live (or over) its prior never changes; in-game prices are never a prior.
Three-way soccer markets: only the HOME contract gives P(home wins); 1 − P(away) includes the draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .model import GameState, GameStatus, Market, OrderBook, Outcome, Sport

MAX_MARKET_SPREAD = Decimal("0.10")  # dollars: widest best bid/offer a market prior is read from
P_MIN, P_MAX = 0.01, 0.99
_RANK = {"market": 0, "feed": 1, "spread": 2}


@dataclass(frozen=True, slots=True)
class Prior:
    """A pre-game P(home wins) in [0.01, 0.99] and where it came from ("spread", "feed", "market")."""

    p_home: float
    source: str


class PriorBook:
    """Pre-game priors by game id; a game's prior is frozen from its first non-scheduled state."""

    def __init__(self) -> None:
        self._priors: dict[str, Prior] = {}
        self._frozen: set[str] = set()

    def get(self, game_id: str) -> Prior | None:
        """The game's prior, or None."""
        return self._priors.get(game_id)

    def pop(self, game_id: str, default: object = None) -> Prior | object:
        """Forget a game (registry clean-up)."""
        self._frozen.discard(game_id)
        return self._priors.pop(game_id, default)

    def __len__(self) -> int:
        return len(self._priors)

    def restore(self, game_id: str, p_home: float, source: str, started: bool) -> None:
        """Reload a stored prior after a restart; a game already under way stays frozen."""
        self._priors[game_id] = Prior(_clamp(p_home), source)
        if started:
            self._frozen.add(game_id)

    def observe_game(self, state: GameState) -> GameState:
        """Record the feed's pre-game prior, freeze on start, and return `state` with the frozen prior."""
        game_id = state.game_id
        if state.status is not GameStatus.SCHEDULED:
            self._frozen.add(game_id)
        elif state.pregame_home_prob is not None:
            source = "spread" if state.extra.get("prior_line") else "feed"
            self._offer(game_id, Prior(_clamp(state.pregame_home_prob), source))
        prior = self._priors.get(game_id)
        if prior is None or state.pregame_home_prob == prior.p_home:
            return state
        return state.evolve(pregame_home_prob=prior.p_home)

    def observe_book(self, game: GameState | None, market: Market, book: OrderBook) -> bool:
        """Take a market prior from `book` if the game is scheduled and the book is tight; True if taken."""
        if game is None or game.status is not GameStatus.SCHEDULED or game.game_id in self._frozen:
            return False
        if market.outcome is Outcome.DRAW or (game.sport is Sport.SOCCER and market.outcome is Outcome.AWAY):
            return False
        bid, ask = book.best_bid, book.best_ask
        if bid is None or ask is None or book.stale or ask.price - bid.price > MAX_MARKET_SPREAD:
            return False
        mid = float((bid.price + ask.price) / 2)
        p_home = mid if market.outcome is Outcome.HOME else 1.0 - mid
        return self._offer(game.game_id, Prior(_clamp(p_home), "market"))

    def _offer(self, game_id: str, prior: Prior) -> bool:
        """Keep `prior` unless frozen, already held, or a better-ranked source is held; True if kept."""
        held = self._priors.get(game_id)
        if game_id in self._frozen or held == prior or (held is not None and _RANK[held.source] > _RANK[prior.source]):
            return False
        self._priors[game_id] = prior
        return True


def _clamp(p: float) -> float:
    return min(P_MAX, max(P_MIN, float(p)))
