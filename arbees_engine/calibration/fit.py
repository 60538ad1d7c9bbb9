"""Reproducible parameter fits for the win-probability models, with game-level cross-validation.

Folds assign whole games (sorted ids, round-robin), so no game is split between fit and test.
Football: ridge-penalised logistic regression by Newton/IRLS (pure Python, p ≤ 8 features);
basketball: Brier-minimising grid over Stern's (μ, σ, possession points). Deterministic: no RNG.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from arbees_engine.pricing.base import sigmoid
from arbees_engine.pricing.basketball import HOME_EDGE_POINTS, SternModel
from arbees_engine.pricing.football import HOME_EDGE_LOGIT, FootballModel, home_strength, situation_features

from .loaders import CalibrationRow
from .metrics import brier


@dataclass(frozen=True, slots=True)
class FitResult:
    """Fitted parameters (name → value), out-of-fold Brier and in-sample Brier of the final fit.

    `rows` are the rows actually fitted and `oof` their out-of-fold forecasts (same order), so a
    reference can be scored on exactly the same rows.
    """

    params: dict[str, float]
    cv_brier: float
    fit_brier: float
    n_rows: int
    n_games: int
    rows: tuple[CalibrationRow, ...] = ()
    oof: tuple[float, ...] = ()


def game_folds(rows: Sequence[CalibrationRow], k: int = 5) -> list[int]:
    """Fold index per row: games sorted by id and dealt round-robin into `k` folds."""
    games = sorted({r.game_id for r in rows})
    fold_of = {g: i % k for i, g in enumerate(games)}
    return [fold_of[r.game_id] for r in rows]


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Solve a·x = b by Gaussian elimination with partial pivoting (a small and SPD here)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        piv = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[piv] = m[piv], m[col]
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= f * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def logistic_irls(
    xs: Sequence[Sequence[float]],
    ys: Sequence[float],
    ridge: float = 1.0,
    iters: int = 25,
    offsets: Sequence[float] | None = None,
) -> list[float]:
    """Coefficients maximising Σ log-likelihood − ridge/2·‖β‖² (Newton–Raphson; McCullagh & Nelder 1989).

    `offsets`: fixed per-row additions to the linear predictor (a coefficient held at a known value).
    """
    p = len(xs[0])
    beta = [0.0] * p
    offsets = offsets or [0.0] * len(ys)
    for _ in range(iters):
        grad = [-ridge * b for b in beta]
        hess = [[ridge if i == j else 0.0 for j in range(p)] for i in range(p)]
        for x, y, off in zip(xs, ys, offsets):
            mu = sigmoid(off + sum(b * v for b, v in zip(beta, x)))
            w = mu * (1 - mu)
            for i in range(p):
                grad[i] += (y - mu) * x[i]
                wi = w * x[i]
                row = hess[i]
                for j in range(i + 1):
                    row[j] += wi * x[j]
        for i in range(p):
            for j in range(i):
                hess[j][i] = hess[i][j]
        step = _solve(hess, grad)
        beta = [b + s for b, s in zip(beta, step)]
        if max(abs(s) for s in step) < 1e-9:
            break
    return beta


def _football_xy(rows: Sequence[CalibrationRow], floor: float) -> tuple[list[list[float]], list[float], list[float]]:
    """Features, outcomes and the fixed home-strength offsets S·√r (football.home_strength)."""
    xs, offs = [], []
    for r in rows:
        root_r, feats = situation_features(r.state, floor)
        xs.append(list(feats))
        offs.append(home_strength(r.state) * root_r)
    return xs, [r.outcome for r in rows], offs


def fit_football(
    rows: Sequence[CalibrationRow], floors: Sequence[float] = (0.002, 0.005, 0.01, 0.02, 0.04), k: int = 5
) -> FitResult:
    """Fit FootballModel's β on live regulation rows (home edge held fixed); C by game-level k-fold CV Brier."""
    rows = [r for r in rows if r.state.seconds_remaining_regulation > 0 and r.state.period <= 4]
    folds = game_folds(rows, k)
    best: tuple[float, float] | None = None
    best_oof: list[float] = []
    for floor in floors:
        xs, ys, offs = _football_xy(rows, floor)
        oof = [0.0] * len(rows)
        for f in range(k):
            train = [i for i, g in enumerate(folds) if g != f]
            beta = logistic_irls([xs[i] for i in train], [ys[i] for i in train], offsets=[offs[i] for i in train])
            for i, g in enumerate(folds):
                if g == f:
                    oof[i] = sigmoid(offs[i] + sum(b * v for b, v in zip(beta, xs[i])))
        score = brier(oof, ys)
        if best is None or score < best[1]:
            best, best_oof = (floor, score), oof
    floor, cv = best  # type: ignore[misc]
    xs, ys, offs = _football_xy(rows, floor)
    beta = logistic_irls(xs, ys, offsets=offs)
    model = FootballModel(coefs=tuple(beta), time_floor=floor)
    params = {
        "time_floor": floor,
        "home_edge_logit (fixed)": HOME_EDGE_LOGIT,
        "lead": beta[0],
        "expected_points": beta[1],
    }
    return FitResult(
        params,
        cv,
        brier([model.p_home(r.state) for r in rows], ys),
        len(rows),
        len({r.game_id for r in rows}),
        tuple(rows),
        tuple(best_oof),
    )


def _grid_cv(
    rows: Sequence[CalibrationRow], grid: list[dict[str, float]], make: Callable[..., object], k: int
) -> tuple[dict[str, float], float, list[float]]:
    """Pick the grid point with the lowest Brier on each training split.

    Returns (all-data best grid point, CV Brier, out-of-fold forecasts per row)."""
    folds = game_folds(rows, k)
    ys = [r.outcome for r in rows]
    preds = [[make(**g).p_home(r.state) for r in rows] for g in grid]  # type: ignore[attr-defined]

    def best_on(idx: list[int]) -> int:
        return min(range(len(grid)), key=lambda j: sum((preds[j][i] - ys[i]) ** 2 for i in idx))

    oof = [0.0] * len(rows)
    for f in range(k):
        j = best_on([i for i, g in enumerate(folds) if g != f])
        for i, g in enumerate(folds):
            if g == f:
                oof[i] = preds[j][i]
    return grid[best_on(list(range(len(rows))))], brier(oof, ys), oof


def fit_basketball(rows: Sequence[CalibrationRow], k: int = 5) -> FitResult:
    """Grid fit of Stern's σ and possession points (μ held at the published home edge); game-level CV Brier.

    μ is not fitted: the file holds only Golden State games, whose strength would leak into μ.
    σ is searched over 11–16 points (plausible NBA range; unidentified on a one-team file).
    """
    grid = [
        {"mu": HOME_EDGE_POINTS, "sigma": s / 2, "possession_points": pp / 4} for s in range(22, 33) for pp in range(7)
    ]
    best, cv, oof = _grid_cv(rows, grid, SternModel, k)
    model = SternModel(**best)
    fit = brier([model.p_home(r.state) for r in rows], [r.outcome for r in rows])
    return FitResult(dict(best), cv, fit, len(rows), len({r.game_id for r in rows}), tuple(rows), tuple(oof))


def rounded(params: dict[str, float], digits: int = 4) -> dict[str, float]:
    """Params rounded for printing as module constants."""
    return {k: (round(v, digits) if math.isfinite(v) else v) for k, v in params.items()}
