"""Win-probability model contract, input validation and small numeric helpers.

Every sport model is a pure function of a `GameState` (plus its pre-game prior
`state.pregame_home_prob`) returning P(home wins) as a float strictly inside (0, 1).
Helpers here avoid scipy so that a call costs microseconds: Φ via `math.erf`,
Φ⁻¹ via the standard library's `statistics.NormalDist` (Wichura's AS241).
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Protocol, runtime_checkable

from arbees_engine.model import GameState, GameStateError, GameStatus, Sport

P_MIN = 1e-4
P_MAX = 1.0 - 1e-4
_STD_NORMAL = NormalDist()


class PricingError(ValueError):
    """A state a model cannot price: NaN/negative clock, prior outside (0, 1), impossible field values."""


@runtime_checkable
class WinProbModel(Protocol):
    """In-game win-probability model for one sport family.

    `p_home(state)` → P(home team wins), float in [1e-4, 1 − 1e-4]; raises PricingError for bad input.
    Soccer models also offer `p_outcomes(state)` → (p_home, p_draw, p_away) summing to 1.
    """

    @property
    def sport(self) -> Sport:
        """The sport family this model prices (a read-only dataclass field in every model)."""
        ...

    def p_home(self, state: GameState) -> float:
        """P(home wins) in (0, 1). Raises PricingError for an impossible state."""
        ...


def clip_p(p: float) -> float:
    """Clip a probability into [1e-4, 1 − 1e-4] so callers never see 0, 1 or NaN."""
    if p != p:  # NaN guard: a model bug must not leak NaN to a trader
        raise PricingError("model produced NaN")
    return min(P_MAX, max(P_MIN, p))


def phi(x: float) -> float:
    """Standard normal CDF Φ(x) via math.erf (exact to double precision)."""
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def phi_inv(p: float) -> float:
    """Inverse standard normal CDF Φ⁻¹(p) for p in (0, 1)."""
    return _STD_NORMAL.inv_cdf(p)


def logit(p: float) -> float:
    """log(p / (1 − p)) for p in (0, 1)."""
    return math.log(p / (1.0 - p))


def sigmoid(z: float) -> float:
    """Logistic function 1 / (1 + e^−z), overflow-safe."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def validate_state(state: GameState, sport: Sport) -> GameState:
    """Return `state` if a `sport` model can price it, else raise PricingError.

    Checks: the game-model invariants (`GameState.validate`: finite non-negative clocks, scores ≥ 0,
    prior in (0, 1), possession in {home, away, None}), the sport matches, and non-finite or
    out-of-range football situation fields (down 1..4, distance ≥ 0, yard line 0..100).
    """
    if not isinstance(state, GameState):
        raise PricingError(f"expected GameState, got {type(state).__name__}")
    if state.sport != sport:
        raise PricingError(f"{state.game_id}: {sport.value} model cannot price a {state.sport} state")
    try:
        state.validate()
    except GameStateError as exc:
        raise PricingError(str(exc)) from exc
    prior = state.pregame_home_prob
    if prior is not None and not math.isfinite(prior):
        raise PricingError(f"{state.game_id}: pregame_home_prob {prior!r} is not finite")
    if state.down is not None and not 1 <= state.down <= 4:
        raise PricingError(f"{state.game_id}: down {state.down!r} not in 1..4")
    if state.distance is not None and state.distance < 0:
        raise PricingError(f"{state.game_id}: distance {state.distance!r} < 0")
    if state.yard_line_100 is not None and not 0 <= state.yard_line_100 <= 100:
        raise PricingError(f"{state.game_id}: yard_line_100 {state.yard_line_100!r} not in 0..100")
    for name in ("home_timeouts", "away_timeouts"):
        value = getattr(state, name)
        if value is not None and value < 0:
            raise PricingError(f"{state.game_id}: {name} {value!r} < 0")
    return state


def final_result(state: GameState, tie_value: float = 0.5) -> float | None:
    """For a FINAL state, the settled P(home wins) (1, 0 or `tie_value`, clipped); else None."""
    if state.status is not GameStatus.FINAL:
        return None
    if state.lead == 0:
        return clip_p(tie_value)
    return P_MAX if state.lead > 0 else P_MIN


def remaining_fraction(state: GameState) -> float:
    """Share of regulation left, 0..1; a not-yet-started game (period 0) counts as 1."""
    if state.period == 0 or state.status is GameStatus.SCHEDULED:
        return 1.0
    return 1.0 - state.fraction_elapsed
