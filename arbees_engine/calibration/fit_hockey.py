"""Hockey rate fits from NHL goal logs, and their game-level cross-validation against the plain Poisson.

All estimates are Poisson maximum-likelihood rates (goals / exposure seconds): the mean regulation
rate per side, the pulled-goalie window multipliers and the 3-on-3 overtime rate. Home ice is not
fitted (the model takes the published league home win rate, see pricing/hockey.py), and neither are
the overtime / shootout home shares (set to ½). Data layout: wp/SOURCES.md §3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from arbees_engine.pricing.hockey import OT_SECONDS, PULL_SECONDS, PoissonHockeyModel

from .loaders import CalibrationRow, LoaderError, num, read_csv
from .metrics import brier

GoalLog = dict[str, list[tuple[float, str]]]  # game id → [(game seconds elapsed, "home"/"away"), ...]


@dataclass(frozen=True, slots=True)
class HockeyFit:
    """Fitted constants for PoissonHockeyModel (rates per second) and the counts behind them."""

    rate_home: float
    rate_away: float
    pull_trailing_mult: float
    pull_leading_mult: float
    ot_rate: float
    games: int
    ot_games: int

    @property
    def mean_rate(self) -> float:
        """Mean regulation goals per second per side (the model's rate before the home-ice tilt)."""
        return 0.5 * (self.rate_home + self.rate_away)


def read_goal_logs(games_path: Path, goals_path: Path | None = None) -> tuple[list[dict[str, str]], GoalLog]:
    """(game rows, goal log per game id) from the games and goals CSVs. Raises LoaderError on a bad layout."""
    games_path = Path(games_path)
    goals_path = goals_path or games_path.with_name(games_path.name.replace("games", "goals"))
    goals: GoalLog = {}
    for i, row in enumerate(read_csv(goals_path), start=2):
        t = num(row, "game_seconds_elapsed", f"{goals_path}:{i}")
        if t is None or row.get("scoring_team") not in ("home", "away"):
            raise LoaderError(f"{goals_path}:{i}: goal without time or side")
        goals.setdefault(row["game_id"], []).append((t, row["scoring_team"]))
    return read_csv(games_path), goals


def fit_hockey(games_path: Path, goals_path: Path | None = None, pull_seconds: float = PULL_SECONDS) -> HockeyFit:
    """Fit the hockey constants on every game in the CSVs. Raises LoaderError on a bad layout."""
    games, goals = read_goal_logs(games_path, goals_path)
    return fit_goal_logs(games, goals, pull_seconds)


def fit_goal_logs(games: Sequence[dict[str, str]], goals: GoalLog, pull_seconds: float = PULL_SECONDS) -> HockeyFit:
    """Poisson MLE rates from `games` (rows of the games CSV) and their goal logs."""
    if not games:
        raise LoaderError("no games to fit")
    reg = {"home": 0, "away": 0}
    late_goals = {"trailing": 0, "leading": 0}
    late_exposure = ot_exposure = 0.0
    ot_goals = ot_games = 0
    window = 3600.0 - pull_seconds
    for row in games:
        log = sorted(goals.get(row["game_id"], []))
        reg_goals = [(t, side) for t, side in log if t < 3600.0]
        for _, side in reg_goals:
            reg[side] += 1
        late_exposure += _late_window(reg_goals, window, late_goals)
        if (num(row, "went_ot", "games") or 0) >= 1:
            ot_games += 1
            ot = [t - 3600.0 for t, _ in log if t >= 3600.0]
            ot_exposure += min(OT_SECONDS, ot[0]) if ot else OT_SECONDS
            ot_goals += bool(ot)
    n = len(games)
    rate_home, rate_away = reg["home"] / (3600.0 * n), reg["away"] / (3600.0 * n)
    base = 0.5 * (rate_home + rate_away)
    return HockeyFit(
        rate_home=rate_home,
        rate_away=rate_away,
        pull_trailing_mult=late_goals["trailing"] / late_exposure / base if late_exposure else 1.0,
        pull_leading_mult=late_goals["leading"] / late_exposure / base if late_exposure else 1.0,
        ot_rate=ot_goals / ot_exposure if ot_exposure else 0.0,
        games=n,
        ot_games=ot_games,
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


def model_from_fit(fit: HockeyFit) -> PoissonHockeyModel:
    """PoissonHockeyModel with `fit`'s mean rate for both sides (home ice from the default prior)."""
    return PoissonHockeyModel(
        rate_home=fit.mean_rate,
        rate_away=fit.mean_rate,
        pull_trailing_mult=fit.pull_trailing_mult,
        pull_leading_mult=fit.pull_leading_mult,
        ot_rate=fit.ot_rate,
    )


def cv_hockey(
    rows: Sequence[CalibrationRow],
    games: Sequence[dict[str, str]],
    goals: GoalLog,
    k: int = 5,
    reference: str = "poisson_plain",
) -> tuple[list[float], float, float]:
    """Game-level k-fold CV: (out-of-fold forecasts per row, their Brier, `reference` Brier on the rows).

    Folds deal games sorted by id round-robin (as `fit.game_folds`); each fold's forecasts come from
    constants fitted on the other folds' games only. Raises LoaderError if a row's game is unknown.
    """
    from .fit import game_folds

    folds = game_folds(rows, k)
    fold_of_game = {r.game_id: f for r, f in zip(rows, folds)}
    by_id = {f"nhl:{g['game_id']}": g for g in games}
    missing = set(fold_of_game) - set(by_id)
    if missing:
        raise LoaderError(f"rows for games absent from the games file: {sorted(missing)[:3]}")
    oof = [0.0] * len(rows)
    for f in range(k):
        train = [g for gid, g in by_id.items() if fold_of_game.get(gid, -1) != f]
        model = model_from_fit(fit_goal_logs(train, goals))
        for i, row in enumerate(rows):
            if folds[i] == f:
                oof[i] = model.p_home(row.state)
    ys = [r.outcome for r in rows]
    return oof, brier(oof, ys), brier([r.references[reference] for r in rows], ys)
