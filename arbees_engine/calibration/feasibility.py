"""Could any model meet the reliability target on this data? Simulate one that is exactly right.

The target (|mean p − observed| ≤ 0.03 in every 0.05 bin with ≥ 200 rows, `report.TOLERANCE`) is a
property of a sample. When the sample has few games and many rows per game, every row of a game
shares one outcome, so the bins move with a handful of results and even a perfect model misses.

This module measures that. For each game in the data it keeps the game's state times (share of
regulation left), draws a new score path from a process whose win probability is known in closed
form, and takes that exact probability as the forecast at each state and the path's result as the
outcome. Each simulated sample has the data's games and rows; counting its bins that miss the
target, over many samples, gives the distribution of misses of a perfectly calibrated model on data
of this shape: the null against which a model's own miss count is read.

Processes (chosen per sport family, parameters from the pricing modules):
- football, basketball: the home margin is Brownian motion with drift μ and s.d. σ per game
  (Stern 1994, "A Brownian Motion Model for the Progress of Sports Scores", JASA 89(427)), so with
  share r left and lead L, P(home wins) = Φ((L + μr) / (σ√r)). Football σ = 13.86 points, the s.d.
  of NFL margins about the line (Stern 1991, "On the Probability of Winning a Football Game",
  The American Statistician 45(3)); μ = σ·Φ⁻¹(0.57), the published regular-season home rate
  (pricing/football.py). Basketball: the fitted `SternModel` μ and σ.
- hockey: independent Poisson goals per side at the league mean regulation rate (Mullet 1977,
  Operations Research 25(2)); a level game after regulation is a coin flip, so
  P(home wins) = P(D > −L) + ½·P(D = −L), D the Skellam goal difference over the time left (the
  `poisson_plain` reference model, which is exact for this process).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby

from arbees_engine.model import GameState, GameStatus, League, Sport, Team
from arbees_engine.pricing.base import phi, phi_inv, remaining_fraction, sigmoid
from arbees_engine.pricing.basketball import HOME_EDGE_POINTS, SIGMA_POINTS
from arbees_engine.pricing.football import HOME_EDGE_LOGIT

from .loaders import CalibrationRow, LoaderError
from .loaders_pbp import NHL_PLAIN_RATE, PLAIN_POISSON
from .report import MIN_BIN, TOLERANCE, score

NFL_SIGMA_POINTS = 13.86  # Stern 1991 (see module docstring)

# A game sampler: (the game's states' shares of regulation left, oldest first; rng) →
# (exact P(home wins) at each of those states, the simulated outcome 1 or 0).
Sampler = Callable[[Sequence[float], random.Random], tuple[list[float], float]]


@dataclass(frozen=True, slots=True)
class Feasibility:
    """Misses of an exactly calibrated model over `samples` simulated samples of the data's shape.

    `misses` is sorted: the number of bins (≥ MIN_BIN rows) outside ±TOLERANCE in each sample.
    `process` names the simulated process for the report.
    """

    process: str
    games: int
    rows: int
    misses: tuple[int, ...]

    @property
    def pass_rate(self) -> float:
        """Share of samples (0..1) in which every bin with ≥ MIN_BIN rows is within ±TOLERANCE."""
        return sum(m == 0 for m in self.misses) / len(self.misses)

    def quantile(self, q: float) -> int:
        """The q-quantile (0..1) of misses per sample (nearest rank)."""
        return self.misses[min(len(self.misses) - 1, int(q * len(self.misses)))]

    def share_at_least(self, misses: int) -> float:
        """Share of samples (0..1) in which the calibrated model misses `misses` bins or more."""
        return sum(m >= misses for m in self.misses) / len(self.misses)


def brownian_sampler(mu: float, sigma: float) -> Sampler:
    """Sampler for a Brownian home margin: drift `mu`, s.d. `sigma` (points per regulation game)."""

    def sample(left: Sequence[float], rng: random.Random) -> tuple[list[float], float]:
        lead, r, ps = 0.0, 1.0, []
        for share in left:
            step = r - share
            lead += rng.gauss(mu * step, sigma * math.sqrt(step)) if step > 0 else 0.0
            r = share
            ps.append(phi((lead + mu * r) / (sigma * math.sqrt(r))) if r > 0 else float(lead > 0))
        final = lead + (rng.gauss(mu * r, sigma * math.sqrt(r)) if r > 0 else 0.0)
        return ps, float(final > 0)

    return sample


def poisson_sampler(rate_per_game: float) -> Sampler:
    """Sampler for independent Poisson goals, `rate_per_game` per side per regulation; a tie is a coin flip."""

    def sample(left: Sequence[float], rng: random.Random) -> tuple[list[float], float]:
        lead, r, ps = 0, 1.0, []
        for share in left:
            lead += _poisson(rng, rate_per_game * (r - share)) - _poisson(rng, rate_per_game * (r - share))
            r = share
            ps.append(_plain_poisson_p(round(r * 3600.0, 6), lead))
        lead += _poisson(rng, rate_per_game * r) - _poisson(rng, rate_per_game * r)
        return ps, 1.0 if lead > 0 else 0.0 if lead < 0 else float(rng.random() < 0.5)

    return sample


def _poisson(rng: random.Random, mean: float) -> int:
    """One Poisson(mean) draw by inversion (means here are < 10)."""
    if mean <= 0:
        return 0
    k, p, u = 0, math.exp(-mean), rng.random()
    cumulative = p
    while u > cumulative:
        k += 1
        p *= mean / k
        cumulative += p
    return k


@lru_cache(maxsize=4096)
def _plain_poisson_p(seconds_left: float, lead: int) -> float:
    """Exact P(home wins) of the plain Poisson process: `poisson_plain` on a synthetic state."""
    return PLAIN_POISSON.p_home(_hockey_state(seconds_left, lead))


def _hockey_state(seconds_left: float, lead: int) -> GameState:
    """A live NHL state with `seconds_left` of regulation and the home side `lead` goals ahead."""
    elapsed = 3600.0 - seconds_left
    period = min(3, int(elapsed // 1200) + 1)
    return GameState(
        game_id="nhl:feasibility",
        sport=Sport.HOCKEY,
        league=League.NHL,
        home=Team("H", "H"),
        away=Team("A", "A"),
        status=GameStatus.LIVE,
        home_score=max(lead, 0),
        away_score=max(-lead, 0),
        period=period,
        clock_s=max(0.0, 1200.0 * period - elapsed),
        seconds_remaining_regulation=seconds_left,
        regulation_seconds=3600.0,
    )


def sampler_for(sport: Sport) -> tuple[str, Sampler]:
    """(description, sampler) of the calibrated process for `sport`. Raises LoaderError for other sports."""
    if sport is Sport.FOOTBALL:
        mu = NFL_SIGMA_POINTS * phi_inv(sigmoid(HOME_EDGE_LOGIT))
        return f"Brownian margin, μ {mu:.2f}, σ {NFL_SIGMA_POINTS} points", brownian_sampler(mu, NFL_SIGMA_POINTS)
    if sport is Sport.BASKETBALL:
        return (
            f"Brownian margin, μ {HOME_EDGE_POINTS}, σ {SIGMA_POINTS} points",
            brownian_sampler(HOME_EDGE_POINTS, SIGMA_POINTS),
        )
    if sport is Sport.HOCKEY:
        per_game = NHL_PLAIN_RATE * 3600.0
        return f"Poisson goals, {per_game:.3f} per side per game", poisson_sampler(per_game)
    raise LoaderError(f"no calibrated process to simulate for {sport.value}")


def simulate(rows: Sequence[CalibrationRow], sport: Sport, samples: int = 200, seed: int = 0) -> Feasibility:
    """Bins missed by an exactly calibrated model in `samples` simulated samples shaped like `rows`.

    Each sample keeps every game of `rows` and each row's share of regulation left (rows are
    grouped by game id; within a game, sorted from most time left). Raises LoaderError for a sport
    with no process (see `sampler_for`), for rows without game clocks (Kalshi candles) or samples < 1.
    """
    if samples < 1:
        raise LoaderError(f"need at least 1 simulated sample, got {samples}")
    if rows and rows[0].game_id.startswith("kalshi:"):
        raise LoaderError("Kalshi price rows carry no game clock to simulate")
    process, sampler = sampler_for(sport)
    games = [
        sorted((remaining_fraction(r.state) for r in group), reverse=True)
        for _, group in groupby(sorted(rows, key=lambda r: r.game_id), key=lambda r: r.game_id)
    ]
    rng = random.Random(seed)
    misses = []
    for _ in range(samples):
        ps: list[float] = []
        ys: list[float] = []
        for left in games:
            game_ps, y = sampler(left, rng)
            ps += game_ps
            ys += [y] * len(game_ps)
        misses.append(len(score(ps, ys).failing_bins))
    return Feasibility(process, len(games), len(rows), tuple(sorted(misses)))


def describe(result: Feasibility, model_misses: int) -> str:
    """Report lines: how often a calibrated model meets the target here, and where the model's misses sit."""
    return (
        f"reliability target feasibility: an exactly calibrated model ({result.process}), simulated on these "
        f"{result.games} games' state times ({result.rows} rows), {len(result.misses)} samples:\n"
        f"  every bin with ≥{MIN_BIN} rows within ±{TOLERANCE} in {result.pass_rate:.1%} of samples; bins missed "
        f"median {result.quantile(0.5)}, 90% range {result.quantile(0.05)}–{result.quantile(0.95)}\n"
        f"  model: {model_misses} missed; a calibrated model misses as many or more in "
        f"{result.share_at_least(model_misses):.1%} of samples"
    )
