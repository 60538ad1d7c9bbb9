"""American football win probability: a small logistic model on time-scaled situation features.

Form (home perspective, r = regulation time left / 3600 s, k = 1/√(r + C), s = +1/−1/0 for
home/away/unknown possession):
    logit P = S·√r + β_lead·lead·k + β_ep·s·EP·k
- S·√r is Stern's drift term μ·r/(σ√r) (Stern 1994, JASA 89(427), which also motivates the
  lead/√r scaling). S (`home_strength`) is logit(prior) when the engine supplies a pre-game prior
  (then P at kick-off ≈ prior); otherwise a published home win rate, held fixed, not fitted (with
  ~60 games a fitted intercept was the dominant CV error): 0 at a neutral site (Super Bowl,
  international games); `POSTSEASON_HOME_RATE` = 62.7 % in the playoffs, where the home side is
  the higher seed (94 of 150 non-Super-Bowl playoff games 2001–2015, "NFL home field advantage,
  some notes", codeandfootball.wordpress.com, 2017-01-02; 1940–2011: 293-140, .677, Kacsmar,
  Cold Hard Football Facts 2012); `HOME_EDGE_LOGIT` = logit(0.57), the regular-season home win
  rate (729 of 1,280 games 2012–2016, 56.95 %, same codeandfootball source).
- EP = expected points of the possession, linear in yards to the end zone as in the expected-points
  curves of Carter & Machol (1971, Operations Research 19(2)) and nflscrapR (Yurko, Ventura &
  Horowitz 2019, JQAS 15(3)): EP ≈ 6.2 − 0.075·yardline_100 (≈ 0.6 at the own 25, 2.45 at midfield,
  5.8 at the opponent 5), less 0.1 point per yard to go (≤ 20) on 3rd down and 0.2 on 4th down.
  With no down (kickoff, try/PAT, free kick: nflscrapR and ESPN give no down there) the yard line is
  not a scrimmage spot, so EP is the touchback value (≈ 0.6): the try is worth ≈ 1 point and is
  followed by a kickoff, and the kickoff receiver starts near its own 25. Crediting the raw spot
  (receiver "at the opponent 30", kicker of a try "at the 2") had added 3–6 points on ~9 % of plays;
  the fix improved game-level CV Brier (0.1754 → 0.1752) and left fewer reliability misses.
- Timeouts were tried (Δtimeouts·k and ·(1−r)): they did not improve game-level CV Brier and took a
  counter-intuitive sign on this small sample, so they are left out.
Overtime: an NFL regular-season overtime lasts 10 minutes and may end tied (both HOME and AWAY
then lose). Tied in overtime with t seconds left, P(tie) = exp(−λt), λ chosen so that a full
overtime ends tied 5.7 % of the time (nflverse game log 2017–2025, "NFL overtime explained",
nflanalytic.com; ESPN counted 5 of 63, 7.9 %, through 2021); the rest splits as the model says.
Playoff overtime cannot end tied. College overtime is untimed (alternating possessions from the
25), which this model does not describe: those states raise PricingError rather than guess.
Constants fitted by `arbees-engine fit --sport football --data
/work/shared/data/wp/nfl_nflscrapR_postseason_2009_2019_pbp.csv` (Newton/IRLS with a small ridge,
quarters 1–4 live plays; C chosen by game-level 5-fold CV).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from arbees_engine.model import GameState, GameStatus, League, Sport

from .base import P_MAX, P_MIN, PricingError, clip_p, final_result, logit, sigmoid, validate_state

TIME_FLOOR = 0.002  # C (game-level CV over 0.002..0.04)
HOME_EDGE_LOGIT = logit(0.57)  # S without a prior, regular season (published, not fitted)
POSTSEASON_HOME_RATE = 0.627  # playoff home win rate, non-neutral games (published, not fitted)
COEFS = (0.0751, 0.0510)  # β_lead, β_ep (fit)
REGULATION_SECONDS = 3600.0
DEFAULT_YARD_LINE = 75  # touchback spot, used when the feed gives no yard line
OT_SECONDS = 600.0  # NFL regular-season overtime (since 2017)
OT_TIE_RATE = -math.log(0.057) / OT_SECONDS  # scoring events per second (see module docstring)


def expected_points(state: GameState) -> float:
    """Expected points of the offence's possession (points, ≈ −1.5..6.1); see module docstring."""
    if state.down is None:  # no scrimmage down: kickoff, try (PAT), free kick, or no situation at all
        return 6.2 - 0.075 * DEFAULT_YARD_LINE
    yard = state.yard_line_100 if state.yard_line_100 is not None else DEFAULT_YARD_LINE
    ep = 6.2 - 0.075 * yard
    if state.down is not None and state.down >= 3 and state.distance is not None:
        ep -= 0.1 * (state.down - 2) * min(state.distance, 20)
    return ep


def home_strength(state: GameState, home_edge: float = HOME_EDGE_LOGIT) -> float:
    """S in logits: logit(prior) if the state has a pre-game prior, else 0 at a neutral site, the
    playoff home rate in the postseason, or `home_edge` (see module docstring for sources)."""
    if state.pregame_home_prob is not None:
        return logit(state.pregame_home_prob)
    if state.neutral_site:
        return 0.0
    return logit(POSTSEASON_HOME_RATE) if state.postseason else home_edge


def situation_features(state: GameState, time_floor: float = TIME_FLOOR) -> tuple[float, tuple[float, ...]]:
    """(√r, (lead·k, s·EP·k)) for `state`; shared by the model and the fitter."""
    total = state.regulation_seconds or REGULATION_SECONDS
    if state.period == 0:
        r = 1.0
    elif state.seconds_remaining_regulation > 0:
        r = state.seconds_remaining_regulation / total
    else:
        r = state.clock_s / total  # overtime: time left in the extra period
    k = 1.0 / math.sqrt(r + time_floor)
    s = 1.0 if state.possession == "home" else -1.0 if state.possession == "away" else 0.0
    return math.sqrt(r), (state.lead * k, s * expected_points(state) * k)


@dataclass(frozen=True, slots=True)
class FootballModel:
    """Logistic situation model; p_home(state) → P(home wins) in [1e-4, 1 − 1e-4]. Raises PricingError."""

    home_edge: float = HOME_EDGE_LOGIT
    coefs: tuple[float, ...] = COEFS
    time_floor: float = TIME_FLOOR
    sport: Sport = Sport.FOOTBALL

    def p_home(self, state: GameState) -> float:
        """P(home wins) for `state` (a tie is not a home win)."""
        return self.p_outcomes(state)[0]

    def p_outcomes(self, state: GameState) -> tuple[float, float, float]:
        """(P(home wins), P(tie), P(away wins)) for `state`; see the module docstring. Raises
        PricingError for bad input and for college overtime."""
        validate_state(state, self.sport)
        if state.league is League.NCAAF and state.period > 4 and state.status is GameStatus.LIVE:
            raise PricingError(f"{state.game_id}: college overtime is untimed; not priced")
        tie = self._p_tie(state)
        if state.status is GameStatus.FINAL:
            settled = final_result(state)
            assert settled is not None  # a FINAL state always settles
            return (P_MIN, P_MAX, P_MIN) if tie else (settled, P_MIN, clip_p(1 - settled))
        q = self._p_home_if_decided(state)
        return clip_p((1.0 - tie) * q), clip_p(tie) if tie else P_MIN, clip_p((1.0 - tie) * (1.0 - q))

    def _p_tie(self, state: GameState) -> float:
        """P(the game ends tied): only a level NFL regular-season game in (or about to start) overtime."""
        in_overtime = state.period > 4 or (state.period == 4 and state.seconds_remaining_regulation <= 0)
        if state.lead != 0 or state.postseason or state.league is not League.NFL or not in_overtime:
            return 0.0
        if state.status is GameStatus.FINAL:
            return 1.0
        left = state.clock_s if state.period > 4 else OT_SECONDS
        return math.exp(-OT_TIE_RATE * left)

    def _p_home_if_decided(self, state: GameState) -> float:
        """P(home wins | the game does not end tied)."""
        if state.period > 0 and state.seconds_remaining_regulation <= 0 and state.clock_s <= 0:
            # between regulation and overtime, or clock expired: the lead decides, a tie is a coin flip
            return clip_p(1.0 if state.lead > 0 else 0.0 if state.lead < 0 else 0.5)
        root_r, feats = situation_features(state, self.time_floor)
        strength = home_strength(state, self.home_edge)
        z = strength * root_r + sum(c * f for c, f in zip(self.coefs, feats))
        return clip_p(sigmoid(z))
