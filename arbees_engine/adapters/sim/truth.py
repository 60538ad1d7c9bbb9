"""Closed-form win probabilities for the simulator's own score processes.

The simulator knows each game's TRUE scoring rates, so these give the true probability of each
result at any moment. The sim's market makers only see this value with a lag and noise (see
`maker.py`), which is what creates edges for the engine to find.

- Poisson sports (hockey, soccer): goals still to come are independent Poisson counts, so the
  final goal difference is the current lead plus a Skellam variable (Skellam 1946,
  https://en.wikipedia.org/wiki/Skellam_distribution). It is evaluated exactly by summing
  Poisson pmfs rather than through Bessel functions (no scipy needed).
- Possession sports (basketball, football): the remaining margin is approximated as normal with
  the process's own mean and variance (Stern 1994, "A Brownian motion model for the progress
  of sports scores", JASA 89:1128-1134).
All probabilities are floats in [0, 1]; times are seconds.
"""

from __future__ import annotations

import math

#: Live probabilities are kept inside (EPS, 1 − EPS) so a live game never looks settled.
EPS = 1e-4


def clamp_prob(p: float) -> float:
    """Clamp a live probability into [EPS, 1 − EPS]."""
    return min(1.0 - EPS, max(EPS, p))


def normal_cdf(x: float) -> float:
    """Standard normal CDF Φ(x)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def normal_win_prob(lead: float, mean: float, variance: float) -> float:
    """P(lead + M > 0) for M ~ Normal(mean, variance): Stern's (1994) approximation.

    A tie has probability zero here; ties go to overtime, which is close to a coin flip, so
    the symmetric continuous form already gives them about half to each side.
    With variance 0 the result is 1, 0, or 0.5 for a level score.
    """
    if variance <= 1e-12:
        total = lead + mean
        return 1.0 if total > 0 else 0.0 if total < 0 else 0.5
    return normal_cdf((lead + mean) / math.sqrt(variance))


def _poisson_pmf(mu: float, n: int) -> list[float]:
    """[P(X=0), ..., P(X=n)] for X ~ Poisson(mu), by recurrence."""
    pmf = [math.exp(-mu)]
    for k in range(1, n + 1):
        pmf.append(pmf[-1] * mu / k)
    return pmf


def _support(mu: float) -> int:
    """Enough Poisson terms that the dropped tail is below ~1e-9."""
    return int(mu + 8.0 * math.sqrt(mu) + 8)


def skellam_result_probs(lead: int, mu_home: float, mu_away: float) -> tuple[float, float, float]:
    """(P(home ahead), P(level), P(away ahead)) at the end, given the current home `lead` and
    Poisson means `mu_home`, `mu_away` of goals still to come. Exact up to a ~1e-9 tail."""
    n_home, n_away = _support(mu_home), _support(mu_away)
    pmf_home = _poisson_pmf(mu_home, n_home)
    pmf_away = _poisson_pmf(mu_away, n_away)
    # tail[k] = P(X_home >= k)
    tail = [0.0] * (n_home + 2)
    for k in range(n_home, -1, -1):
        tail[k] = tail[k + 1] + pmf_home[k]
    win = tie = 0.0
    for j, pa in enumerate(pmf_away):
        need = j - lead  # home must score more than `need` to finish ahead
        first_win = max(0, need + 1)
        if first_win <= n_home:
            win += pa * tail[first_win]
        if 0 <= need <= n_home:
            tie += pa * pmf_home[need]
    win, tie = min(1.0, win), min(1.0, tie)
    return win, tie, max(0.0, 1.0 - win - tie)


def sudden_death_home_prob(rate_home: float, rate_away: float, seconds: float, p_after: float) -> float:
    """P(home wins) when the first goal within `seconds` wins and otherwise `p_after` applies
    (e.g. the shootout). Rates are goals per second."""
    total = rate_home + rate_away
    if total <= 0:
        return p_after
    p_goal = 1.0 - math.exp(-total * seconds)
    return rate_home / total * p_goal + (1.0 - p_goal) * p_after


def logistic(x: float) -> float:
    """1 / (1 + e^−x)."""
    return 1.0 / (1.0 + math.exp(-x))


def logit(p: float) -> float:
    """log(p / (1 − p)) for p in (0, 1)."""
    return math.log(p / (1.0 - p))
