"""`arbees-engine calibrate` and `arbees-engine fit`: the win-probability report card and the refits.

    calibrate --sport SPORT --data FILE [--reference COLUMN] [--draws N] [--at-goals] [--include-ot]
              [--rating TEAM=POINTS ...] [--out-of-fold K] [--feasibility N]
    fit --sport {football,basketball,hockey} --data FILE [--folds K] [--rating TEAM=POINTS ...]
Exit codes: 0 done, 2 bad input (missing file, unknown layout, reference absent from the rows).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from arbees_engine.model import Sport
from arbees_engine.pricing import WinProbModel, model_for

from .feasibility import describe, simulate
from .loaders import CalibrationRow, LoaderError, load_kalshi, load_nfl
from .loaders_pbp import load_nba, load_nhl
from .oof import out_of_fold
from .report import print_report, score


def _sport_name(text: str) -> str:
    """A sport family name, accepting league names as aliases ("nfl" → "football")."""
    from ..model import LEAGUE_SPORT, League

    lowered = text.strip().lower()
    try:
        return LEAGUE_SPORT[League(lowered)].value
    except ValueError:
        return lowered


def parse_ratings(items: Sequence[str]) -> dict[str, float]:
    """["GSW=11.35", ...] → {"GSW": 11.35}. Raises LoaderError for a malformed item."""
    out = {}
    for item in items:
        team, _, value = item.partition("=")
        try:
            out[team.strip().upper()] = float(value)
        except ValueError as exc:
            raise LoaderError(f"--rating {item!r}: expected TEAM=POINTS") from exc
    return out


SEASON_TYPES = {"auto": None, "regular": False, "post": True}


def load_rows(
    sport: Sport,
    data: Path,
    include_ot: bool = False,
    at_goals: bool = False,
    ratings: dict[str, float] | None = None,
    season_type: str = "auto",
) -> list[CalibrationRow]:
    """Pick the loader for `sport` and the file's layout. Raises LoaderError for an unknown pairing.
    season_type (NFL): "auto" (nflfastR `season_type`, else "post" in the file name), "regular", "post"."""
    name = data.name.lower()
    if sport is Sport.FOOTBALL:
        return load_nfl(data, include_overtime=include_ot, postseason=SEASON_TYPES[season_type])
    if sport is Sport.BASKETBALL:
        return load_kalshi(data) if "kalshi" in name else load_nba(data, ratings)
    if sport is Sport.HOCKEY:
        games = data.with_name(data.name.replace("goals", "games")) if "goals" in name else data
        return load_nhl(games, at_goals=at_goals)
    raise LoaderError(f"no development data layout for {sport.value}")


def calibrate_main(argv: Sequence[str] | None = None) -> int:
    """Score the sport's model on a data file and print Brier, log loss, reliability and the period split.

    With --reference COLUMN the reference is scored on exactly the same rows (those where it exists),
    with a game-level bootstrap 95 % interval for Brier(model) − Brier(reference). With --out-of-fold K
    the model's forecasts are game-level K-fold out-of-fold (constants refitted without each game).
    With --feasibility N (default 200) it also simulates an exactly calibrated model on the data's games
    and state times and prints how often that model meets the reliability target (feasibility.py).
    """
    args = _calibrate_parser().parse_args(argv)
    sport = Sport(args.sport)
    model = model_for(sport)
    try:
        rows, ps = _forecasts(sport, model, args)
    except LoaderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.reference:
        rows, ps = _with_reference(rows, ps, args.reference)
        if not rows:
            print(f"error: no rows carry reference {args.reference!r}", file=sys.stderr)
            return 2
    _print_calibration(sport, model, rows, ps, args)
    return 0


def _calibrate_parser() -> argparse.ArgumentParser:
    """The `arbees-engine calibrate` arguments (calibrate_main's docstring is the description)."""
    parser = argparse.ArgumentParser(prog="arbees-engine calibrate", description=calibrate_main.__doc__)
    parser.add_argument(
        "--sport",
        required=True,
        type=_sport_name,
        choices=[s.value for s in Sport],
        help="sport family, or a league name (nfl, nba, nhl, mlb, epl, ...)",
    )
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument(
        "--reference",
        default=None,
        help="home_wp (NFL), stern_plain (NBA), poisson_plain / poisson_home_away (NHL), kalshi (Kalshi candles)",
    )
    parser.add_argument("--draws", type=int, default=1000, help="bootstrap draws (default 1000)")
    parser.add_argument("--include-ot", action="store_true", help="NFL: also score overtime plays")
    parser.add_argument("--at-goals", action="store_true", help="NHL: add a state after every goal")
    parser.add_argument(
        "--season-type",
        choices=sorted(SEASON_TYPES),
        default="auto",
        help="NFL: playoff games use the playoff home rate and a neutral Super Bowl; auto "
        "reads nflfastR's season_type, else 'post' in the file name",
    )
    parser.add_argument(
        "--rating",
        action="append",
        default=[],
        metavar="TEAM=POINTS",
        help="NBA: pre-game team rating in points vs average (sets the prior), repeatable",
    )
    parser.add_argument(
        "--out-of-fold",
        type=int,
        default=0,
        metavar="K",
        help="score game-level K-fold out-of-fold forecasts instead of the shipped constants",
    )
    parser.add_argument(
        "--feasibility",
        type=int,
        default=200,
        metavar="N",
        help="simulate N samples of an exactly calibrated model on the data's games and "
        "state times, to show how often the reliability target can be met at all "
        "(default 200; 0 skips)",
    )
    return parser


def _forecasts(sport: Sport, model: WinProbModel, args: argparse.Namespace) -> tuple[list[CalibrationRow], list[float]]:
    """The rows of `args.data` and the model's P(home wins) (0..1) for each: the shipped constants,
    or with --out-of-fold K game-level out-of-fold forecasts. Raises LoaderError for bad input."""
    rows = load_rows(sport, args.data, args.include_ot, args.at_goals, parse_ratings(args.rating), args.season_type)
    if args.out_of_fold:
        return out_of_fold(sport, args.data, rows, args.out_of_fold)
    return rows, [model.p_home(r.state) for r in rows]


def _with_reference(
    rows: list[CalibrationRow], ps: list[float], reference: str
) -> tuple[list[CalibrationRow], list[float]]:
    """Only the rows (and their forecasts) that carry `reference`, so both are scored on the same rows."""
    keep = [i for i, r in enumerate(rows) if reference in r.references]
    return [rows[i] for i in keep], [ps[i] for i in keep]


def _print_calibration(
    sport: Sport, model: WinProbModel, rows: list[CalibrationRow], ps: list[float], args: argparse.Namespace
) -> None:
    """Print the report card for non-empty `rows`, then the feasibility simulation unless skipped
    (--feasibility 0) or the rows are Kalshi candles."""
    kind = f"game-level {args.out_of_fold}-fold out-of-fold" if args.out_of_fold else "shipped constants (in-sample)"
    print(f"model: {type(model).__name__} ({kind})  data: {args.data}")
    print_report(rows, ps, args.reference, args.draws)
    if args.feasibility > 0 and not rows[0].game_id.startswith("kalshi:"):
        model_misses = len(score(ps, [r.outcome for r in rows]).failing_bins)
        print("\n" + describe(simulate(rows, sport, args.feasibility), model_misses))


def fit_main(argv: Sequence[str] | None = None) -> int:
    """Refit a model's constants on a data file (deterministic, game-level CV) and print them."""
    from .fit import fit_basketball, fit_football, rounded
    from .fit_hockey import cv_hockey, fit_goal_logs, model_from_fit, read_goal_logs

    parser = argparse.ArgumentParser(prog="arbees-engine fit", description=fit_main.__doc__)
    parser.add_argument("--sport", required=True, type=_sport_name, choices=["football", "basketball", "hockey"])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument(
        "--rating",
        action="append",
        default=[],
        metavar="TEAM=POINTS",
        help="NBA: pre-game team rating in points vs average (sets the prior), repeatable",
    )
    args = parser.parse_args(argv)
    try:
        if args.sport == "hockey":
            games_path = args.data.with_name(args.data.name.replace("goals", "games"))
            games, goals = read_goal_logs(games_path)
            fit = fit_goal_logs(games, goals)
            model = model_from_fit(fit)
            _, cv, plain = cv_hockey(load_nhl(games_path), games, goals, k=args.folds)
            print(f"hockey: {fit.games} games, {fit.ot_games} overtimes")
            print(
                f"  rate per side = {fit.mean_rate * 3600:.4f}/60min (home {fit.rate_home * 3600:.4f}, "
                f"away {fit.rate_away * 3600:.4f}; home ice comes from default_prior = {model.default_prior:.4f})"
            )
            print(f"  pull_trailing_mult = {fit.pull_trailing_mult:.4f}")
            print(f"  pull_leading_mult = {fit.pull_leading_mult:.4f}")
            print(f"  ot_rate = {fit.ot_rate * 3600:.4f}/60min")
            print(f"  game-level {args.folds}-fold CV Brier = {cv:.4f}; plain Poisson (poisson_plain) = {plain:.4f}")
            return 0
        rows = load_rows(Sport(args.sport), args.data, ratings=parse_ratings(args.rating))
    except LoaderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result = fit_football(rows, k=args.folds) if args.sport == "football" else fit_basketball(rows, k=args.folds)
    print(f"{args.sport}: {result.n_rows} rows, {result.n_games} games")
    for name, value in rounded(result.params).items():
        print(f"  {name} = {value}")
    print(f"  game-level {args.folds}-fold CV Brier = {result.cv_brier:.4f}; in-sample Brier = {result.fit_brier:.4f}")
    return 0


if __name__ == "__main__":  # pragma: no cover - manual use
    sys.exit(calibrate_main())
