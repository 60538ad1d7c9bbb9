"""A simulated market maker: quotes one market's YES book around a lagged, noisy view of the truth.

Each maker belongs to one venue profile (`VenueProfile`): it re-quotes every `requote_s`
seconds of sim time, looking at the TRUE probability as it was `lag_s` seconds ago, blurred by
AR(1) noise in log-odds space, with a fixed spread and several levels of finite size. So after a
score change the book stays stale for `lag_s` seconds (a real edge), and two venues with
different lags can cross (a real arbitrage). Prices are whole cents in [0.01, 0.99].

`consume` removes liquidity a taker (the engine's paper broker) took; the maker keeps those
levels thinner until `refill_s` seconds later, then shows full size again.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ...model import BookLevel, BookUpdate, BookUpdateKind, Market, Side
from .truth import logistic, logit

_PRICES = [Decimal(c) / 100 for c in range(101)]  # cents → exact dollars
Levels = tuple[tuple[int, int], ...]  # ((price in cents, size in contracts), ...)


@dataclass(frozen=True, slots=True)
class VenueProfile:
    """How one venue's makers behave. Seconds of sim time, cents, contracts, log-odds."""

    lag_s: tuple[int, int]
    spread_cents: tuple[int, int]
    requote_s: int
    noise_sd: float
    size: tuple[int, int]
    levels: tuple[int, int]
    refill_s: int


class MarketMaker:
    """Quotes `market` for outcome index `outcome_index` (0 home, 1 draw, 2 away) of its game."""

    NOISE_RHO = 0.9  # AR(1) persistence per re-quote

    def __init__(
        self, market: Market, outcome_index: int, profile: VenueProfile, rng: random.Random, now_s: int
    ) -> None:
        self.market, self.outcome_index, self.profile, self.rng = market, outcome_index, profile, rng
        self.lag_s = rng.randint(*profile.lag_s)
        self.spread = rng.randint(*profile.spread_cents)
        n_levels = rng.randint(*profile.levels)
        base = rng.randint(*profile.size)
        self.sizes = [int(base * (1 + 0.6 * i) * (0.8 + 0.4 * rng.random())) for i in range(n_levels)]
        self.noise = rng.gauss(0.0, profile.noise_sd)
        self.next_quote_s = now_s + rng.randrange(profile.requote_s)
        self.bid_c = self.ask_c = 0
        self.taken: dict[tuple[Side, int], int] = {}
        self.refill_at_s: int | None = None
        self.dirty = False
        self.last_levels: tuple[Levels, Levels] | None = None
        self.seq = 0

    def due(self, now_s: int) -> bool:
        """True when the maker wants to re-quote or show a changed book this second."""
        return self.dirty or now_s >= self.next_quote_s or (self.refill_at_s is not None and now_s >= self.refill_at_s)

    def quote(self, now_s: int, lagged_prob: float, at: datetime) -> BookUpdate | None:
        """Re-quote around `lagged_prob` (the truth `lag_s` ago) if due; a snapshot if the book changed."""
        if self.refill_at_s is not None and now_s >= self.refill_at_s:
            self.taken.clear()
            self.refill_at_s = None
        if now_s >= self.next_quote_s or self.bid_c == 0:  # bid_c == 0: never quoted yet
            self.next_quote_s = now_s + self.profile.requote_s
            sd = self.profile.noise_sd * math.sqrt(1.0 - self.NOISE_RHO**2)
            self.noise = self.NOISE_RHO * self.noise + self.rng.gauss(0.0, sd)
            p = min(0.9999, max(0.0001, lagged_prob))
            center = 100.0 * logistic(logit(p) + self.noise)
            bid = round(center - self.spread / 2.0)
            self.bid_c = min(98, max(1, bid))
            self.ask_c = min(99, max(self.bid_c + 1, bid + self.spread))
        self.dirty = False
        return self._snapshot(at)

    def _levels(self) -> tuple[Levels, Levels]:
        bids = []
        asks = []
        for i, size in enumerate(self.sizes):
            b, a = self.bid_c - i, self.ask_c + i
            if b >= 1:
                left = size - self.taken.get((Side.NO, b), 0)  # NO buyers hit YES bids
                if left > 0:
                    bids.append((b, left))
            if a <= 99:
                left = size - self.taken.get((Side.YES, a), 0)
                if left > 0:
                    asks.append((a, left))
        return tuple(bids), tuple(asks)

    def _snapshot(self, at: datetime) -> BookUpdate | None:
        levels = self._levels()
        if levels == self.last_levels:
            return None
        self.last_levels = levels
        self.seq += 1
        bids = tuple(BookLevel(_PRICES[c], Decimal(s)) for c, s in levels[0])
        asks = tuple(BookLevel(_PRICES[c], Decimal(s)) for c, s in levels[1])
        return BookUpdate(self.market.market_id, bids, asks, BookUpdateKind.SNAPSHOT, seq=self.seq, received_at=at)

    def consume(self, side: Side, limit_price: Decimal, contracts: int, now_s: int) -> int:
        """A taker bought up to `contracts` of `side` paying at most `limit_price` dollars each.

        Buying YES lifts YES asks ≤ limit; buying NO hits YES bids ≥ 1 − limit. Returns the
        contracts actually removed (0 when nothing was there); the changed book is shown at the
        next step and full size returns `refill_s` seconds later.
        """
        bids, asks = self.last_levels or ((), ())
        if side is Side.YES:
            limit_c = math.floor(limit_price * 100)
        else:
            limit_c = math.ceil((1 - limit_price) * 100)
        levels = asks if side is Side.YES else bids
        want = contracts
        for cents, size in levels:
            if want <= 0 or (cents > limit_c if side is Side.YES else cents < limit_c):
                break
            took = min(want, size)
            self.taken[(side, cents)] = self.taken.get((side, cents), 0) + took
            want -= took
        removed = contracts - want
        if removed:
            self.dirty = True
            self.refill_at_s = now_s + self.profile.refill_s
        return removed

    def settle(self, at: datetime) -> BookUpdate:
        """The game is over: pull all quotes (an empty snapshot)."""
        self.seq += 1
        self.last_levels = ((), ())
        return BookUpdate(self.market.market_id, (), (), BookUpdateKind.SNAPSHOT, seq=self.seq, received_at=at)
