"""Settlement: simulated markets on their game's end, real venues' markets on the venue's result.

A simulated market settles when its simulated game ends: the simulation is the venue. A real
venue's contract pays what the VENUE resolves, which can differ from the feed's final score (an
NFL tie, a game the venue voids, a Polymarket 50-50 resolution, a score the feed corrects later).
So a position on a real market is never settled from the feed. Once the market's game is over
(FINAL, POSTPONED, CANCELED), its listing has closed, or a restart finds a position
whose market is no longer listed, the engine looks the market up at its venue (the adapter's
`lookup_round`: Kalshi GET /markets/{ticker}, Polymarket Gamma /markets?clob_token_ids=…) every
`LOOKUP_EVERY_S` seconds until the venue reports a FINAL result, then settles on it:
  yes / no → $1 per winning contract (https://docs.kalshi.com/getting_started/market_settlement);
  void     → cost returned, fees kept (Kalshi `market_result` "void");
  split    → $0.50 per YES and per NO contract (Polymarket 50-50, UMA "unknown" outcome).
The feed's expected result (from the final score) is compared with the venue's: a difference is
counted as rejection "settlement:venue_result_differs" and audited, and the book follows the venue.
The expectation and, later, the venue's result are kept in the store (`settlement_expectations`,
migrations/0004), so a restart between the feed's final and the venue's result still compares
them, and the desk header's count of markets settled unlike the score is the store's count.
Settlement writes ledger ref "settle:<market>:<side>" (the bankroll identity's settlement term).
Memory follows the store: a settlement is booked first and applied to the portfolio only once
committed. While PostgreSQL is down it waits in `pending` (the status count
`settlements_awaiting_store`) and is tried again from the execution queue (jobs.RetrySettlement), the wait doubling from
RETRY_FIRST_S to RETRY_MAX_S, until the store takes it or the engine stops; a restart then
settles what is still open (node/recovery.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import structlog

from ..adapters.base import Sink
from ..cache import Registry
from ..jobs import JobQueue, RetrySettlement, SettleGame, SettleOnVenue
from ..model import GameState, GameStatus, ListingStatus, Market, MarketListing, Side, VenueResult
from ..model.money import ZERO
from ..ports import Clock, Outbox
from ..store.errors import StoreError, StoreUnavailable
from ..store.settlements import SettlementVerdict
from ..views import position_view, quote_view
from . import Portfolio
from .portfolio import utc_midnight

log = structlog.get_logger(__name__)

LOOKUP_EVERY_S = 60.0  # seconds before the second lookup of a market awaiting its result
LOOKUP_MAX_S = 3600.0  # the wait doubles after each lookup without a result, up to this
VENUE_RESULTS = tuple(VenueResult)  # MarketListing.result values once settled
SPLIT_VALUE = Decimal("0.5")  # dollars per contract of either side in a 50-50 resolution
_GAME_OVER = (GameStatus.FINAL, GameStatus.POSTPONED, GameStatus.CANCELED)
RETRY_FIRST_S = 0.5  # seconds before a settlement the store could not take is tried again
RETRY_MAX_S = 10.0  # the wait doubles after each failed attempt, up to this


def is_simulated(market_id: str) -> bool:
    """True for a market of the built-in simulated venue (ids "sim-<venue>:…")."""
    return market_id.startswith("sim-")


class Settlement:
    """Settles the positions; one per engine, engine loop only.

    expected: market_id → "yes"/"no", what the feed's final score says the market resolves to
    (kept until the venue's result arrives, for the comparison; also in the store, which answers
    for markets this run never saw final). mismatches: markets the venue settled unlike the
    feed's score — the store's count (all runs), or this run's without a store.
    pending: market_id → the settlement job waiting for the store (retried); retries: failed
    attempts so far (both in the engine status).

    Handed its ports, never the engine: `out`, `clock`, `cache`, `store()` (the Store or None, read
    per call), the `portfolio`, the job queue (`jobs`: settlements and their retries run there), the
    `adapters` (those with `lookup_round` answer venue-result lookups) and the `sink` a lookup
    pushes its listing into.
    """

    def __init__(
        self,
        out: Outbox,
        clock: Clock,
        cache: Registry,
        store: Callable[[], Any],
        portfolio: Portfolio,
        jobs: JobQueue,
        adapters: list[Any],
        sink: Sink,
    ) -> None:
        self.out, self.clock, self.cache, self.store, self.portfolio = out, clock, cache, store, portfolio
        self.jobs, self.adapters, self.sink = jobs, adapters, sink
        self.expected: dict[str, str] = {}
        self.settled_by_venue = 0
        self.mismatches = 0
        self._looked_up_at: dict[str, datetime] = {}
        self._lookups_made: dict[str, int] = {}
        self._inflight: dict[str, asyncio.Task[None]] = {}
        self.pending: dict[str, Callable[[], Awaitable[None]]] = {}
        self.retries = 0
        self._failures: dict[str, int] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}

    # -- after a restart ---------------------------------------------------------------------
    async def restore(self) -> None:
        """Load what settlement keeps in the store after a restart (Engine.restore, at engine
        start, after the portfolio): the count of markets settled unlike the score (`mismatches`)
        and when today's settled markets settled (the daily loss limit's window,
        Portfolio.note_settled_at). Without a store it does nothing. Raises StoreError when the
        store cannot answer (the engine does not start, as for the rest of its book)."""
        store = self.store()
        if store is None:
            return
        self.portfolio.note_settled_at(await store.settled_markets_since(utc_midnight(self.clock())))
        self.mismatches = await store.count_settlement_mismatches()

    # -- the feed says a game is over --------------------------------------------------------
    async def settle_game(self, state: GameState) -> None:
        """Settle the simulated markets of a FINAL game (void them when POSTPONED/CANCELED);
        a real venue's market with a position is left open until its venue resolves it, with the
        feed's expected result noted and audited."""
        for market in self.cache.markets_of(state.game_id):
            self.out.publish(quote_view(market, self.cache.books.get(market.market_id), self.clock()))
            if not self._has_position(market.market_id):
                continue
            if market.simulated:
                await self.attempt(market.market_id, lambda m=market: self._settle_simulated(m, state))
                continue
            expected = self._feed_result(market, state)
            if expected is not None:
                self.expected[market.market_id] = expected
                await self._store_expectation(market, expected)
            self.out.audit(
                "engine",
                "settlement_awaiting_venue",
                market.market_id,
                f"game {state.status.value}; feed expects {expected or 'no result'}; settles on the venue's own result",
            )

    async def _store_expectation(self, market: Market, expected: str) -> None:
        """Keep the feed's expectation in the store for a restart; a store failure is counted and
        logged (this run still compares from memory)."""
        if self.store() is None:
            return
        try:
            await self.store().save_settlement_expectation(market.market_id, market.game_id, expected, self.clock())
        except StoreError as exc:
            self.out.reject("settlement", "expectation_not_stored", f"{market.market_id}: {exc}")

    @staticmethod
    def _feed_result(market: Market, state: GameState) -> str | None:
        if state.status is not GameStatus.FINAL:
            return None
        return "yes" if state.winner == market.outcome.value else "no"

    async def _settle_simulated(self, market: Market, state: GameState) -> None:
        if state.status is GameStatus.FINAL:
            await self.close_market(
                market.market_id,
                "yes" if state.winner == market.outcome.value else "no",
                f"{state.game_id} final {state.away.abbr} {state.away_score}-{state.home_score} {state.home.abbr}",
            )
        elif state.status in (GameStatus.POSTPONED, GameStatus.CANCELED):
            await self.close_market(market.market_id, "void", f"{state.game_id} {state.status.value}")

    # -- the venue says a market is resolved -------------------------------------------------
    def on_listing(self, listing: MarketListing) -> bool:
        """Take a listing's venue result: a position on a settled listing is queued for settlement
        on the venue's result. Returns True when the listing is settled (final)."""
        if listing.status is not ListingStatus.SETTLED:
            return False
        market_id = listing.market_id
        if not isinstance(listing.result, VenueResult):
            self.out.reject("settlement", "venue_result_unknown", f"{market_id}: {listing.result!r}")
            return True
        if self._has_position(market_id) and not self.portfolio.is_settled(market_id):
            self.jobs.put(SettleOnVenue(market_id, listing.result))
        return True

    async def settle_on_venue(self, market_id: str, result: VenueResult) -> None:
        """Settle `market_id` on its venue's `result` (VENUE_RESULTS) and compare it with the feed's
        expectation (this run's, else the store's from an earlier run). Raises StoreError when
        the store cannot be read or book the settlement (nothing changes; a later lookup retries)."""
        if not self._has_position(market_id) or self.portfolio.is_settled(market_id):
            return
        expected = self.expected.get(market_id)
        if expected is None and self.store() is not None:
            expected = await self.store().load_settlement_expectation(market_id)
        game_id = next(
            p.game_id for side in (Side.YES, Side.NO) if (p := self.portfolio.position(market_id, side)) is not None
        )
        verdict = None if expected is None else SettlementVerdict(market_id, game_id, expected, result, self.clock())
        await self.close_market(market_id, result, "venue result", verdict)
        self.expected.pop(market_id, None)
        self.settled_by_venue += 1
        differs = expected is not None and expected != result
        if differs:
            self.out.reject("settlement", "venue_result_differs", f"{market_id}: feed {expected}, venue {result}")
            self.out.audit(
                "engine",
                "settlement_mismatch",
                market_id,
                f"the feed's final score gives {expected}, the venue resolved {result}; booked at the venue's result",
            )
        if verdict is not None:
            await self._recount_mismatches(market_id, differs)

    async def _recount_mismatches(self, market_id: str, differs: bool) -> None:
        """Take the mismatch count from the store (the verdict was booked with the settlement);
        without a store, or when it cannot answer (counted, logged), count in memory."""
        store = self.store()
        if store is not None:
            try:
                self.mismatches = await store.count_settlement_mismatches()
                return
            except StoreError as exc:
                self.out.reject("settlement", "mismatch_count_unavailable", f"{market_id}: {exc}")
        if differs:
            self.mismatches += 1

    # -- booking, and retrying while the store is down ---------------------------------------
    async def attempt(self, market_id: str, job: Callable[[], Awaitable[None]]) -> None:
        """Run settlement `job` of `market_id`; if the store is down, keep it pending and queue it
        again after a wait that doubles from RETRY_FIRST_S up to RETRY_MAX_S (forever, until the
        store takes it or the desk stops). Other errors propagate."""
        try:
            await job()
        except StoreUnavailable as exc:
            self._defer(market_id, job, exc)
            return
        self.pending.pop(market_id, None)
        self._failures.pop(market_id, None)
        if (timer := self._timers.pop(market_id, None)) is not None:
            timer.cancel()

    def _defer(self, market_id: str, job: Callable[[], Awaitable[None]], exc: StoreUnavailable) -> None:
        failures = self._failures[market_id] = self._failures.get(market_id, 0) + 1
        self.retries += 1
        if market_id not in self.pending:
            log.error("settlement.store_unavailable", market_id=market_id, error=str(exc))
            self.out.audit("engine", "settlement_deferred", market_id, f"the store is unavailable: {exc}")
        self.pending[market_id] = job
        if (timer := self._timers.pop(market_id, None)) is not None:
            timer.cancel()
        if self.jobs.stopping:
            return  # shutdown: the next start settles what is still open (node/recovery.py)
        delay = min(RETRY_FIRST_S * 2 ** (failures - 1), RETRY_MAX_S)
        self._timers[market_id] = asyncio.get_running_loop().call_later(delay, self._requeue, market_id)

    def _requeue(self, market_id: str) -> None:
        self._timers.pop(market_id, None)
        if market_id in self.pending:
            self.jobs.put(RetrySettlement(market_id))

    async def close_market(
        self, market_id: str, result: VenueResult, why: str, verdict: SettlementVerdict | None = None
    ) -> Decimal:
        """Settle both sides of `market_id` at `result` (VENUE_RESULTS): book the closed positions in
        the store (with the venue's `verdict` against the feed, one transaction), then apply them
        to the portfolio and publish them. Returns the realized P&L in dollars (0 when already
        settled). Raises StoreUnavailable when the store is down (memory unchanged)."""
        portfolio, at = self.portfolio, self.clock()
        value = None if result == "void" else {"yes": Decimal(1), "no": ZERO}.get(result, SPLIT_VALUE)
        closed = portfolio.preview_settlement(market_id, value)
        if not closed:
            return ZERO
        if self.store() is not None:  # ledger lines and positions of both sides: one transaction
            await self.store().book_settlement(closed, verdict)  # False: already booked; apply it too
        realized = portfolio.void(market_id, at) if value is None else portfolio.settle_value(market_id, value, at)
        for position in closed:
            self.out.publish(position_view(position))
        action = "void" if result == "void" else "settle"
        self.out.audit("engine", action, market_id, f"{why}: {result}; realized {realized}", store=False)
        return realized

    # -- looking results up ------------------------------------------------------------------
    def awaiting(self) -> list[str]:
        """Real markets with an open position whose venue result is awaited: the game is over,
        the listing closed, or the market is unknown to this run (restored after a restart)."""
        registry, out = self.cache, []
        for market_id in sorted({p.market_id for p in self.portfolio.positions()}):
            if is_simulated(market_id):
                continue
            market = registry.markets.get(market_id)
            game = registry.games.get(market.game_id) if market is not None else None
            listing = registry.listings.get(market_id)
            if (
                market is None
                or game is None
                or game.status in _GAME_OVER
                or (listing is not None and listing.status != "open")
            ):
                out.append(market_id)
        return out

    def request_lookups(self) -> list[asyncio.Task[None]]:
        """Start a venue lookup for each awaited market that is due (engine clock); housekeeping
        calls it. A market is due at once, then LOOKUP_EVERY_S after its first lookup, the wait
        doubling after each lookup (a venue can take hours to finalise) up to LOOKUP_MAX_S.
        Returns the started tasks; a lookup pushes the venue's listing into the engine, whose
        result settles the position. Tasks are kept until done and cancelled by `close`."""
        now, started = self.clock(), []
        venues = {a.name: a for a in self.adapters if hasattr(a, "lookup_round")}
        for market_id in self.awaiting():
            venue, _, venue_market_id = market_id.partition(":")
            if venue not in venues or market_id in self._inflight or not self._due(market_id, now):
                continue
            self._looked_up_at[market_id] = now
            self._lookups_made[market_id] = self._lookups_made.get(market_id, 0) + 1
            task = asyncio.get_running_loop().create_task(venues[venue].lookup_round(venue_market_id, self.sink))
            self._inflight[market_id] = task
            task.add_done_callback(lambda _t, m=market_id: self._inflight.pop(m, None))
            started.append(task)
        return started

    def looked_up(self, listing: MarketListing) -> bool:
        """True when `listing` is a market this engine has looked up for settlement."""
        return listing.market_id in self._looked_up_at

    def _due(self, market_id: str, now: datetime) -> bool:
        last, made = self._looked_up_at.get(market_id), self._lookups_made.get(market_id, 0)
        if last is None:
            return True
        return (now - last).total_seconds() >= min(LOOKUP_EVERY_S * 2.0 ** (made - 1), LOOKUP_MAX_S)

    async def close(self) -> None:
        """Cancel lookups still in flight and settlement retries not yet due (engine shutdown) and
        wait for the lookups to end. What is still pending stays counted."""
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        tasks = list(self._inflight.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _has_position(self, market_id: str) -> bool:
        portfolio = self.portfolio
        return any(
            p is not None and p.contracts > 0
            for p in (portfolio.position(market_id, side) for side in (Side.YES, Side.NO))
        )

    # -- the execution queue's settlement jobs (jobs.py) ---------------------------------------
    async def run_game(self, job: SettleGame) -> None:
        """The SettleGame handler (`settle_game`)."""
        await self.settle_game(job.state)

    async def run_venue(self, job: SettleOnVenue) -> None:
        """The SettleOnVenue handler: `settle_on_venue`, retried while the store is down (`attempt`)."""
        await self.attempt(job.market_id, lambda: self.settle_on_venue(job.market_id, job.result))

    async def run_retry(self, job: RetrySettlement) -> None:
        """The RetrySettlement handler: the pending settlement of the market, if still pending."""
        pending = self.pending.get(job.market_id)
        if pending is not None:
            await self.attempt(job.market_id, pending)
