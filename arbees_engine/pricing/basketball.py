"""Basketball win probability: Stern's Brownian-motion model with possession and overtime.

Source: Stern, H. (1994) "A Brownian Motion Model for the Progress of Sports Scores",
JASA 89(427), 1128–1134. The home margin at the end of regulation is Normal with mean
lead + μ·r and variance σ²·r, r = regulation time left / regulation length, so
    P(home wins) = P(D > ½) + P(|D| < ½) · p_OT,
the ½ being a continuity correction for integer scores, p_OT the chance of winning a fresh
5-minute overtime (same process, lead 0, r = 300/T). The side with the ball gets
`POSSESSION_POINTS` added to its lead (one NBA possession is worth ≈ 1 point).

Constants: `arbees-engine fit --sport basketball --data
/work/shared/data/wp/nba_gsw_2017_18_pbp_bigdataball.csv --rating GSW=11.35` (minimum Brier on
states at each regulation minute, game-level 5-fold CV). σ is searched over 11–16 points, the
plausible range for NBA margins (Stern 1994; the SOURCES.md full-file fit is 13.97): on this
one-team file σ is not identified (the fit runs to any upper bound, because unmodelled team
strength looks like variance), and the fit lands on the bound, 16. The rating is GSW's 2016-17
Simple Rating System (basketball-reference.com), i.e. pre-season information. μ is held at the
NBA home edge of 2.5 points (full-file fit 2.44) since one team's strength would leak into it.
With a pre-game prior the drift is μ = σ·Φ⁻¹(prior), so that Φ(μ/σ) = prior at tip-off.
Other leagues: σ and μ are the NBA's scaled by the ratio of the leagues' spread σ
(pricing/spread.py: NCAAB 10, WNBA 10.8, NBA 12), i.e. the same game-to-game spread of results
relative to the NBA; NCAAB's home edge is the published 4 points instead (Winston, "Mathletics",
ch. 43). The clock rules (WNBA 4×10 min, NCAAB 2×20) come with the state (`regulation_seconds`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from arbees_engine.model import GameState, League, Sport

from .base import clip_p, final_result, phi, phi_inv, validate_state
from .spread import SPREAD_SIGMA

HOME_EDGE_POINTS = 2.5  # μ: NBA home edge in points (held fixed: the file has one team; full-file fit 2.44)
SIGMA_POINTS = 16.0  # σ: s.d. of the regulation margin, points (fit, at the 11–16 bound)
POSSESSION_POINTS = 0.5  # points credited to the side with the ball (fit; NBA ≈ 1.1 points per possession)
OVERTIME_SECONDS = 300.0
LEAGUE_HOME_EDGE_POINTS = {League.NCAAB: 4.0}  # published home edges where they differ from scaling


def league_scale(league: League) -> float:
    """σ (and default μ) multiplier for `league` relative to the NBA (1.0 for the NBA or unknown)."""
    return SPREAD_SIGMA.get(league, SPREAD_SIGMA[League.NBA]) / SPREAD_SIGMA[League.NBA]


@dataclass(frozen=True, slots=True)
class SternModel:
    """Stern (1994) model; parameters default to the fitted constants above.

    p_home(state) → P(home wins) in [1e-4, 1 − 1e-4]; raises PricingError for invalid input.
    """

    mu: float = HOME_EDGE_POINTS
    sigma: float = SIGMA_POINTS
    possession_points: float = POSSESSION_POINTS
    sport: Sport = Sport.BASKETBALL

    def drift(self, state: GameState) -> float:
        """μ in points per regulation game: σ·Φ⁻¹(prior) if a prior is known, else the home edge
        (0 at a neutral site)."""
        if state.pregame_home_prob is None:
            if state.neutral_site:
                return 0.0
            return LEAGUE_HOME_EDGE_POINTS.get(state.league, self.mu * league_scale(state.league))
        return self._sigma(state) * phi_inv(state.pregame_home_prob)

    def _sigma(self, state: GameState) -> float:
        return self.sigma * league_scale(state.league)

    def p_home(self, state: GameState) -> float:
        """P(home wins) for `state` (see module docstring for the formula)."""
        validate_state(state, self.sport)
        settled = final_result(state)
        if settled is not None:
            return settled
        total = state.regulation_seconds or 2880.0
        mu, sigma = self.drift(state), self._sigma(state)
        p_ot = self._p_from(0.0, OVERTIME_SECONDS / total, mu, 0.5, sigma)
        lead = float(state.lead)
        if state.possession is not None and (state.seconds_remaining_regulation > 0 or state.clock_s > 0):
            lead += self.possession_points if state.possession == "home" else -self.possession_points
        if state.period == 0:
            r = 1.0
        elif state.seconds_remaining_regulation > 0:
            r = state.seconds_remaining_regulation / total
        else:  # overtime (or the break before it): the clock is what is left
            r = state.clock_s / total
        return clip_p(self._p_from(lead, r, mu, p_ot, sigma))

    @staticmethod
    def _p_from(lead: float, r: float, mu: float, p_tie: float, sigma: float) -> float:
        """P(win) with `lead` and share `r` of a regulation game left; ties resolve at `p_tie`."""
        if r <= 0.0:
            return 1.0 if lead >= 0.5 else 0.0 if lead <= -0.5 else p_tie
        mean = lead + mu * r
        sd = sigma * math.sqrt(r)
        above = 1.0 - phi((0.5 - mean) / sd)
        tie = phi((0.5 - mean) / sd) - phi((-0.5 - mean) / sd)
        return above + tie * p_tie
