"""One simulated game: its timeline (periods, breaks, overtime, shootout) and its GameState.

A game advances one second of sim time per `tick`; during play the sport's score process
(`processes.py`) runs one second of game clock. Breaks between periods are shortened so a
slate turns over quickly (see `SPECS`).
"""

from __future__ import annotations

import random
from datetime import datetime

from ...model import GameState, GameStatus, League, Sport, Team
from .phase import SPECS, OvertimeRule, Phase
from .processes import NOTHING, SCORED, Basketball, Football, Hockey, ScoreProcess, Soccer
from .truth import clamp_prob, logistic, logit

_PROCESSES = {Sport.BASKETBALL: Basketball, Sport.FOOTBALL: Football, Sport.HOCKEY: Hockey, Sport.SOCCER: Soccer}


class SimGame:
    """A simulated game. `start_s` is the sim second at which play begins (may be negative for
    a game already under way when the world starts; `SimWorld` fast-forwards it)."""

    def __init__(self, game_id: str, league: League, home: Team, away: Team, start_s: int, seed: int) -> None:
        self.game_id, self.home, self.away, self.start_s = game_id, home, away, start_s
        self.spec = SPECS[league]
        self.rng = random.Random(seed)
        self.process: ScoreProcess = _PROCESSES[self.spec.sport](self.rng)
        self.phase = Phase.SCHEDULED
        self.home_score = self.away_score = 0
        self.period = 0
        self.clock_s = 0
        self.break_left = 0
        self.in_ot = False
        self.shootout = False
        true_pregame = self.process.true_probs(self)[0]
        # what a feed's pregame predictor would say: the truth, blurred
        self.pregame_home_prob = clamp_prob(logistic(logit(clamp_prob(true_pregame)) + self.rng.gauss(0.0, 0.25)))

    @property
    def lead(self) -> int:
        """Home score minus away score."""
        return self.home_score - self.away_score

    @property
    def is_final(self) -> bool:
        """True once the game has ended."""
        return self.phase is Phase.FINAL

    def add_points(self, side: str, points: int) -> None:
        """Credit `points` to "home" or "away" (called by the score process)."""
        if side == "home":
            self.home_score += points
        else:
            self.away_score += points

    def regulation_left_s(self) -> int:
        """Seconds of regulation clock still to play, stoppage time included (0 in overtime)."""
        if self.in_ot or self.phase is Phase.FINAL:
            return 0
        current = self.clock_s if self.phase is Phase.PLAY else 0
        if self.phase is Phase.SCHEDULED:
            return sum(self.process.period_length(p, self.spec.period_s) for p in range(1, self.spec.periods + 1))
        future = range(self.period + 1, self.spec.periods + 1)
        return current + sum(self.process.period_length(p, self.spec.period_s) for p in future)

    def horizon_s(self) -> int:
        """Play left that can still change the result: regulation left, the current overtime's
        clock, or one overtime's length when regulation has ended level."""
        if self.phase is Phase.FINAL:
            return 0
        if self.in_ot:
            return self.clock_s if self.phase is Phase.PLAY else self.spec.ot_s
        left = self.regulation_left_s()
        if left == 0 and self.lead == 0:
            return self.spec.ot_s
        return left

    def true_probs(self) -> tuple[float, float, float]:
        """(P(home wins), P(draw), P(away wins)); the settled result once FINAL."""
        if self.phase is Phase.FINAL:
            return (1.0, 0.0, 0.0) if self.lead > 0 else (0.0, 0.0, 1.0) if self.lead < 0 else (0.0, 1.0, 0.0)
        home, draw, away = self.process.true_probs(self)
        return clamp_prob(home), (clamp_prob(draw) if draw > 0 else 0.0), clamp_prob(away)

    def tick(self, now_s: int) -> bool:
        """Advance one second of sim time; True when something a feed would report changed."""
        if self.phase is Phase.SCHEDULED:
            if now_s < self.start_s:
                return False
            self._start_period(1)
            return True
        if self.phase is Phase.BREAK:
            self.break_left -= 1
            if self.break_left <= 0:
                self._start_period(self.period + 1)
                return True
            return False
        if self.phase is Phase.FINAL:
            return False
        result = self.process.advance(self)
        self.clock_s -= 1
        if result == SCORED and self.in_ot and self.spec.ot_rule is not OvertimeRule.REPEAT:
            self.phase = Phase.FINAL  # sudden death
            return True
        if self.clock_s <= 0:
            self._end_period()
            return True
        return result != NOTHING

    def _start_period(self, period: int) -> None:
        self.period = period
        self.in_ot = period > self.spec.periods
        base = self.spec.ot_s if self.in_ot else self.spec.period_s
        self.clock_s = self.process.period_length(period, base)
        self.phase = Phase.PLAY
        self.process.on_period_start(self)

    def _end_period(self) -> None:
        self.clock_s = 0
        if self.period < self.spec.periods:
            halftime = self.spec.periods % 2 == 0 and self.period == self.spec.periods // 2
            self.phase, self.break_left = Phase.BREAK, self.spec.halftime_s if halftime else self.spec.break_s
            return
        rule = self.spec.ot_rule
        if self.lead != 0 or rule is OvertimeRule.NONE or (self.in_ot and rule is OvertimeRule.SUDDEN_DEATH_THEN_TIE):
            self.phase = Phase.FINAL
        elif self.in_ot and rule is OvertimeRule.SUDDEN_DEATH_THEN_SHOOTOUT:
            self.shootout = True
            self.add_points("home" if self.process.shootout_home_wins() else "away", 1)
            self.phase = Phase.FINAL
        else:
            self.phase, self.break_left = Phase.BREAK, self.spec.break_s

    def state(self, observed_at: datetime, start_time: datetime) -> GameState:
        """The game as a feed would report it now (validated)."""
        status = {Phase.SCHEDULED: GameStatus.SCHEDULED, Phase.FINAL: GameStatus.FINAL}.get(self.phase, GameStatus.LIVE)
        live = self.phase in (Phase.PLAY, Phase.BREAK)
        regulation_left, added = self.process.feed_clock(self)
        extra = {"simulated": "1", "phase": self.phase.value}
        if self.shootout:
            extra["shootout"] = "1"
        return GameState(
            game_id=self.game_id,
            sport=self.spec.sport,
            league=self.spec.league,
            home=self.home,
            away=self.away,
            status=status,
            home_score=self.home_score,
            away_score=self.away_score,
            period=self.period,
            clock_s=float(self.clock_s if self.phase is Phase.PLAY else 0),
            seconds_remaining_regulation=regulation_left,
            added_time_s=added,
            regulation_seconds=float(self.spec.regulation_s),
            possession=self.process.possession if live else None,
            yard_line_100=self.process.yard_line_100 if live else None,
            # a simulated drive has no downs: report it as the 1st-and-10 it is modelled as
            down=1 if live and self.process.yard_line_100 is not None else None,
            distance=10 if live and self.process.yard_line_100 is not None else None,
            start_time=start_time,
            observed_at=observed_at,
            pregame_home_prob=self.pregame_home_prob,
            extra=extra,
        ).validate()
