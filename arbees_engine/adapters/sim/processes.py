"""Score processes of the four simulated sports, and each one's true result probabilities.

Every process advances one second of live play at a time (`advance`) with the game's own
`random.Random`, and knows its TRUE rates, so `true_probs` is the exact (Poisson sports) or
Stern-normal (possession sports) probability of (home win, draw, away win). See `truth.py`.
Rates are per second of game clock; strengths are drawn once per game from its seed.
"""

from __future__ import annotations

import random
from typing import Protocol

from .phase import Phase, PlayingGame
from .truth import logistic, normal_win_prob, skellam_result_probs, sudden_death_home_prob

NOTHING, CHANGED, SCORED = 0, 1, 2  # `advance` results: nothing visible, possession change, score


class ScoreProcess(Protocol):
    """What `SimGame` needs from a sport."""

    possession: str | None
    yard_line_100: int | None

    def advance(self, game: PlayingGame) -> int:
        """Play one second; return NOTHING, CHANGED or SCORED."""

    def on_period_start(self, game: PlayingGame) -> None:
        """Reset what a new period resets (possession, drive)."""

    def period_length(self, period: int, base_s: int) -> int:
        """Length of `period` in seconds (soccer adds stoppage time)."""

    def shootout_home_wins(self) -> bool:
        """Decide a shootout (hockey only)."""

    def feed_clock(self, game: PlayingGame) -> tuple[float, float]:
        """(seconds_remaining_regulation, added_time_s) as a real feed would report them."""

    def true_probs(self, game: PlayingGame) -> tuple[float, float, float]:
        """(P(home wins), P(draw), P(away wins)) given everything public right now."""


class _Base:
    possession: str | None = None
    yard_line_100: int | None = None

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def on_period_start(self, game: PlayingGame) -> None:
        """Nothing to reset by default."""
        return None

    def period_length(self, period: int, base_s: int) -> int:
        """Periods last their nominal length by default (seconds)."""
        return base_s

    def feed_clock(self, game: PlayingGame) -> tuple[float, float]:
        """The sim's own regulation clock, no added time (every sport but soccer)."""
        return float(game.regulation_left_s()), 0.0

    def shootout_home_wins(self) -> bool:
        """A coin flip by default."""
        return self.rng.random() < 0.5


class Basketball(_Base):
    """Possessions alternate, each lasting 4–24.8 s (mean 14.4 s ≈ 100 per team per 48 min) and
    scoring 0/1/2/3 points with probabilities ≈ .48/.05/.33/.14 (≈1.13 points per possession).
    The home edge in points per game (home court 2.5 + N(0, 5) gap) shifts 2-point makes."""

    MEAN_POSSESSION_S = 14.4

    def __init__(self, rng: random.Random) -> None:
        super().__init__(rng)
        self.margin = 2.5 + rng.gauss(0.0, 5.0)  # expected home margin over a full game
        shift = self.margin / 200.0  # points per possession, half to each side
        self.dist = {"home": self._dist(+shift), "away": self._dist(-shift)}
        self.moments = {k: self._moments(d) for k, d in self.dist.items()}
        self.poss_left = 0.0

    @staticmethod
    def _dist(shift: float) -> tuple[float, float, float, float]:
        p1, p3 = 0.05, 0.14
        p2 = 0.33 + shift / 2.0
        return (1.0 - p1 - p2 - p3, p1, p2, p3)

    @staticmethod
    def _moments(dist: tuple[float, ...]) -> tuple[float, float]:
        mean = sum(k * p for k, p in enumerate(dist))
        return mean, sum(k * k * p for k, p in enumerate(dist)) - mean * mean

    def _new_possession(self) -> None:
        self.poss_left = 4.0 + self.rng.random() * 20.8

    def on_period_start(self, game: PlayingGame) -> None:
        """Jump ball in period 1, then possession alternates by period."""
        if game.period == 1:
            self.possession = "home" if self.rng.random() < 0.5 else "away"
        else:
            self.possession = "away" if self.possession == "home" else "home"
        self._new_possession()

    def advance(self, game: PlayingGame) -> int:
        """One second; at a possession's end score it and hand the ball over."""
        self.poss_left -= 1.0
        if self.poss_left > 0:
            return NOTHING
        side = self.possession or "home"
        points = self.rng.choices((0, 1, 2, 3), weights=self.dist[side])[0]
        game.add_points(side, points)
        self.possession = "away" if side == "home" else "home"
        self._new_possession()
        return SCORED if points else CHANGED

    def true_probs(self, game: PlayingGame) -> tuple[float, float, float]:
        """Stern normal approximation with this game's own per-possession mean and variance."""
        t = game.horizon_s()
        n = t / (2.0 * self.MEAN_POSSESSION_S)  # possessions left per team
        (mh, vh), (ma, va) = self.moments["home"], self.moments["away"]
        mean, var = n * (mh - ma), n * (vh + va)
        if t > 0 and self.possession is not None:  # the ball is worth about half a possession
            mean += 0.5 * (mh if self.possession == "home" else -ma)
            var += 0.5 * (vh if self.possession == "home" else va)
        p = normal_win_prob(game.lead, mean, var)
        return p, 0.0, 1.0 - p


class Football(_Base):
    """Drives of 60–270 s (mean 165 s ≈ 11 per team per 60 min) ending in a TD (7, p≈.235),
    FG (3, p=.15) or nothing (punt/turnover); possession alternates. Home edge: 1.5 + N(0, 5.5)
    points per game, moved into the TD rate. Overtime: 10 min sudden death, then a tie."""

    MEAN_DRIVE_S = 165.0
    P_FG = 0.15

    def __init__(self, rng: random.Random) -> None:
        super().__init__(rng)
        self.margin = 1.5 + rng.gauss(0.0, 5.5)
        shift = self.margin / 154.0  # TD probability per drive, half the margin to each side
        self.p_td = {"home": min(0.45, max(0.05, 0.235 + shift)), "away": min(0.45, max(0.05, 0.235 - shift))}
        self.drive_left = self.drive_len = 0
        self.drive_points, self.start_yl, self.end_yl = 0, 75, 75

    def _moments(self, side: str) -> tuple[float, float]:
        pt = self.p_td[side]
        mean = 7 * pt + 3 * self.P_FG
        return mean, 49 * pt + 9 * self.P_FG - mean * mean

    def _new_drive(self, side: str) -> None:
        self.possession = side
        self.drive_len = self.drive_left = self.rng.randint(60, 270)
        u = self.rng.random()
        if u < self.p_td[side]:
            self.drive_points, self.end_yl = 7, 0
        elif u < self.p_td[side] + self.P_FG:
            self.drive_points, self.end_yl = 3, self.rng.randint(8, 30)
        else:
            self.drive_points, self.end_yl = 0, self.rng.randint(25, 70)
        self.start_yl = self.rng.randint(60, 80)
        self.yard_line_100 = self.start_yl

    def on_period_start(self, game: PlayingGame) -> None:
        """Kick-offs at the start, in overtime and after half-time; other drives carry over."""
        if game.period == 1 or game.in_ot:
            self._new_drive("home" if self.rng.random() < 0.5 else "away")
        elif game.period == 3:  # second-half kickoff goes to the other team
            self._new_drive("away" if self.possession == "home" else "home")

    def advance(self, game: PlayingGame) -> int:
        """One second of the current drive; at its end score it and turn the ball over."""
        self.drive_left -= 1
        if self.drive_left > 0:
            done = 1.0 - self.drive_left / self.drive_len
            self.yard_line_100 = round(self.start_yl + (self.end_yl - self.start_yl) * done)
            return NOTHING
        side = self.possession or "home"
        game.add_points(side, self.drive_points)
        scored = self.drive_points > 0
        self._new_drive("away" if side == "home" else "home")
        return SCORED if scored else CHANGED

    def true_probs(self, game: PlayingGame) -> tuple[float, float, float]:
        """Stern normal approximation over the drives left; sudden death (ties possible) in OT."""
        (mh, vh), (ma, va) = self._moments("home"), self._moments("away")
        if game.in_ot or (game.regulation_left_s() == 0 and game.lead == 0):
            rate_h = (self.p_td["home"] + self.P_FG) / (2 * self.MEAN_DRIVE_S)
            rate_a = (self.p_td["away"] + self.P_FG) / (2 * self.MEAN_DRIVE_S)
            t = game.horizon_s()
            p_home = sudden_death_home_prob(rate_h, rate_a, t, 0.0)
            p_away = sudden_death_home_prob(rate_a, rate_h, t, 0.0)
            return p_home, max(0.0, 1.0 - p_home - p_away), p_away
        k = game.regulation_left_s() / self.MEAN_DRIVE_S / 2.0  # drives left per team
        nh = k + (0.5 if self.possession == "home" else 0.0)
        na = k + (0.5 if self.possession == "away" else 0.0)
        p = normal_win_prob(game.lead, nh * mh - na * ma, nh * vh + na * va)
        return p, 0.0, 1.0 - p


class _Poisson(_Base):
    """Independent Poisson goals at per-second rates; `gap` is the log ratio of home/away rates."""

    def __init__(self, rng: random.Random, per_team_per_game: float, game_s: float, gap: float) -> None:
        super().__init__(rng)
        self.gap = gap
        base = per_team_per_game / game_s
        self.rate_home = base * 2.718281828459045 ** (gap / 2)
        self.rate_away = base * 2.718281828459045 ** (-gap / 2)
        self.ot_boost = 1.0

    def advance(self, game: PlayingGame) -> int:
        """One second: a home goal, an away goal or nothing (one uniform draw)."""
        u = self.rng.random()
        boost = self.ot_boost if game.in_ot else 1.0
        if u < self.rate_home * boost:
            game.add_points("home", 1)
            return SCORED
        if u < (self.rate_home + self.rate_away) * boost:
            game.add_points("away", 1)
            return SCORED
        return NOTHING


class Hockey(_Poisson):
    """≈3.0 goals per team per 60 min; gap = 0.08 + N(0, 0.2). OT: 5 min 3-on-3 sudden death at
    1.8× the even-strength rate (≈60% of OTs end before a shootout, as in the NHL), then a
    shootout won by home with probability logistic(gap/2)."""

    OT_S = 300

    def __init__(self, rng: random.Random) -> None:
        super().__init__(rng, 3.0, 3600.0, 0.08 + rng.gauss(0.0, 0.2))
        self.ot_boost = 1.8
        self.p_shootout = logistic(self.gap / 2)

    def shootout_home_wins(self) -> bool:
        """Home wins the shootout with probability logistic(gap / 2)."""
        return self.rng.random() < self.p_shootout

    def true_probs(self, game: PlayingGame) -> tuple[float, float, float]:
        """Skellam over regulation left, then sudden-death OT and the shootout."""
        rh, ra = self.rate_home * self.ot_boost, self.rate_away * self.ot_boost
        if game.in_ot:
            p = sudden_death_home_prob(rh, ra, game.clock_s, self.p_shootout)
            return p, 0.0, 1.0 - p
        t = game.regulation_left_s()
        win, tie, _ = skellam_result_probs(game.lead, self.rate_home * t, self.rate_away * t)
        p = win + tie * sudden_death_home_prob(rh, ra, self.OT_S, self.p_shootout)
        return p, 0.0, 1.0 - p


class Soccer(_Poisson):
    """≈1.3 goals per team per match (added time included); gap = 0.25 + N(0, 0.35).
    Added time is drawn per half (2–6 min, 4–11 min: about the 2023/24 Premier League's 11:42 per
    match) and counted in the half's clock; the feed reports it the way ESPN does (`feed_clock`)."""

    def __init__(self, rng: random.Random) -> None:
        gap = 0.25 + rng.gauss(0.0, 0.35)
        self.added = {1: rng.randint(120, 360), 2: rng.randint(240, 660)}
        super().__init__(rng, 1.3, 5400.0 + self.added[1] + self.added[2], gap)

    def feed_clock(self, game: PlayingGame) -> tuple[float, float]:
        """(regulation seconds left without added time, seconds played in this half's added time):
        the clock stops at 45:00 / 90:00 and "90'+N'" shows the added minutes."""
        base, periods = game.spec.period_s, game.spec.periods
        if game.phase is Phase.SCHEDULED:
            return float(base * periods), 0.0
        if game.phase is not Phase.PLAY or game.period > periods:
            return float(base * max(0, periods - game.period)), 0.0
        added = self.added.get(game.period, 0)
        in_half = max(0, game.clock_s - added)
        into_added = float(added - game.clock_s) if game.clock_s < added else 0.0
        return float(in_half + base * (periods - game.period)), into_added

    def period_length(self, period: int, base_s: int) -> int:
        """45 minutes plus this half's stoppage time."""
        return base_s + self.added.get(period, 0)

    def true_probs(self, game: PlayingGame) -> tuple[float, float, float]:
        """Skellam over the time left, stoppage included; a draw is its own result."""
        t = game.regulation_left_s()
        return skellam_result_probs(game.lead, self.rate_home * t, self.rate_away * t)
