"""`SimWorld`: the built-in simulated venue and game feed, so the engine trades with no network.

A slate of `n_games` concurrent games (NBA, NFL, NHL, EPL by default) is played second by
second of sim time; each game has markets on two simulated venues (Kalshi- and Polymarket-like)
whose makers quote a lagged, noisy view of the game's TRUE win probability (`processes.py`,
`maker.py`). Some games start late in their game so a short run settles one within minutes;
every finished game is replaced by a new one, so a long run always has live games.

Everything follows from `seed`: each game and each maker draws from its own `random.Random`
seeded from the world's, and time only moves in whole sim seconds, so wall-clock pacing
(`speed`) never changes the event sequence. Only `consume()` (liquidity the engine took)
alters later book snapshots of that market, by design.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import deque
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import structlog

from ...model import BookUpdate, GameState, League, Market, Side, Venue
from ..base import Sink
from .clock import SimClock, default_start
from .game import SimGame
from .maker import MarketMaker
from .phase import SPECS
from .teams import supported_leagues, team_pool
from .venues import OUTCOME_INDEX, PROFILES, make_market, outcomes_for

log = structlog.get_logger(__name__)

SimEvent = GameState | Market | BookUpdate
DEFAULT_LEAGUES = (League.NBA, League.NFL, League.NHL, League.EPL)
#: Share of each initial game already played (None: starts within the next minutes).
_SLATE_PROGRESS = (0.9, 0.8, 0.55, 0.3, 0.1, None, 0.65, None)
_MAX_LAG_S = max(p.lag_s[1] for p in PROFILES.values())


class SimWorld:
    """The simulated world; implements the `Adapter` protocol (`name = "sim"`).

    seed: everything is a function of it. speed: sim seconds per wall second (None or inf = as
    fast as possible). n_games: concurrent games (≥ 1). sports: leagues to play (League or its
    value, e.g. "nba"). start: sim start time (aware UTC); default derived from the seed.
    session: alphanumeric tag put in every game and market id ("sim:nba:<session>3") so that
    ids of two runs sharing one database never collide; "" (default) keeps ids seed-only.
    Raises ValueError for n_games < 1, speed ≤ 0 or NaN, an unknown or empty sports list.
    """

    name = "sim"

    def __init__(
        self,
        seed: int = 1,
        speed: float | None = 1.0,
        n_games: int = 8,
        sports: Iterable[League | str] = DEFAULT_LEAGUES,
        start: datetime | None = None,
        session: str = "",
    ) -> None:
        if n_games < 1:
            raise ValueError(f"n_games must be ≥ 1, got {n_games}")
        if speed is not None and not (speed > 0):
            raise ValueError(f"speed must be > 0 or None, got {speed}")
        leagues = tuple(League(s) for s in sports)
        unknown = [lg for lg in leagues if lg not in supported_leagues()]
        if not leagues or unknown:
            raise ValueError(f"sports must be a non-empty subset of {[lg.value for lg in supported_leagues()]}")
        if session and not session.isalnum():
            raise ValueError(f"session must be alphanumeric, got {session!r}")
        self.seed, self.speed, self.n_games, self.leagues, self.session = seed, speed, n_games, leagues, session
        self.clock = SimClock(start or default_start(seed))
        self.sink_errors = 0
        self._rng = random.Random(seed)
        self._games: dict[str, SimGame] = {}
        self._active: list[SimGame] = []
        self._history: dict[str, deque[tuple[float, float, float]]] = {}
        self._makers: dict[str, MarketMaker] = {}
        self._game_makers: dict[str, list[MarketMaker]] = {}
        self._last_state_s: dict[str, int] = {}
        self._new: list[SimGame] = []
        self._count = 0
        for i in range(n_games):
            progress = _SLATE_PROGRESS[i % len(_SLATE_PROGRESS)]
            league = leagues[i % len(leagues)]
            if progress is None:
                self._add_game(league, start_s=self._rng.randint(60, 600) * (1 + i // len(_SLATE_PROGRESS)))
            else:
                jitter = self._rng.uniform(-0.03, 0.03)  # the slate differs by seed, not only the scores
                self._add_game(league, start_s=-int((progress + jitter) * _game_length_s(league)))

    # ---- public API -------------------------------------------------------------------------

    def true_home_prob(self, game_id: str) -> float:
        """TRUE P(home wins) of `game_id` now (0..1; 1.0/0.0 once FINAL). Raises KeyError."""
        return self._game(game_id).true_probs()[0]

    def true_probs(self, game_id: str) -> tuple[float, float, float]:
        """TRUE (P(home wins), P(draw), P(away wins)) of `game_id` now. Raises KeyError."""
        return self._game(game_id).true_probs()

    def market(self, market_id: str) -> Market:
        """The simulated market `market_id` (still quoted). Raises KeyError."""
        return self._maker(market_id).market

    def quote_lag_s(self, market_id: str) -> int:
        """Seconds of sim time by which `market_id`'s maker lags the truth. Raises KeyError."""
        return self._maker(market_id).lag_s

    def quoted_market_ids(self) -> list[str]:
        """Ids of markets still quoted (their game is not yet FINAL)."""
        return list(self._makers)

    def live_game_ids(self) -> list[str]:
        """Ids of games neither scheduled nor final."""
        return [g.game_id for g in self._active if g.phase.value in ("play", "break")]

    def consume(self, market_id: str, side: Side, price: Decimal, contracts: int | Decimal) -> int:
        """Remove liquidity a taker took: bought up to `contracts` of `side` at ≤ `price` dollars.

        For the engine's paper broker, so its fills use up the sim maker's size (shown in the
        next step's snapshot; full size returns after the venue's `refill_s`). `contracts` is a
        whole count (sim markets trade whole contracts, step 1), as an int or a whole Decimal.
        Returns contracts removed. Raises KeyError for an unknown or settled market, ValueError
        for bad arguments.
        """
        if isinstance(contracts, Decimal) and contracts.is_finite() and contracts == contracts.to_integral_value():
            contracts = int(contracts)
        if isinstance(contracts, bool) or not isinstance(contracts, int) or contracts < 0:
            raise ValueError(f"contracts must be a non-negative whole number, got {contracts!r}")
        if not isinstance(price, Decimal) or not price.is_finite() or not (0 <= price <= 1):
            raise ValueError(f"price must be a Decimal in [0, 1], got {price!r}")
        return self._maker(market_id).consume(Side(side), price, contracts, self.clock.elapsed_s)

    def step(self) -> list[SimEvent]:
        """Advance one second of sim time; return what happened, in order.

        Order: game states, then any new markets (always before their first book), then books.
        """
        self.clock.advance(1)
        now_s, at = self.clock.elapsed_s, self.clock.now()
        events: list[SimEvent] = []
        for game in list(self._active):
            changed = game.tick(now_s)
            self._history[game.game_id].append(game.true_probs())
            if changed or now_s - self._last_state_s[game.game_id] >= 2 or game in self._new:
                events.append(self._state(game, now_s))
            if game.is_final:
                self._finish(game, events, at)
        for game in self._new:
            events.extend(m.market for m in self._game_makers[game.game_id])
        self._new.clear()
        for maker in self._makers.values():
            if maker.due(now_s):
                history = self._history[maker.market.game_id]
                lagged = history[max(0, len(history) - 1 - maker.lag_s)][maker.outcome_index]
                update = maker.quote(now_s, lagged, at)
                if update is not None:
                    events.append(update)
        return events

    async def run(self, sink: Sink) -> None:
        """Step forever, pushing events into `sink`, paced at `speed` sim seconds per wall second."""
        loop = asyncio.get_running_loop()
        interval = None if self.speed is None or math.isinf(self.speed) else 1.0 / self.speed
        next_at = loop.time()
        log.info("sim.start", seed=self.seed, speed=self.speed, games=self.n_games, start=self.clock.now().isoformat())
        while True:
            for event in self.step():
                self._dispatch(sink, event)
            if interval is None:
                await asyncio.sleep(0)
                continue
            next_at = max(next_at + interval, loop.time() - 1.0)  # never burst after a stall
            await asyncio.sleep(max(0.0, next_at - loop.time()))

    # ---- internals --------------------------------------------------------------------------

    def _dispatch(self, sink: Sink, event: SimEvent) -> None:
        try:
            if isinstance(event, BookUpdate):
                sink.on_book(event)
            elif isinstance(event, GameState):
                sink.on_game_state(event)
            else:
                sink.on_market(event)
        except Exception:  # the sink's bug must not stop the world; count it and go on
            self.sink_errors += 1
            if self.sink_errors & (self.sink_errors - 1) == 0:  # log the 1st, 2nd, 4th, 8th...
                log.exception("sim.sink_error", event_type=type(event).__name__, count=self.sink_errors)

    def _game(self, game_id: str) -> SimGame:
        try:
            return self._games[game_id]
        except KeyError:
            raise KeyError(f"unknown sim game {game_id!r}") from None

    def _maker(self, market_id: str) -> MarketMaker:
        try:
            return self._makers[market_id]
        except KeyError:
            raise KeyError(f"unknown or settled sim market {market_id!r}") from None

    def _state(self, game: SimGame, now_s: int) -> GameState:
        self._last_state_s[game.game_id] = now_s
        return game.state(self.clock.now(), self.clock.at(game.start_s))

    def _add_game(self, league: League, start_s: int) -> SimGame:
        self._count += 1
        busy = {t.abbr for g in self._active if g.spec.league is league for t in (g.home, g.away)}
        pool = [t for t in team_pool(league) if t.abbr not in busy]
        if len(pool) < 2:  # more concurrent games than free teams: let a team play twice
            pool = list(team_pool(league))
        home, away = self._rng.sample(pool, 2)
        game = SimGame(
            f"sim:{league.value}:{self.session}{self._count}", league, home, away, start_s, self._rng.getrandbits(64)
        )
        for s in range(start_s, self.clock.elapsed_s + 1):  # fast-forward a game already under way
            game.tick(s)
        self._games[game.game_id] = game
        self._active.append(game)
        self._new.append(game)
        self._history[game.game_id] = deque([game.true_probs()] * (_MAX_LAG_S + 1), maxlen=_MAX_LAG_S + 2)
        self._last_state_s[game.game_id] = self.clock.elapsed_s
        makers = []
        for venue in (Venue.KALSHI, Venue.POLYMARKET):
            for outcome in outcomes_for(game):
                maker = MarketMaker(
                    make_market(game, venue, outcome),
                    OUTCOME_INDEX[outcome],
                    PROFILES[venue],
                    random.Random(self._rng.getrandbits(64)),
                    self.clock.elapsed_s,
                )
                maker.dirty = True  # quote at once
                makers.append(maker)
                self._makers[maker.market.market_id] = maker
        self._game_makers[game.game_id] = makers
        return game

    def _finish(self, game: SimGame, events: list[SimEvent], at: datetime) -> None:
        """Settle `game`: pull its quotes, drop it from the slate, schedule a replacement."""
        self._active.remove(game)
        for maker in self._game_makers.pop(game.game_id):
            events.append(maker.settle(at))
            del self._makers[maker.market.market_id]
        del self._history[game.game_id]
        replacement = self._add_game(game.spec.league, self.clock.elapsed_s + self._rng.randint(120, 480))
        events.append(self._state(replacement, self.clock.elapsed_s))


def _game_length_s(league: League) -> int:
    """Regulation clock plus breaks, in sim seconds."""
    spec = SPECS[league]
    breaks = (spec.periods - 2) * spec.break_s + spec.halftime_s if spec.periods > 1 else 0
    return spec.regulation_s + max(0, breaks)
