"""ESPN game clocks → period, seconds left in the period, seconds of regulation left.

Regulation per league from the leagues' rulebooks; ESPN's `status.clock` counts DOWN (seconds
left in the period) except in soccer, where it counts UP (seconds elapsed: 5400 at "90'+8'").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...model import LEAGUE_SPORT, GameStatus, League, Sport
from ..wire import ParseError, need, to_float, to_int


@dataclass(frozen=True, slots=True)
class ClockRules:
    """Regulation structure: `periods` × `period_s` seconds; soccer's clock counts up."""

    periods: int
    period_s: float
    counts_up: bool = False

    @property
    def regulation_s(self) -> float:
        """Regulation length in seconds."""
        return self.periods * self.period_s


#: Regulation per league (NBA 4×12 min, WNBA 4×10, NCAAB 2×20, NFL/NCAAF 4×15, NHL 3×20,
#: soccer 2×45 counting up). Baseball has no clock: innings are periods and seconds stay 0.
CLOCK_RULES: dict[Sport | League, ClockRules] = {
    League.NBA: ClockRules(4, 720),
    League.WNBA: ClockRules(4, 600),
    League.NCAAB: ClockRules(2, 1200),
    Sport.FOOTBALL: ClockRules(4, 900),
    Sport.HOCKEY: ClockRules(3, 1200),
    Sport.SOCCER: ClockRules(2, 2700, counts_up=True),
    Sport.BASEBALL: ClockRules(9, 0),
}


def clock_rules(league: League) -> ClockRules:
    """The regulation structure of `league`."""
    return CLOCK_RULES.get(league) or CLOCK_RULES[LEAGUE_SPORT[league]]


#: Bounds on a live clock: periods (innings, overtimes) and clock seconds.
MAX_PERIOD = 100
MAX_CLOCK_S = 100_000.0
_MIN_SEC = re.compile(r"^\s*(\d+):(\d{1,2}(?:\.\d+)?)\s*$")
_SOCCER_MIN = re.compile(r"^\s*(\d+)'")
_SOCCER_ADDED = re.compile(r"^\s*\d+'\s*\+\s*(\d+)'?")


def added_time_seconds(display: object) -> float:
    """Seconds played in stoppage time from a soccer displayClock: "90'+8'" → 480, "67'" → 0.

    ESPN's `status.clock` stops at 2700 / 5400 during added time (recorded EPL fixture: clock 5400
    at "90'+8'"), so the display is the only place the added minutes appear.
    """
    match = _SOCCER_ADDED.match(str(display or "")[:32])
    return float(match.group(1)) * 60 if match else 0.0


def parse_display_clock(text: str, counts_up: bool = False) -> float:
    """Seconds from "1:38" (98), "0.0" (0), "9.4", or a soccer minute "67'" / "90'+8'" (minutes
    elapsed before added time, ×60). Raises ParseError("bad_clock"), also past 32 characters."""
    if len(text) > 32:
        raise ParseError("bad_clock", f"displayClock has {len(text)} characters")
    if counts_up:
        match = _SOCCER_MIN.match(text)
        if match:
            return float(match.group(1)) * 60
    match = _MIN_SEC.match(text)
    if match:
        return int(match.group(1)) * 60 + float(match.group(2))
    try:
        return to_float(text, "displayClock")
    except ParseError:
        raise ParseError("bad_clock", f"displayClock={text!r}") from None


def _clock_value(status: dict, rules: ClockRules) -> float:
    raw = status.get("clock")
    if raw is not None:
        value = to_float(raw, "status.clock")
        if value > MAX_CLOCK_S:
            raise ParseError("bad_clock", f"status.clock={value:.6g} > {MAX_CLOCK_S}")
        return max(0.0, value)
    display = status.get("displayClock")
    return parse_display_clock(str(display), rules.counts_up) if display else 0.0


def game_clock(status: dict, game_status: GameStatus, rules: ClockRules) -> tuple[int, float, float]:
    """(period, clock_s left in the period, seconds_remaining_regulation) for one status object.

    Count-down sports: remaining = (periods − period) × period_s + clock, 0 in overtime.
    Soccer (count-up, `status.clock` = seconds elapsed, 5400 at "90'+8'"): remaining =
    90 min − elapsed, period clock = period × 45 min − elapsed, floored at 0.
    """
    if game_status is GameStatus.FINAL:
        return to_int(status.get("period") or 0, "status.period", 0, MAX_PERIOD), 0.0, 0.0
    if game_status is not GameStatus.LIVE:
        return 0, 0.0, rules.regulation_s
    period = to_int(need(status, "period", "status"), "status.period", 0, MAX_PERIOD)
    if rules.period_s == 0:  # baseball: innings, no clock
        return period, 0.0, 0.0
    value = _clock_value(status, rules)
    if rules.counts_up:
        remaining = max(0.0, rules.regulation_s - value)
        period_left = max(0.0, min(period, rules.periods) * rules.period_s - value)
        return period, period_left if period <= rules.periods else 0.0, remaining
    clock = min(value, rules.period_s)
    if period > rules.periods:
        return period, clock, 0.0
    remaining = (rules.periods - max(period, 1)) * rules.period_s + clock
    return period, clock, remaining
