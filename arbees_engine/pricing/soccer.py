"""Soccer win/draw/loss probabilities: independent Poisson goals over the time left.

Source: Maher, M. J. (1982) "Modelling association football scores", Statistica Neerlandica 36(3);
Dixon, M. J. & Coles, S. G. (1997) "Modelling association football scores and inefficiencies in the
football betting market", JRSS C 46(2); in-play form as in Dixon & Robinson (1998) "A birth process
model for association football matches", JRSS D 47(3): goals left ~ Poisson(λ·t) per side, so the
final margin is lead + Skellam. Markets settle on 90 minutes plus stoppage time (no extra time).
Default rates are long-run top-flight averages (home 1.50, away 1.15 goals per match, e.g.
football-data.co.uk EPL 2000-2019), spread over the whole match including added time.
Added time: a match averaged 101:42 in the 2023/24 Premier League, i.e. 11:42 added
(premierleague.com/news/3860720); `EXPECTED_ADDED_S` splits that about 1:2 between the halves.
The feed's clock stops at 45:00 / 90:00 during added time, so the time left is the regulation
time left plus the expected added time still to come; inside added time (`added_time_s`, from
ESPN's "90'+3'") it is the expected added time not yet played, never less than `MIN_ADDED_LEFT_S`.
Extra time (period > 2, cup ties) is not priced: the markets' 90-minute result is already fixed
and the live score includes extra-time goals (settlement uses the regulation score, runtime).
A pre-game prior tilts the rates (m·e^δ, m·e^−δ) so that P(home win) before kick-off equals it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from arbees_engine.model import GameState, GameStatus, Sport

from .base import P_MIN, PricingError, clip_p, validate_state
from .hockey import _diff_dist

EXPECTED_ADDED_S = (240.0, 460.0)  # first half, second half (total 700 s ≈ 11:42, see docstring)
MIN_ADDED_LEFT_S = 60.0  # the whistle has not gone: at least this much play is still possible
MATCH_SECONDS = 5400.0 + sum(EXPECTED_ADDED_S)
RATE_HOME = 1.50 / MATCH_SECONDS  # goals per second of play
RATE_AWAY = 1.15 / MATCH_SECONDS


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
        if state.status is GameStatus.LIVE and state.period > 2:
            # the 90-minute result is already decided and the live score now includes extra time
            raise PricingError(f"{state.game_id}: extra time; 90-minute markets are decided, not priced")
        total = state.regulation_seconds or 5400.0
        rh, ra = self._rates(state.pregame_home_prob, total, state.neutral_site)
        t = round(play_left_s(state))
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
        return _tilted(self.rate_home, self.rate_away, round(prior, 3), round(total + sum(EXPECTED_ADDED_S)))


def play_left_s(state: GameState) -> float:
    """Seconds of play left in regulation including expected added time (see module docstring)."""
    if state.status is GameStatus.FINAL:
        return 0.0
    total = state.regulation_seconds or 5400.0
    half, (added_1, added_2) = total / 2, EXPECTED_ADDED_S
    if state.period == 0 or state.status is GameStatus.SCHEDULED:
        return total + added_1 + added_2
    left = min(total, state.seconds_remaining_regulation)
    if left > half:  # first half running
        return left + added_1 + added_2
    if state.period <= 1 and state.added_time_s > 0:  # first-half added time
        return max(added_1 - state.added_time_s, MIN_ADDED_LEFT_S) + half + added_2
    if left > 0 or state.period <= 1:  # second half running (or half-time: its added time is over)
        return left + added_2
    return max(added_2 - state.added_time_s, MIN_ADDED_LEFT_S)


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
