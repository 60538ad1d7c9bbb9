"""Baseball win expectancy from a runs-per-half-inning distribution (inning, half, outs, score).

Source: Lindsey, G. R. (1961) "The progress of the score during a baseball game", JASA 56(295),
which models the runs of each half-inning as independent draws from one empirical distribution
and gets win probability by convolving the innings left. The distribution below is the modern MLB
frequency of runs per half-inning (Tango, Lichtman & Dolphin 2007, "The Book", run frequency
tables); the rest-of-inning chance of no run with 1 or 2 outs (bases empty) is from the same tables.
A tie after nine goes to extra innings, each side equally likely to win them (neutral model).
The home edge or a pre-game prior enters as a logit shift that fades with √(share of game left),
counted in half-innings (constant within one, so an out never helps the batting side).

State mapping: `period` = inning (1-based); `inning_half` = "top"/"bottom"; `outs` = 0..2
(unknown: 0). A live game whose half-inning the feed did not give (a delay, an unreadable status)
raises PricingError rather than guessing. Base runners are not used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from arbees_engine.model import GameState, Sport

from .base import PricingError, clip_p, final_result, logit, sigmoid, validate_state

RUNS_PER_HALF_INNING = (0.727, 0.145, 0.068, 0.033, 0.015, 0.007, 0.003, 0.002)  # 0..7 runs
NO_RUN_REST_OF_INNING = (0.727, 0.83, 0.93)  # by outs, bases empty
HOME_PRIOR = 0.54  # MLB home win rate, long-run
INNINGS = 9


def _conv(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, ...]:
    out = [0.0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] += x * y
    return tuple(out[:40])


def _partial(outs: int) -> tuple[float, ...]:
    """Runs still to score in a half-inning already at `outs` outs."""
    zero = NO_RUN_REST_OF_INNING[outs]
    scale = (1.0 - zero) / (1.0 - RUNS_PER_HALF_INNING[0])
    return (zero,) + tuple(p * scale for p in RUNS_PER_HALF_INNING[1:])


@lru_cache(maxsize=1024)
def _runs(full_innings: int, partial_outs: int | None) -> tuple[float, ...]:
    """Distribution of one side's remaining runs: `full_innings` half-innings plus an optional partial one."""
    dist: tuple[float, ...] = (1.0,) if partial_outs is None else _partial(partial_outs)
    for _ in range(full_innings):
        dist = _conv(dist, RUNS_PER_HALF_INNING)
    return dist


@lru_cache(maxsize=4096)
def _p_neutral(lead: int, away: tuple[int, int | None], home: tuple[int, int | None]) -> float:
    """P(home wins) from `lead` given each side's remaining (full innings, partial outs)."""
    pa, ph = _runs(*away), _runs(*home)
    win = tie = 0.0
    for i, x in enumerate(ph):
        for j, y in enumerate(pa):
            final = lead + i - j
            if final > 0:
                win += x * y
            elif final == 0:
                tie += x * y
    return win + 0.5 * tie


def _half_and_outs(state: GameState) -> tuple[str, int]:
    """("top"/"bottom", outs) of a started game. Raises PricingError when the half is unknown."""
    if state.period == 0:
        return "top", 0
    if state.inning_half not in ("top", "bottom"):
        raise PricingError(f"{state.game_id}: half-inning unknown; not priced")
    outs = state.outs or 0
    if not 0 <= outs <= 2:
        raise PricingError(f"{state.game_id}: outs {outs} out of range")
    return state.inning_half, outs


def remaining_share(state: GameState, count_outs: bool = True) -> float:
    """Share of the nine innings' outs still to be made, 0..1 (1 before the first pitch); extra
    innings count as the last half-inning. count_outs=False: as at the start of the current
    half-inning. Raises PricingError when the half is unknown."""
    if state.period == 0:
        return 1.0
    half, outs = _half_and_outs(state)
    outs = outs if count_outs else 0
    after = max(0, INNINGS - max(1, state.period))
    halves_after = 2 * after + (1 if half == "top" else 0)
    return min(1.0, (halves_after + (3 - outs) / 3) / (2 * INNINGS))


@dataclass(frozen=True, slots=True)
class RunsModel:
    """Lindsey-style win expectancy; p_home(state) → P(home wins) in [1e-4, 1 − 1e-4]. Raises PricingError."""

    home_prior: float = HOME_PRIOR
    sport: Sport = Sport.BASEBALL

    def p_home(self, state: GameState) -> float:
        """P(home wins) for `state` (see module docstring)."""
        validate_state(state, self.sport)
        settled = final_result(state)
        if settled is not None:
            return settled
        half, outs = _half_and_outs(state)
        inning = max(1, state.period)
        after = max(0, INNINGS - inning)
        # The strength shift fades by half-innings, not by outs: fading it with each out would
        # let an out help the batting side (a weak home team's handicap shrinking as it makes outs).
        left = remaining_share(state, count_outs=False)
        away: tuple[int, int | None]
        home: tuple[int, int | None]
        if state.period == 0:
            away, home = (INNINGS, None), (INNINGS, None)
        elif half == "top":
            away, home = (after, outs), (after + 1, None)
        else:
            away, home = (after, None), (after, outs)
        if half == "bottom" and inning >= INNINGS and state.lead > 0:
            return clip_p(1.0)  # walk-off: the game is over
        p0 = _p_neutral(state.lead, away, home)
        prior = state.pregame_home_prob
        if prior is None:
            prior = 0.5 if state.neutral_site else self.home_prior
        shift = logit(prior) * math.sqrt(min(1.0, left))
        return clip_p(sigmoid(logit(clip_p(p0)) + shift))
