"""Scoring rules and calibration summaries for probability forecasts (recipe in wp/SOURCES.md).

Brier = mean((p − y)²) (Brier 1950, Monthly Weather Review 78(1)); log loss = −mean(y ln p +
(1 − y) ln(1 − p)) with p clipped to [1e-6, 1 − 1e-6]; reliability: p rounded to 0.05 bins, mean p
vs observed rate with counts; game-level bootstrap (Efron & Tibshirani 1993) for the Brier difference,
since plays within one game are strongly correlated.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    """One 0.05 bin: centre, rows, mean forecast, observed home-win rate."""

    centre: float
    count: int
    mean_p: float
    observed: float

    @property
    def gap(self) -> float:
        """mean forecast − observed rate."""
        return self.mean_p - self.observed


def _check(ps: Sequence[float], ys: Sequence[float]) -> None:
    if len(ps) != len(ys) or not ps:
        raise ValueError(f"need equal, non-empty forecasts and outcomes (got {len(ps)} and {len(ys)})")


def brier(ps: Sequence[float], ys: Sequence[float]) -> float:
    """Mean squared error of probabilities `ps` against outcomes `ys` (0..1). Raises ValueError if empty."""
    _check(ps, ys)
    return sum((p - y) ** 2 for p, y in zip(ps, ys)) / len(ps)


def log_loss(ps: Sequence[float], ys: Sequence[float], eps: float = 1e-6) -> float:
    """Mean negative log likelihood, p clipped to [eps, 1 − eps]. Raises ValueError if empty."""
    _check(ps, ys)
    total = 0.0
    for p, y in zip(ps, ys):
        p = min(1 - eps, max(eps, p))
        total -= y * math.log(p) + (1 - y) * math.log(1 - p)
    return total / len(ps)


def reliability(ps: Sequence[float], ys: Sequence[float], width: float = 0.05) -> list[ReliabilityBin]:
    """Bins of p rounded to multiples of `width`, each with count, mean p and observed rate."""
    _check(ps, ys)
    groups: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for p, y in zip(ps, ys):
        groups[round(p / width)].append((p, y))
    return [
        ReliabilityBin(k * width, len(g), sum(p for p, _ in g) / len(g), sum(y for _, y in g) / len(g))
        for k, g in sorted(groups.items())
    ]


def calibration_error(bins: Sequence[ReliabilityBin]) -> float:
    """Count-weighted mean |mean p − observed| over bins."""
    n = sum(b.count for b in bins)
    return sum(abs(b.gap) * b.count for b in bins) / n if n else float("nan")


def bootstrap_brier_diff(
    ps: Sequence[float],
    refs: Sequence[float],
    ys: Sequence[float],
    games: Sequence[str],
    draws: int = 1000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """(Brier(ps) − Brier(refs), 2.5 %, 97.5 % quantiles) resampling whole games with replacement."""
    _check(ps, ys)
    per_game: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for p, r, y, g in zip(ps, refs, ys, games):
        acc = per_game[g]
        acc[0] += (p - y) ** 2 - (r - y) ** 2
        acc[1] += 1
    sums = list(per_game.values())
    rng = random.Random(seed)
    stats = []
    for _ in range(draws):
        pick = [sums[rng.randrange(len(sums))] for _ in sums]
        stats.append(sum(s[0] for s in pick) / sum(s[1] for s in pick))
    stats.sort()
    point = sum(s[0] for s in sums) / sum(s[1] for s in sums)
    return point, stats[int(0.025 * draws)], stats[min(draws - 1, int(0.975 * draws))]


def bootstrap_bin_gaps(
    ps: Sequence[float],
    ys: Sequence[float],
    games: Sequence[str],
    width: float = 0.05,
    draws: int = 1000,
    seed: int = 0,
) -> dict[int, tuple[float, float]]:
    """Game-level bootstrap 95 % interval of (mean p − observed) per reliability bin: {bin index: (lo, hi)}.

    Bin index k is the bin centred on k·`width` (as in `reliability`). Whole games are resampled, since
    every row of a game shares one outcome; a bin absent from a draw is skipped for that draw.
    """
    _check(ps, ys)
    per_game: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0, 0.0]))
    for p, y, g in zip(ps, ys, games):
        acc = per_game[g][round(p / width)]
        acc[0] += 1
        acc[1] += p
        acc[2] += y
    tables = list(per_game.values())
    rng = random.Random(seed)
    gaps: dict[int, list[float]] = defaultdict(list)
    for _ in range(draws):
        total: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        for _ in tables:
            for k, (n, sp, sy) in tables[rng.randrange(len(tables))].items():
                acc = total[k]
                acc[0] += n
                acc[1] += sp
                acc[2] += sy
        for k, (n, sp, sy) in total.items():
            gaps[k].append((sp - sy) / n)
    out = {}
    for k, values in gaps.items():
        values.sort()
        out[k] = (values[int(0.025 * len(values))], values[min(len(values) - 1, int(0.975 * len(values)))])
    return out
