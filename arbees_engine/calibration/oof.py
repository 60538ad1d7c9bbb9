"""Out-of-fold forecasts for the report card: each game scored by constants fitted without it.

Folds deal whole games (sorted ids, round-robin; `fit.game_folds`), so the printed figures are the
held-out estimate the maintainers ask for, not an in-sample fit. Football and basketball re-run their
fitters (`fit.fit_football`, `fit.fit_basketball`: the CV forecasts of the chosen grid point / time
floor); hockey refits its rates per fold (`fit_hockey.cv_hockey`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from arbees_engine.model import Sport

from .fit import fit_basketball, fit_football
from .fit_hockey import cv_hockey, read_goal_logs
from .loaders import CalibrationRow, LoaderError


def out_of_fold(
    sport: Sport, data: Path, rows: Sequence[CalibrationRow], k: int = 5
) -> tuple[list[CalibrationRow], list[float]]:
    """(rows scored, their out-of-fold P(home wins)) for `rows` loaded from `data`.

    Football keeps only live regulation plays (what the fitter uses). Raises LoaderError for a layout
    with nothing fitted (Kalshi candles: the model there is the market's own prior) or k < 2.
    """
    if k < 2:
        raise LoaderError(f"--out-of-fold needs at least 2 folds, got {k}")
    if sport is Sport.FOOTBALL:
        fit = fit_football(rows, k=k)
        return list(fit.rows), list(fit.oof)
    if sport is Sport.BASKETBALL and rows and not rows[0].game_id.startswith("kalshi:"):
        fit = fit_basketball(rows, k=k)
        return list(fit.rows), list(fit.oof)
    if sport is Sport.HOCKEY:
        games_path = data.with_name(data.name.replace("goals", "games"))
        games, goals = read_goal_logs(games_path)
        oof, _, _ = cv_hockey(rows, games, goals, k=k)
        return list(rows), oof
    raise LoaderError(f"no fitted constants to cross-validate for {sport.value} on {data.name}")
