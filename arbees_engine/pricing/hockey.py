"""Ice hockey win probability: Poisson goal processes with home ice, overtime, shootout and pulled goalies.

Goals for each side arrive as independent Poisson processes (Mullet 1977, "Simeon Poisson and the
National Hockey League", Operations Research 25(2); Buttrey, Washburn & Price 2011, JQAS 7(3)),
so the goal difference over the time left is Skellam. Additions over that plain model:
- a pre-game prior tilts the rates (m·e^δ, m·e^−δ) so that P(home wins) before puck drop = prior.
  Without a market prior the prior is the league home win rate `HOME_WIN_RATE` (published, not
  fitted: 2019-20 NHL home record 577-367-138, i.e. 577 wins in 1,082 games, The Hockey Writers,
  https://thehockeywriters.com/nhl-home-ice-advantage-2020-21/). The dev split's own home/away
  split is NOT used: its 163 games (home sides won 52.8 % overall) would
  teach a home *disadvantage* in level games that the league does not show (home sides won 42 % of
  the dev states level after puck drop and 11 of its 33 overtimes);
- the last `PULL_SECONDS` with the trailing side down 1–2 goals use multiplied rates
  (extra attacker / empty net: both sides score faster, Beaudoin & Swartz 2010, "Strategies for
  pulling the goalie in hockey", The American Statistician 64(3));
- a tie at the end of regulation goes to a 5-minute 3-on-3 sudden-death overtime (higher rate,
  `OT_RATE`), then a shootout. Overtime goals and shootouts are split 50/50 (set, not fitted:
  33 overtimes and 12 shootouts in the dev split cannot identify a home edge there).
Tried and dropped (game-level 5-fold CV on the dev split, ≤ 0.0002 Brier either way, i.e. noise):
per-period rate multipliers (P2 long change), and a Bayesian team-strength posterior (log rate
ratio ~ N(0, τ²), τ = 0.15 or 0.3, updated by the goals so far). Goal rates by score state (score
effects) were measured but are noisy on ~1,000 goals and confounded with team strength; not added.
Fitted constants (mean rate, pulled-goalie multipliers, OT rate) come from
`arbees-engine fit --sport hockey --data /work/shared/data/wp/nhl_games_2017_2020.csv`
(goal counts over exposure, see calibration/fit_hockey.py, which also prints the out-of-fold Brier).
Regular-season overtime rules only; playoff overtime (20-minute 5-on-5 sudden death) is not modelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from arbees_engine.model import GameState, Sport

from .base import clip_p, final_result, validate_state

# Regulation goals per second per side before the home-ice tilt: the fitted mean of home 3.1350 and
# away 2.7791 per 60 min (163 games, 2017-18); home ice enters through HOME_WIN_RATE instead.
RATE_HOME = 2.9571 / 3600.0
RATE_AWAY = 2.9571 / 3600.0
HOME_WIN_RATE = 577 / 1082  # P(home wins) with no market prior (published, see module docstring)
PULL_SECONDS = 150.0  # window length (set, not fitted: typical goalie-pull time)
PULL_TRAILING_MULT = 2.0658  # trailing side's rate multiplier while its goalie is pulled (fit)
PULL_LEADING_MULT = 3.7381  # leading side's rate multiplier (empty-net goals, fit)
OT_SECONDS = 300.0
OT_RATE = 11.1867 / 3600.0  # total 3-on-3 goals per second (fit, 33 overtimes)
OT_HOME_SHARE = 0.5  # share of overtime goals scored by the home side (set, see docstring)
SHOOTOUT_HOME = 0.5  # P(home wins a shootout) (set, see docstring)
MAX_GOALS = 14  # minimum Poisson support per side for one segment


@lru_cache(maxsize=8192)  # bounded: ~5 MiB, a daemon prices for days
def _diff_dist(mu_home: float, mu_away: float) -> tuple[tuple[int, float], ...]:
    """Distribution of (home − away) goals for Poisson means mu_home, mu_away: ((diff, prob), ...)."""
    ph = _pmf(mu_home)
    pa = _pmf(mu_away)
    out: dict[int, float] = {}
    for i, pi in enumerate(ph):
        for j, pj in enumerate(pa):
            out[i - j] = out.get(i - j, 0.0) + pi * pj
    return tuple((d, p) for d, p in out.items() if p > 1e-13)


def _pmf(mu: float) -> list[float]:
    """Poisson pmf 0..n for mean mu ≥ 0, n large enough that the tail left out is < 1e-12."""
    p = math.exp(-mu)
    out = [p]
    for n in range(1, max(MAX_GOALS, int(mu + 8.0 * math.sqrt(mu) + 10)) + 1):
        p *= mu / n
        out.append(p)
    return out


@dataclass(frozen=True, slots=True)
class PoissonHockeyModel:
    """Poisson/Skellam hockey model; p_home(state) → P(home wins) in [1e-4, 1 − 1e-4]. Raises PricingError.

    `default_prior` is the P(home wins) used when the state has no pre-game prior (None: use the
    rates as given). Set `default_prior=None`, `pull_seconds=0`, equal rates and `ot_rate=0` to get
    the plain league-average Poisson model.
    """

    rate_home: float = RATE_HOME
    rate_away: float = RATE_AWAY
    pull_seconds: float = PULL_SECONDS
    pull_trailing_mult: float = PULL_TRAILING_MULT
    pull_leading_mult: float = PULL_LEADING_MULT
    ot_rate: float = OT_RATE
    ot_home_share: float = OT_HOME_SHARE
    shootout_home: float = SHOOTOUT_HOME
    default_prior: float | None = HOME_WIN_RATE
    sport: Sport = Sport.HOCKEY

    def p_home(self, state: GameState) -> float:
        """P(home wins) for `state`: regulation Skellam, then overtime and shootout for a tie."""
        validate_state(state, self.sport)
        settled = final_result(state, tie_value=self.shootout_home)
        if settled is not None:
            return settled
        prior = state.pregame_home_prob
        if prior is None and self.default_prior is not None:
            prior = 0.5 if state.neutral_site else self.default_prior
        rh, ra = self._rates(prior)
        total = state.regulation_seconds or 3600.0
        if state.period == 0:
            return clip_p(_cached_regulation(self, 0, round(total), rh, ra))
        if state.seconds_remaining_regulation > 0:
            return clip_p(_cached_regulation(self, state.lead, round(state.seconds_remaining_regulation), rh, ra))
        if state.lead != 0:  # sudden death: any lead after regulation is decisive
            return clip_p(1.0 if state.lead > 0 else 0.0)
        if state.period >= 5:  # shootout
            return clip_p(self.shootout_home)
        left = state.clock_s if state.period == 4 else OT_SECONDS
        return clip_p(self._p_overtime(left))

    def _p_overtime(self, seconds_left: float) -> float:
        """P(home wins) tied in overtime with `seconds_left`: OT goal share, else shootout."""
        p_goal = 1.0 - math.exp(-self.ot_rate * seconds_left)
        return p_goal * self.ot_home_share + (1.0 - p_goal) * self.shootout_home

    def _p_regulation(self, lead: int, seconds_left: float, rh: float, ra: float) -> float:
        """Sum over goal differences before the pulled-goalie window, then the window itself."""
        p_tie = self._p_overtime(OT_SECONDS)
        t_pull = min(self.pull_seconds, seconds_left)
        early = round(seconds_left - t_pull)
        if early <= 0:
            return self._p_late(lead, round(t_pull), rh, ra, p_tie)
        p = 0.0
        for d, prob in _diff_dist(round(rh * early, 6), round(ra * early, 6)):
            p += prob * self._p_late(lead + d, round(t_pull), rh, ra, p_tie)
        return p

    def _p_late(self, lead: int, seconds_left: int, rh: float, ra: float, p_tie: float) -> float:
        """P(home wins) from `lead` with `seconds_left` inside the pulled-goalie window."""
        if seconds_left <= 0:
            return 1.0 if lead > 0 else 0.0 if lead < 0 else p_tie
        if lead in (1, 2):  # away trails and pulls its goalie
            rh, ra = rh * self.pull_leading_mult, ra * self.pull_trailing_mult
        elif lead in (-1, -2):
            rh, ra = rh * self.pull_trailing_mult, ra * self.pull_leading_mult
        p = 0.0
        for d, prob in _diff_dist(round(rh * seconds_left, 6), round(ra * seconds_left, 6)):
            final = lead + d
            p += prob * (1.0 if final > 0 else 0.0 if final < 0 else p_tie)
        return p

    def _rates(self, prior: float | None) -> tuple[float, float]:
        """Regulation (home, away) rates; with a prior, tilted so that P(home wins) pre-game = prior."""
        if prior is None:
            return self.rate_home, self.rate_away
        return _tilted_rates(self, round(prior, 3))


@lru_cache(maxsize=65536)
def _cached_regulation(model: PoissonHockeyModel, lead: int, seconds_left: int, rh: float, ra: float) -> float:
    """Memoised `_p_regulation` on whole seconds: a live feed revisits the same (lead, second) often."""
    return model._p_regulation(lead, float(seconds_left), rh, ra)


@lru_cache(maxsize=4096)
def _tilted_rates(model: PoissonHockeyModel, prior: float) -> tuple[float, float]:
    """Bisection on δ: rates (m·e^δ, m·e^−δ), m the mean rate, until pre-game P(home) = prior."""
    mean = 0.5 * (model.rate_home + model.rate_away)
    lo, hi = -2.0, 2.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        rh, ra = mean * math.exp(mid), mean * math.exp(-mid)
        if model._p_regulation(0, 3600.0, rh, ra) < prior:
            lo = mid
        else:
            hi = mid
    return mean * math.exp(0.5 * (lo + hi)), mean * math.exp(-0.5 * (lo + hi))
