"""What a market settles on, when that is not simply the feed's final state.

Soccer markets settle on 90 minutes plus added time, but a cup tie's final score includes extra
time (ESPN period > 2): the last regulation score seen (periods 1–2) is kept per game, and a game
that went to extra time settles on it; without one the settlement is held for the operator.
"""

from __future__ import annotations

from ..cache import Registry
from ..model import GameState, GameStatus, Sport
from ..ports import Outbox


def note_regulation_score(cache: Registry, state: GameState) -> None:
    """Keep the score of a live soccer game while it is in regulation (periods 1–2)."""
    if state.sport is Sport.SOCCER and state.status is GameStatus.LIVE and 1 <= state.period <= 2:
        cache.regulation_scores[state.game_id] = (state.home_score, state.away_score)


def settlement_state(state: GameState, cache: Registry, out: Outbox) -> GameState | None:
    """The state a closed game's markets settle on: `state` itself, or for a soccer game that went to
    extra time its regulation score; None (counted, audited) when that score was never seen."""
    if state.status is not GameStatus.FINAL or state.sport is not Sport.SOCCER or state.period <= 2:
        return state
    score = cache.regulation_scores.get(state.game_id)
    if score is None:
        out.reject("settlement", "extra_time_regulation_score_unknown", state.game_id)
        out.audit(
            "engine",
            "settlement_held",
            state.game_id,
            "went to extra time and the 90-minute score was never seen: settle by hand",
        )
        return None
    return state.evolve(home_score=score[0], away_score=score[1])
