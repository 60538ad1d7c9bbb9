"""Loaders that rebuild game states from NBA play-by-play and NHL goal logs (SOURCES.md §2, §3)."""

from __future__ import annotations

from dataclasses import replace
from itertools import groupby
from pathlib import Path

from arbees_engine.model import GameState, GameStatus, League, Sport, Team
from arbees_engine.pricing.base import phi
from arbees_engine.pricing.basketball import HOME_EDGE_POINTS, SIGMA_POINTS, SternModel
from arbees_engine.pricing.hockey import PoissonHockeyModel

from .loaders import CalibrationRow, LoaderError, as_int, num, read_csv

PLAIN_STERN = SternModel(mu=0.0, sigma=12.0, possession_points=0.0)  # SOURCES.md §2 baseline
NHL_PLAIN_RATE = 5.83 / 2 / 3600.0  # league-average regulation goals per side per second (SOURCES.md §3)
PLAIN_POISSON = PoissonHockeyModel(
    rate_home=NHL_PLAIN_RATE,
    rate_away=NHL_PLAIN_RATE,
    pull_seconds=0.0,
    ot_rate=0.0,
    ot_home_share=0.5,
    shootout_home=0.5,
    default_prior=None,
)
# SOURCES.md §3 baseline, the target's "plain Poisson with league-average rates": the league's
# average home and away regulation rates, a tie at 60:00 counted as ½.
HOME_AWAY_POISSON = PoissonHockeyModel(
    rate_home=3.07 / 3600,
    rate_away=2.76 / 3600,
    pull_seconds=0.0,
    ot_rate=0.0,
    ot_home_share=0.5,
    shootout_home=0.5,
    default_prior=None,
)


def _nba_possession(event: str, team: str, result: str, home: str, away: str, current: str | None) -> str | None:
    """Who has the ball after this event ("home"/"away"/None), inferred from event type and team."""
    side = "home" if team == home else "away" if team == away else None
    other = {"home": "away", "away": "home"}.get(side or "")
    if side is None:
        return None if event in ("start of period", "end of period") else current
    if event in ("shot", "turnover") or (event == "free throw" and result == "made"):
        return other
    if event in ("rebound", "miss") or (event == "free throw" and result == "missed"):
        return side
    return current


def rating_prior(home: str, away: str, ratings: dict[str, float]) -> float | None:
    """Pre-game P(home) = Φ((home edge + rating_home − rating_away) / σ) from team ratings in points
    (e.g. a prior-season Simple Rating System); None when neither team is rated."""
    if home not in ratings and away not in ratings:
        return None
    margin = HOME_EDGE_POINTS + ratings.get(home, 0.0) - ratings.get(away, 0.0)
    return phi(margin / SIGMA_POINTS)


def load_nba(path: Path, ratings: dict[str, float] | None = None) -> list[CalibrationRow]:
    """BigDataBall NBA play-by-play → the last state in each regulation minute of each game.

    Possession is inferred from the event stream. `ratings` (team → points vs league average) sets
    `pregame_home_prob` via `rating_prior`. Reference `stern_plain` = Stern μ=0, σ=12 without
    possession or prior (the SOURCES.md baseline). Stratum = "Q<period>". Outcome from `home_win`.
    """
    path = Path(path)
    ratings = ratings or {}
    out = []
    for game_id, events in groupby(read_csv(path), key=lambda r: r["game_id"]):
        possession: str | None = None
        by_minute: dict[int, GameState] = {}
        y = None
        for i, row in enumerate(events):
            where = f"{path}:{game_id}#{i}"
            home, away = row["home_team"], row["away_team"]
            possession = _nba_possession(row["event_type"], row["team"], row["result"], home, away, possession)
            period, elapsed = as_int(num(row, "period", where)), num(row, "game_seconds_elapsed", where)
            y = num(row, "home_win", where)
            if period is None or elapsed is None or period > 4:
                continue
            rem = num(row, "game_seconds_remaining_regulation", where) or 0.0
            by_minute[min(47, int(elapsed // 60))] = GameState(
                game_id=f"nba:{game_id}",
                sport=Sport.BASKETBALL,
                league=League.NBA,
                home=Team(home, home),
                away=Team(away, away),
                status=GameStatus.LIVE,
                home_score=int(num(row, "home_score", where) or 0),
                away_score=int(num(row, "away_score", where) or 0),
                period=period,
                clock_s=num(row, "sec_rem_period", where) or 0.0,
                seconds_remaining_regulation=max(0.0, rem),
                regulation_seconds=2880.0,
                possession=possession,
                pregame_home_prob=rating_prior(home, away, ratings),
            )
        if y is None:
            raise LoaderError(f"{path}: game {game_id} has no home_win")
        for minute in sorted(by_minute):
            state = by_minute[minute]
            refs = {"stern_plain": PLAIN_STERN.p_home(replace(state, pregame_home_prob=None))}
            out.append(CalibrationRow(state, y, state.game_id, f"Q{state.period}", refs))
    return out


def load_nhl(
    games_path: Path, goals_path: Path | None = None, grid_seconds: int = 300, at_goals: bool = False
) -> list[CalibrationRow]:
    """NHL games + goals → states every `grid_seconds` of regulation (and after each goal if `at_goals`).

    References: `poisson_plain` (league-average rate both sides, tie = 0.5) and `poisson_home_away`
    (SOURCES.md §3 baseline: 3.07 / 2.76 goals per 60, tie = 0.5). Stratum = "P<period>".
    """
    games_path = Path(games_path)
    goals_path = goals_path or games_path.with_name(games_path.name.replace("games", "goals"))
    goals: dict[str, list[tuple[float, int, int]]] = {}
    for i, row in enumerate(read_csv(goals_path), start=2):
        where = f"{goals_path}:{i}"
        elapsed = num(row, "game_seconds_elapsed", where)
        if elapsed is None:
            raise LoaderError(f"{where}: goal without a time")
        goals.setdefault(row["game_id"], []).append(
            (elapsed, int(num(row, "home_score_after", where) or 0), int(num(row, "away_score_after", where) or 0))
        )
    out = []
    for i, row in enumerate(read_csv(games_path), start=2):
        where = f"{games_path}:{i}"
        y = num(row, "home_win", where)
        if y is None:
            continue
        log = sorted(g for g in goals.get(row["game_id"], []) if g[0] < 3600)
        times = [float(t) for t in range(0, 3600, grid_seconds)]
        if at_goals:
            times += [g[0] for g in log if g[0] > 0]
        for t in sorted(times):
            hs = as_ = 0
            for elapsed, h, a in log:
                if elapsed <= t:
                    hs, as_ = h, a
            state = GameState(
                game_id=f"nhl:{row['game_id']}",
                sport=Sport.HOCKEY,
                league=League.NHL,
                home=Team(row["home_team"], row["home_team"]),
                away=Team(row["away_team"], row["away_team"]),
                status=GameStatus.LIVE,
                home_score=hs,
                away_score=as_,
                period=int(t // 1200) + 1,
                clock_s=1200.0 - t % 1200,
                seconds_remaining_regulation=3600.0 - t,
                regulation_seconds=3600.0,
            )
            refs = {"poisson_plain": PLAIN_POISSON.p_home(state), "poisson_home_away": HOME_AWAY_POISSON.p_home(state)}
            out.append(CalibrationRow(state, y, state.game_id, f"P{state.period}", refs))
    return out
