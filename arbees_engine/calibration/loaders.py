"""Loaders for the win-probability development CSVs in /work/shared/data/wp (layouts in its SOURCES.md).

Each loader returns a list of `CalibrationRow`: the `GameState`, the outcome y (1 home win, 0 loss,
0.5 tie), reference probabilities by name (published model column or a plain baseline model), the
game id (for game-level resampling) and a stratum label (period or time bucket) for split reports.
Missing CSV cells ("", "NA") become None. A malformed row raises `LoaderError` naming file and line.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

from arbees_engine.model import GameState, GameStatus, League, Sport, Team


class LoaderError(ValueError):
    """A CSV that does not match the expected layout (missing column, unparsable number)."""


@dataclass(frozen=True, slots=True)
class CalibrationRow:
    """One scored observation: state, outcome (0/0.5/1, home view), references by name, game, stratum."""

    state: GameState
    outcome: float
    game_id: str
    stratum: str
    references: dict[str, float] = field(default_factory=dict)


def read_csv(path: Path) -> list[dict[str, str]]:
    """All rows of a CSV file as dicts. Raises LoaderError if the file is missing or empty."""
    path = Path(path)
    if not path.is_file():
        raise LoaderError(f"{path}: no such file")
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise LoaderError(f"{path}: no data rows")
    return rows


def num(row: dict[str, str], key: str, where: str) -> float | None:
    """Float value of `row[key]`, None for "", "NA" or NaN. Raises LoaderError if absent/unparsable."""
    if key not in row:
        raise LoaderError(f"{where}: missing column {key!r}")
    raw = row[key].strip()
    if raw in ("", "NA", "nan", "NaN", "None"):
        return None
    try:
        value = float(raw)
    except ValueError as exc:
        raise LoaderError(f"{where}: column {key!r} value {raw!r} is not a number") from exc
    return value if math.isfinite(value) else None


def as_int(value: float | None) -> int | None:
    """int(value) or None."""
    return None if value is None else int(value)


def _timeouts(value: float | None) -> int | None:
    """Timeouts left; nflscrapR writes -1 on a few rows (unknown), mapped to None."""
    return None if value is None or value < 0 else int(value)


def _nfl_game_context(rows: list[dict[str, str]], path: Path, postseason: bool | None) -> dict[str, tuple[bool, bool]]:
    """game_id → (postseason, neutral site) for nflscrapR/nflfastR rows.

    Postseason: nflfastR's `season_type` == "POST" when the column exists, else `postseason`, else
    the file name says "post" (nflscrapR keeps playoffs in `post_season/post_pbp_*` files).
    Neutral: nflfastR's `location` == "Neutral" when present; otherwise in a postseason file each
    season's last game (by the date-based game id) is the Super Bowl, played at a neutral site.
    """
    name_says_post = "post" in Path(path).name.lower()
    context: dict[str, tuple[bool, bool]] = {}
    last_of_season: dict[str, str] = {}
    for row in rows:
        gid = row.get("game_id", "")
        post = (
            row.get("season_type", "").upper() == "POST"
            if "season_type" in row
            else (name_says_post if postseason is None else postseason)
        )
        neutral = row.get("location", "").lower() == "neutral"
        context[gid] = (post, neutral)
        season = row.get("season", "")
        if post and "location" not in row and gid > last_of_season.get(season, ""):
            last_of_season[season] = gid
    for gid in last_of_season.values():
        context[gid] = (True, True)
    return context


def load_nfl(path: Path, include_overtime: bool = False, postseason: bool | None = None) -> list[CalibrationRow]:
    """nflscrapR play-by-play (SOURCES.md §1) → one row per play; reference `home_wp` when present.

    Quarters 1–4 only unless `include_overtime`. Outcome from `home_win` (final score, not the
    lagging `total_*` columns). Stratum = "Q<quarter>". Each state carries `postseason` and
    `neutral_site` (see `_nfl_game_context`; `postseason` overrides the file-name rule).
    """
    out = []
    rows = read_csv(path)
    context = _nfl_game_context(rows, path, postseason)
    for i, row in enumerate(rows, start=2):
        where = f"{path}:{i}"
        qtr = as_int(num(row, "qtr", where))
        y = num(row, "home_win", where)
        if qtr is None or y is None or (qtr > 4 and not include_overtime):
            continue
        home, away, pos = row["home_team"], row["away_team"], row.get("posteam", "")
        game_left = num(row, "game_seconds_remaining", where) or 0.0
        state = GameState(
            game_id=f"nfl:{row['game_id']}",
            sport=Sport.FOOTBALL,
            league=League.NFL,
            home=Team(home, home),
            away=Team(away, away),
            status=GameStatus.LIVE,
            home_score=int(num(row, "total_home_score", where) or 0),
            away_score=int(num(row, "total_away_score", where) or 0),
            period=qtr,
            clock_s=max(0.0, num(row, "quarter_seconds_remaining", where) or 0.0),
            seconds_remaining_regulation=max(0.0, game_left) if qtr <= 4 else 0.0,
            regulation_seconds=3600.0,
            possession="home" if pos == home else "away" if pos == away else None,
            down=as_int(num(row, "down", where)),
            distance=as_int(num(row, "ydstogo", where)),
            yard_line_100=as_int(num(row, "yardline_100", where)),
            home_timeouts=_timeouts(num(row, "home_timeouts_remaining", where)),
            away_timeouts=_timeouts(num(row, "away_timeouts_remaining", where)),
            postseason=context[row["game_id"]][0],
            neutral_site=context[row["game_id"]][1],
        )
        ref = num(row, "home_wp", where)
        refs = {} if ref is None else {"home_wp": ref}
        out.append(CalibrationRow(state, y, state.game_id, f"Q{qtr}", refs))
    return out


def load_kalshi(
    candles_path: Path, summary_path: Path | None = None, offsets_min: tuple[int, ...] = (150, 120, 90, 60, 45, 30, 15)
) -> list[CalibrationRow]:
    """Kalshi NBA 1-minute candles + summary (SOURCES.md §4) → one row per game per offset.

    Each row is a pre-game-style state (no clock or score exists in the data) whose prior is the
    market's first traded price, turned to the home side; reference `kalshi` is the last close at
    `offset` minutes before the last trade (home side). Stratum = "T-<offset>m". Outcome from the
    inferred `yes_result`.
    """
    candles_path = Path(candles_path)
    summary_path = summary_path or candles_path.with_name("kalshi_nba_games_2025_summary.csv")
    series: dict[str, list[tuple[float, float]]] = {}
    for i, row in enumerate(read_csv(candles_path), start=2):
        ts, close = num(row, "timestamp", f"{candles_path}:{i}"), num(row, "close", f"{candles_path}:{i}")
        if ts is not None and close is not None:
            series.setdefault(row["game_id"], []).append((ts, close / 100.0))
    out = []
    for i, row in enumerate(read_csv(summary_path), start=2):
        where = f"{summary_path}:{i}"
        yes_result, yes_home = num(row, "yes_result", where), num(row, "yes_is_home", where)
        candles = sorted(series.get(row["game_id"], []))
        if yes_result is None or yes_home is None or not candles:
            continue
        flip = (lambda p: p) if yes_home == 1 else (lambda p: 1.0 - p)
        y = flip(yes_result)
        last_ts = num(row, "last_traded_ts", where) or candles[-1][0]
        prior = min(0.99, max(0.01, flip(candles[0][1])))
        state = GameState(
            game_id=f"kalshi:nba:{row['game_id']}",
            sport=Sport.BASKETBALL,
            league=League.NBA,
            home=Team(row["home"], row["home"]),
            away=Team(row["away"], row["away"]),
            status=GameStatus.SCHEDULED,
            pregame_home_prob=prior,
        )
        for offset in offsets_min:
            before = [p for ts, p in candles if ts <= last_ts - 60 * offset]
            if before:
                ref = min(0.99, max(0.01, flip(before[-1])))
                out.append(CalibrationRow(state, y, state.game_id, f"T-{offset:03d}m", {"kalshi": ref}))
    return out
