"""The model registry: which win-probability model prices which sport.

A new sport = one module with a model class, registered in `_MODELS` below.
"""

from __future__ import annotations

from arbees_engine.model import GameState, Outcome, Sport

from .base import P_MIN, PricingError, WinProbModel, clip_p
from .baseball import RunsModel
from .basketball import SternModel
from .football import FootballModel
from .hockey import PoissonHockeyModel
from .soccer import PoissonSoccerModel

_MODELS: dict[Sport, WinProbModel] = {
    Sport.BASKETBALL: SternModel(),
    Sport.FOOTBALL: FootballModel(),
    Sport.HOCKEY: PoissonHockeyModel(),
    Sport.SOCCER: PoissonSoccerModel(),
    Sport.BASEBALL: RunsModel(),
}


def model_for(sport: Sport) -> WinProbModel:
    """The registered model for `sport`. Raises PricingError for a sport without one."""
    try:
        return _MODELS[Sport(sport)]
    except (KeyError, ValueError) as exc:
        raise PricingError(f"no win-probability model for sport {sport!r}") from exc


def p_outcome(state: GameState, outcome: Outcome) -> float:
    """P(`outcome` happens) for `state`, in [1e-4, 1 − 1e-4].

    HOME/AWAY: that team wins (in soccer a draw makes both lose); DRAW: soccer draw, and
    1e-4 for sports where the game cannot end level. Raises PricingError for bad input.
    """
    model = model_for(state.sport)
    outcome = Outcome(outcome)
    if hasattr(model, "p_outcomes"):
        outcomes: tuple[float, float, float] = model.p_outcomes(state)
        home, draw, away = outcomes
        return {Outcome.HOME: home, Outcome.DRAW: draw, Outcome.AWAY: away}[outcome]
    if outcome is Outcome.DRAW:
        return P_MIN
    p = model.p_home(state)
    return p if outcome is Outcome.HOME else clip_p(1.0 - p)
