"""A simulated game's timeline vocabulary: its phase, its league's clock, and what a score process reads.

Separate from `game.py` so the score processes (`processes.py`) depend on this, not on the game
that runs them (that was the game ↔ processes import circle).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from ...model import League, Sport


class OvertimeRule(Enum):
    """What a level score at the end of regulation leads to."""

    NONE = "none"  # the draw stands (soccer league play)
    REPEAT = "repeat"  # 5-minute periods until someone leads (NBA)
    SUDDEN_DEATH_THEN_TIE = "sudden_death_then_tie"  # NFL regular season
    SUDDEN_DEATH_THEN_SHOOTOUT = "sudden_death_then_shootout"  # NHL regular season


@dataclass(frozen=True, slots=True)
class SportSpec:
    """A league's clock: `periods` of `period_s` seconds, breaks in seconds, overtime length."""

    league: League
    sport: Sport
    periods: int
    period_s: int
    break_s: int
    halftime_s: int
    ot_s: int
    ot_rule: OvertimeRule

    @property
    def regulation_s(self) -> int:
        """Regulation game clock in seconds (without stoppage time)."""
        return self.periods * self.period_s


SPECS: dict[League, SportSpec] = {
    League.NBA: SportSpec(League.NBA, Sport.BASKETBALL, 4, 720, 30, 120, 300, OvertimeRule.REPEAT),
    League.NFL: SportSpec(League.NFL, Sport.FOOTBALL, 4, 900, 30, 120, 600, OvertimeRule.SUDDEN_DEATH_THEN_TIE),
    League.NHL: SportSpec(League.NHL, Sport.HOCKEY, 3, 1200, 60, 60, 300, OvertimeRule.SUDDEN_DEATH_THEN_SHOOTOUT),
    League.EPL: SportSpec(League.EPL, Sport.SOCCER, 2, 2700, 120, 120, 0, OvertimeRule.NONE),
}


class Phase(Enum):
    """Where a game is in its timeline."""

    SCHEDULED = "scheduled"
    PLAY = "play"
    BREAK = "break"
    FINAL = "final"


class PlayingGame(Protocol):
    """What a score process reads of the game it advances (`SimGame` implements it).

    period: 1-based current period (0 before the start); clock_s: seconds on the period clock;
    lead: home minus away score; in_ot: an overtime period is under way.
    """

    spec: SportSpec
    phase: Phase
    period: int
    clock_s: int
    in_ot: bool

    @property
    def lead(self) -> int:
        """Home score minus away score."""
        ...

    def add_points(self, side: str, points: int) -> None:
        """Credit `points` to "home" or "away"."""
        ...

    def regulation_left_s(self) -> int:
        """Seconds of regulation clock still to play (0 in overtime)."""
        ...

    def horizon_s(self) -> int:
        """Play left that can still change the result, in seconds."""
        ...
