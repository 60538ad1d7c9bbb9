"""Soccer win/draw/loss probabilities: independent Poisson goals over the time left.

Source: Maher, M. J. (1982) "Modelling association football scores", Statistica Neerlandica 36(3);
Dixon, M. J. & Coles, S. G. (1997) "Modelling association football scores and inefficiencies in the
football betting market", JRSS C 46(2); in-play form as in Dixon & Robinson (1998) "A birth process
model for association football matches", JRSS D 47(3): goals left ~ Poisson(λ·t) per side, so the
final margin is lead + Skellam. Markets settle on 90 minutes plus stoppage time (no extra time).
Default rates are long-run top-flight averages (home 1.50, away 1.15 goals per 90 minutes, e.g.
football-data.co.uk EPL 2000-2019); stoppage time stretches the clock by `STOPPAGE_FACTOR`.
A pre-game prior tilts the rates (m·e^δ, m·e^−δ) so that P(home win) before kick-off equals it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from arbees_engine.model import GameState, GameStatus, Sport

from .base import P_MIN, clip_p, validate_state
from .hockey import _diff_dist

RATE_HOME = 1.50 / 5400.0  # goals per second of regulation
RATE_AWAY = 1.15 / 5400.0
STOPPAGE_FACTOR = 96.0 / 90.0  # ≈ 6 minutes of added time per match


@dataclass(frozen=True, slots=True)
class PoissonSoccerModel:
    """Three-outcome Poisson model. p_outcomes(state) → (home, draw, away); p_home → P(home win).

    Probabilities are clipped into [1e-4, 1 − 1e-4] and renormalised. Raises PricingError for bad input.
    """

    rate_home: float = RATE_HOME
    rate_away: float = RATE_AWAY
    sport: Sport = Sport.SOCCER

    def p_home(self, state: GameState) -> float:
        """P(home team wins in regulation); a draw is not a home win."""
        return self.p_outcomes(state)[0]

    def p_outcomes(self, state: GameState) -> tuple[float, float, float]:
        """(P(home win), P(draw), P(away win)) at the end of regulation plus stoppage."""
        validate_state(state, self.sport)
        total = state.regulation_seconds or 5400.0
        if state.status is GameStatus.FINAL:
            left = 0.0
        elif state.period == 0:
            left = total
        else:
            left = state.seconds_remaining_regulation
        rh, ra = self._rates(state.pregame_home_prob, total, state.neutral_site)
        t = round(left * STOPPAGE_FACTOR)
        home = draw = 0.0
        for d, prob in _diff_dist(round(rh * t, 6), round(ra * t, 6)):
            final = state.lead + d
            if final > 0:
                home += prob
            elif final == 0:
                draw += prob
        return _normalise(home, draw, 1.0 - home - draw)

    def _rates(self, prior: float | None, total: float, neutral: bool = False) -> tuple[float, float]:
        if prior is None:  # league rates; a neutral site gives both sides the mean rate
            mean = 0.5 * (self.rate_home + self.rate_away)
            return (mean, mean) if neutral else (self.rate_home, self.rate_away)
        return _tilted(self.rate_home, self.rate_away, round(prior, 3), round(total * STOPPAGE_FACTOR))


def _normalise(home: float, draw: float, away: float) -> tuple[float, float, float]:
    """Clip each outcome to ≥ 1e-4 and renormalise to sum 1."""
    parts = [max(P_MIN, x) for x in (home, draw, away)]
    s = sum(parts)
    return clip_p(parts[0] / s), clip_p(parts[1] / s), clip_p(parts[2] / s)


@lru_cache(maxsize=4096)
def _tilted(rate_home: float, rate_away: float, prior: float, seconds: int) -> tuple[float, float]:
    """Bisection for δ such that pre-game P(home win) = prior with rates (m·e^δ, m·e^−δ)."""
    mean = 0.5 * (rate_home + rate_away)
    lo, hi = -3.0, 3.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        dist = _diff_dist(round(mean * math.exp(mid) * seconds, 6), round(mean * math.exp(-mid) * seconds, 6))
        if sum(p for d, p in dist if d > 0) < prior:
            lo = mid
        else:
            hi = mid
    delta = 0.5 * (lo + hi)
    return mean * math.exp(delta), mean * math.exp(-delta)
