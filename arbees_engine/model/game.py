"""Sports, leagues, games and in-game state: venue-neutral domain types.

Time units: seconds. Scores are integers. Nothing here knows any feed's wire format.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any


class Sport(StrEnum):
    """Sport family; one win-probability model per family."""

    BASKETBALL = "basketball"
    FOOTBALL = "football"  # American football
    HOCKEY = "hockey"
    SOCCER = "soccer"
    BASEBALL = "baseball"


class League(StrEnum):
    """Leagues the engine knows, with their sport in `LEAGUE_SPORT`."""

    NBA = "nba"
    WNBA = "wnba"
    NCAAB = "ncaab"
    NFL = "nfl"
    NCAAF = "ncaaf"
    NHL = "nhl"
    MLB = "mlb"
    EPL = "epl"
    MLS = "mls"
    LALIGA = "laliga"
    BUNDESLIGA = "bundesliga"
    SERIEA = "seriea"
    LIGUE1 = "ligue1"
    UCL = "ucl"


LEAGUE_SPORT: dict[League, Sport] = {
    League.NBA: Sport.BASKETBALL,
    League.WNBA: Sport.BASKETBALL,
    League.NCAAB: Sport.BASKETBALL,
    League.NFL: Sport.FOOTBALL,
    League.NCAAF: Sport.FOOTBALL,
    League.NHL: Sport.HOCKEY,
    League.MLB: Sport.BASEBALL,
    League.EPL: Sport.SOCCER,
    League.MLS: Sport.SOCCER,
    League.LALIGA: Sport.SOCCER,
    League.BUNDESLIGA: Sport.SOCCER,
    League.SERIEA: Sport.SOCCER,
    League.LIGUE1: Sport.SOCCER,
    League.UCL: Sport.SOCCER,
}


class GameStatus(StrEnum):
    """Lifecycle of a game. POSTPONED/CANCELED games never settle a moneyline at 1/0 here."""

    SCHEDULED = "scheduled"
    LIVE = "live"
    FINAL = "final"
    POSTPONED = "postponed"
    CANCELED = "canceled"


class GameStateError(ValueError):
    """Raised for an impossible game state (negative score, NaN clock, unknown period)."""


@dataclass(frozen=True, slots=True)
class Team:
    """A team as the feed names it: `abbr` ("NYK"), `name` ("New York Knicks")."""

    abbr: str
    name: str


@dataclass(frozen=True, slots=True)
class GameState:
    """One observation of a game, immutable.

    Fields:
      game_id: engine-wide id, e.g. "espn:nba:401810433" or "sim:nba:3".
      period: 1-based period (quarter, half, period, inning); 0 before start.
      clock_s: seconds left in the current period (0 when unknown or between periods).
      seconds_remaining_regulation: seconds of regulation left in the game (0 in overtime).
      possession: "home", "away" or None when unknown.
      down/distance/yard_line_100: American football situation (yards from the offence's goal
        line to the opponent's end zone, nflscrapR's `yardline_100`), None when unknown.
      home_timeouts/away_timeouts: None when unknown.
      inning_half/outs: baseball half-inning ("top"/"bottom") and outs (0..2), None when unknown.
      observed_at: when the engine received it (UTC).
      added_time_s: soccer, seconds already played in the current half's added (stoppage) time
        (ESPN displayClock "90'+3'" → 180); 0 outside stoppage time and in other sports.
      postseason: a playoff game (ESPN `season.type` 3); neutral_site: neither side is at home
        (ESPN `competitions[].neutralSite`: Super Bowl, international series). Models drop the home
        edge at a neutral site; NFL uses the playoff home rate in the postseason.
    Raises GameStateError (from `validate`) for negative scores or non-finite clocks.
    """

    game_id: str
    sport: Sport
    league: League
    home: Team
    away: Team
    status: GameStatus
    home_score: int = 0
    away_score: int = 0
    period: int = 0
    clock_s: float = 0.0
    seconds_remaining_regulation: float = 0.0
    regulation_seconds: float = 2880.0
    possession: str | None = None
    down: int | None = None
    distance: int | None = None
    yard_line_100: int | None = None
    home_timeouts: int | None = None
    away_timeouts: int | None = None
    inning_half: str | None = None  # baseball: "top" or "bottom"
    outs: int | None = None  # baseball: outs in the current half-inning, 0..2
    start_time: datetime | None = None
    observed_at: datetime | None = None
    pregame_home_prob: float | None = None
    added_time_s: float = 0.0
    postseason: bool = False
    neutral_site: bool = False
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def validate(self) -> GameState:
        """Return self if the state is possible, else raise GameStateError."""
        if self.home_score < 0 or self.away_score < 0:
            raise GameStateError(f"{self.game_id}: negative score")
        for name in ("clock_s", "seconds_remaining_regulation", "regulation_seconds", "added_time_s"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise GameStateError(f"{self.game_id}: {name}={value!r} is not a finite non-negative number")
        if self.period < 0:
            raise GameStateError(f"{self.game_id}: period {self.period} < 0")
        if self.possession not in (None, "home", "away"):
            raise GameStateError(f"{self.game_id}: possession {self.possession!r}")
        if self.inning_half not in (None, "top", "bottom") or self.outs not in (None, 0, 1, 2):
            raise GameStateError(f"{self.game_id}: inning half {self.inning_half!r} / outs {self.outs!r}")
        if self.pregame_home_prob is not None and not (0.0 < self.pregame_home_prob < 1.0):
            raise GameStateError(f"{self.game_id}: pregame_home_prob {self.pregame_home_prob!r} not in (0, 1)")
        return self

    @property
    def lead(self) -> int:
        """Home score minus away score."""
        return self.home_score - self.away_score

    @property
    def fraction_elapsed(self) -> float:
        """Share of regulation played, 0..1."""
        if self.regulation_seconds <= 0:
            return 1.0
        return min(1.0, max(0.0, 1.0 - self.seconds_remaining_regulation / self.regulation_seconds))

    @property
    def is_final(self) -> bool:
        """True once the result is known (FINAL)."""
        return self.status is GameStatus.FINAL

    @property
    def winner(self) -> str | None:
        """ "home", "away", "draw" for a FINAL game, else None."""
        if self.status is not GameStatus.FINAL:
            return None
        if self.home_score == self.away_score:
            return "draw"
        return "home" if self.home_score > self.away_score else "away"

    def evolve(self, **changes: Any) -> GameState:
        """Return a copy with `changes` applied."""
        return replace(self, **changes)
