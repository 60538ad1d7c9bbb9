"""Is an ESPN game state older than the one already accepted for that game? (pure, no I/O)

ESPN's scoreboard is served from caches and replicas (unofficial API, see parse.py), so a poll can
return a state that lags one already taken: the score, period or clock going backwards. Taking it
would make the engine price (and trade) on a past game. The rule, `stale_reason(accepted, new)`:

- A lagging replica is behind in EVERY respect, so a state is newer as soon as any one of these
  moved forward: a team's score went up, the status advanced (scheduled → live → final), or the
  game clock advanced (a later period; within a period a lower clock, or more soccer added time;
  in baseball a later half-inning or more outs).
- It is older when any of them went backwards and none moved forward. Older states are refused,
  counted `espn:stale_state`.
- The status never goes back (final → live, live → scheduled) whatever else changed: a game the
  engine settled must not trade again. POSTPONED and CANCELED are never refused, in either
  direction: the status itself is the news (trading stops), and ESPN may zero a suspended game's
  score.

Corrections, chosen conservatively: ESPN occasionally corrects a score DOWN (a basket overturned
on review). A lower score is taken only together with something that moved forward: the clock
(play has resumed after the review) or the other team's score (points re-assigned); a lone
downward change while the clock stands still is refused until play resumes. A referee putting time
back on the clock with the score unchanged is refused until the clock passes the accepted point
again (the accepted state stands meanwhile; nothing in it is wrong by more than those seconds). A
score corrected after FINAL is never taken: the first FINAL settled the game, and the venues'
own resolutions settle our positions. A clock of 0 is often "unknown" (between periods, no clock
in the payload), so it is no evidence either way against a non-zero clock. ESPN sends no per-game
timestamp, so our own receive time (`observed_at`) is not compared: a wall-clock step would
refuse good states.
"""

from __future__ import annotations

from ...model import GameState, GameStatus, Sport

_RANK = {GameStatus.SCHEDULED: 0, GameStatus.LIVE: 1, GameStatus.FINAL: 2}
_HALF = {"top": 0, "bottom": 1}


def _sign(difference: float) -> int:
    return (difference > 0) - (difference < 0)


def _clock_moved(old: GameState, new: GameState) -> int:
    """+1 when the game clock of `new` is later than `old`'s, −1 when earlier, 0 when the same or
    not comparable (see the module docstring)."""
    if new.period != old.period:
        return _sign(new.period - old.period)
    if new.sport is Sport.BASEBALL:
        if old.inning_half is None or new.inning_half is None:
            return 0
        if new.inning_half != old.inning_half:
            return _sign(_HALF[new.inning_half] - _HALF[old.inning_half])
        return _sign((new.outs or 0) - (old.outs or 0))
    if old.clock_s > 0 and new.clock_s > 0:
        return _sign(old.clock_s - new.clock_s)  # clocks count down (soccer's period clock too)
    if old.clock_s == 0 and new.clock_s == 0:
        return _sign(new.added_time_s - old.added_time_s)
    return 0


def stale_reason(accepted: GameState, new: GameState) -> str | None:
    """Why `new` is older than `accepted` (the last state taken for the same game), or None when it
    may be taken. Rule and its reasons in the module docstring."""
    old_rank, new_rank = _RANK.get(accepted.status), _RANK.get(new.status)
    if old_rank is None or new_rank is None:
        return None  # postponed / canceled on either side: always news
    if new_rank < old_rank:
        return f"status went back {accepted.status.value} → {new.status.value}"
    scores = (_sign(new.home_score - accepted.home_score), _sign(new.away_score - accepted.away_score))
    clock = _clock_moved(accepted, new) if new_rank == old_rank else 1
    if new_rank > old_rank or 1 in scores or clock > 0:
        return None  # something moved forward: a lagging replica cannot have sent it
    if -1 in scores:
        return f"score went down {_score(accepted)} → {_score(new)}"
    if clock < 0:
        return f"clock went back {_clock(accepted)} → {_clock(new)}"
    return None


def _score(state: GameState) -> str:
    return f"{state.home_score}-{state.away_score}"


def _clock(state: GameState) -> str:
    if state.sport is Sport.BASEBALL:
        return f"inning {state.period} {state.inning_half or '?'} {state.outs if state.outs is not None else '?'} out"
    return f"period {state.period} {state.clock_s:g}s +{state.added_time_s:g}s"
