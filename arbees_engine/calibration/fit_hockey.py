"""Hockey rate fits from NHL goal logs: regulation rates, pulled-goalie window, overtime, shootout.

All estimates are Poisson maximum-likelihood rates (goals / exposure seconds). The small-sample ones
(overtime home share, shootout home win rate) are shrunk toward 0.5 with `PSEUDO` pseudo-counts per
side, since ~100 overtimes cannot pin a 2-point edge. Data layout: wp/SOURCES.md §3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from arbees_engine.pricing.hockey import OT_SECONDS, PULL_SECONDS, PoissonHockeyModel

from .loaders import CalibrationRow, LoaderError, num, read_csv

PSEUDO = 20.0


@dataclass(frozen=True, slots=True)
class HockeyFit:
    """Fitted constants for PoissonHockeyModel (rates per second) and the counts behind them."""

    rate_home: float
    rate_away: float
    pull_trailing_mult: float
    pull_leading_mult: float
    ot_rate: float
    ot_home_share: float
    shootout_home: float
    games: int
    ot_games: int
    shootouts: int


def fit_hockey(games_path: Path, goals_path: Path | None = None, pull_seconds: float = PULL_SECONDS) -> HockeyFit:
    """Fit the hockey constants from the games and goals CSVs. Raises LoaderError on a bad layout."""
    games_path = Path(games_path)
    goals_path = goals_path or games_path.with_name(games_path.name.replace("games", "goals"))
    goals: dict[str, list[tuple[float, str]]] = {}
    for i, row in enumerate(read_csv(goals_path), start=2):
        t = num(row, "game_seconds_elapsed", f"{goals_path}:{i}")
        if t is None or row["scoring_team"] not in ("home", "away"):
            raise LoaderError(f"{goals_path}:{i}: goal without time or side")
        goals.setdefault(row["game_id"], []).append((t, row["scoring_team"]))
    games = read_csv(games_path)
    reg = {"home": 0, "away": 0}
    late_goals = {"trailing": 0, "leading": 0}
    late_exposure = 0.0
    ot_goals = {"home": 0, "away": 0}
    ot_exposure = 0.0
    ot_games = so_games = so_home = 0
    window = 3600.0 - pull_seconds
    for row in games:
        log = sorted(goals.get(row["game_id"], []))
        reg_goals = [(t, side) for t, side in log if t < 3600.0]
        for _, side in reg_goals:
            reg[side] += 1
        late_exposure += _late_window(reg_goals, window, late_goals)
        if (num(row, "went_ot", games_path.name) or 0) >= 1:
            ot_games += 1
            ot = [(t - 3600.0, side) for t, side in log if t >= 3600.0]
            ot_exposure += min(OT_SECONDS, ot[0][0]) if ot else OT_SECONDS
            for _, side in ot[:1]:
                ot_goals[side] += 1
        if (num(row, "shootout", games_path.name) or 0) >= 1:
            so_games += 1
            so_home += int((num(row, "home_win", games_path.name) or 0) == 1)
    n = len(games)
    rate_home, rate_away = reg["home"] / (3600.0 * n), reg["away"] / (3600.0 * n)
    base = 0.5 * (rate_home + rate_away)
    return HockeyFit(
        rate_home=rate_home, rate_away=rate_away,
        pull_trailing_mult=late_goals["trailing"] / late_exposure / base if late_exposure else 1.0,
        pull_leading_mult=late_goals["leading"] / late_exposure / base if late_exposure else 1.0,
        ot_rate=sum(ot_goals.values()) / ot_exposure if ot_exposure else 0.0,
        ot_home_share=(ot_goals["home"] + PSEUDO) / (sum(ot_goals.values()) + 2 * PSEUDO),
        shootout_home=(so_home + PSEUDO) / (so_games + 2 * PSEUDO),
        games=n, ot_games=ot_games, shootouts=so_games,
    )


def _late_window(reg_goals: list[tuple[float, str]], start: float, counts: dict[str, int]) -> float:
    """Seconds after `start` spent with a 1–2 goal margin; goals in that time added to `counts` by role."""
    home = away = 0
    exposure = 0.0
    clock = start
    for t, side in reg_goals:
        if t >= start:
            if 1 <= abs(home - away) <= 2:
                exposure += t - clock
                leader = "home" if home > away else "away"
                counts["leading" if side == leader else "trailing"] += 1
            clock = t
        home += side == "home"
        away += side == "away"
    if 1 <= abs(home - away) <= 2:
        exposure += 3600.0 - clock
    return exposure


def model_from_fit(fit: HockeyFit, home_edge_share: float = 1.0) -> PoissonHockeyModel:
    """PoissonHockeyModel from `fit`, keeping `home_edge_share` of the fitted log rate ratio (0 = equal rates)."""
    mean = 0.5 * (fit.rate_home + fit.rate_away)
    delta = 0.5 * math.log(fit.rate_home / fit.rate_away) * home_edge_share
    return PoissonHockeyModel(
        rate_home=mean * math.exp(delta), rate_away=mean * math.exp(-delta),
        pull_trailing_mult=fit.pull_trailing_mult, pull_leading_mult=fit.pull_leading_mult,
        ot_rate=fit.ot_rate, ot_home_share=fit.ot_home_share, shootout_home=fit.shootout_home,
    )


def cv_home_edge(rows: Sequence[CalibrationRow], fit: HockeyFit, k: int = 5) -> tuple[float, float]:
    """(home-edge share in {0, ¼, ½, ¾, 1} with the lowest Brier, its game-level k-fold CV Brier).

    Only the share is chosen by CV; the rates come from `fit` on all games (a mild leak, stated).
    """
    from .fit import _grid_cv

    grid = [{"home_edge_share": s / 4} for s in range(5)]
    best, cv = _grid_cv(rows, grid, lambda home_edge_share: model_from_fit(fit, home_edge_share), k)
    return best["home_edge_share"], cv
