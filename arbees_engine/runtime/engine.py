"""The engine: one process, one event loop, in-process hand-offs on the hot path.

    adapters ──Sink──► Engine.on_book / on_game_state ──► pricing ──► strategy ──► risk
        ──► manual queue | executor (store intent → paper broker → fills → portfolio)
        ──► store (PostgreSQL, system of record) and bus (Redis, operator view)

Nothing on the path from a venue message to a decision awaits the network: the store writer
and bus publisher are queues drained by their own tasks (ARCHITECTURE.md, "Lessons").
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timezone

import structlog

from ..adapters.base import Adapter
from ..adapters.espn.freshness import stale_reason
from ..bus.messages import AuditView, BankrollView, EngineStatus
from ..bus.publisher import BusPublisher
from ..model import (BookError, BookUpdate, GameState, GameStateError, GameStatus, Market, MarketListing, Mode,
                     OrderBook, Sport)
from ..ops.core import Operations
from ..settings import Settings
from ..store.batch import audit_job, game_job, market_job, quote_job
from . import status
from .control import ControlState, kill_file_reason
from .latency import LatencyRecorder
from .registry import Registry
from .listings import ListingIntake
from .trading import TradingDesk
from .views import game_view, quote_view, watched_quote_view
from .writer import StoreWriter, is_store_outage

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]
QUOTE_SAMPLE_S = 5.0  # seconds between stored top-of-book samples per market
FINISHED_GAME_KEEP_S = 900.0  # a finished game stays on the desk this long (engine clock), then goes


def utc_clock() -> datetime:
    """Wall-clock UTC now."""
    return datetime.now(timezone.utc)


class Engine:
    """Runs adapters into the trading pipeline; `store` and `publisher` may be None in unit tests.

    Implements the adapters' `Sink` protocol. `run(duration_s)` returns after `duration_s`
    wall-clock seconds (None: until cancelled) and leaves the store and bus flushed.
    """

    def __init__(
        self,
        settings: Settings,
        adapters: Iterable[Adapter],
        store=None,
        publisher_factory: Callable[["Engine"], BusPublisher] | None = None,
        clock: Clock = utc_clock,
        matcher=None,
        on_fill: Callable[..., None] | None = None,
    ) -> None:
        self.settings = settings
        self.adapters = list(adapters)
        self.store = store
        self.clock = clock
        self.matcher = matcher
        self.registry = Registry()
        self.control = ControlState(mode=Mode(settings.mode))
        self.latency = LatencyRecorder()
        self.counts: Counter[str] = Counter()
        self.input_rejections: Counter[str] = Counter()
        self.writer = StoreWriter(lambda: self.store, max_queue=settings.store_queue_max,
                                  unhealthy_backlog=settings.store_backlog_unhealthy, is_down=is_store_outage,
                                  journal=settings.effective_store_journal())
        self.store_drain: dict = {}  # what the shutdown drain wrote (StoreWriter.flush)
        self.started_at = utc_clock()
        self._audit_seq = 0
        self.publisher = publisher_factory(self) if publisher_factory else None
        self.desk = TradingDesk(self, on_fill=on_fill)
        self._tasks: list[asyncio.Task] = []
        self.listings = ListingIntake(self)
        self._quote_sampled_at: dict[str, datetime] = {}
        self.live_brokers: dict = {}  # Venue → live broker; empty means paper everywhere
        self.ops = Operations(self)  # lag, metrics, systemd notify, alerts (arbees_engine/ops)

    # -- health -------------------------------------------------------------------------------
    @property
    def store_ok(self) -> bool:
        """False while PostgreSQL is unreachable or the store writer is too far behind (no new positions then)."""
        return self.store is None or self.writer.ok

    @property
    def bus_ok(self) -> bool:
        """False while Redis is unreachable (no new positions then)."""
        return self.publisher is None or self.publisher.ok

    # -- Sink --------------------------------------------------------------------------------
    def reject(self, source: str, reason: str, detail: str = "") -> None:
        """Count and log a rejected input."""
        self.input_rejections[f"{source}:{reason}"] += 1
        log.warning("input.rejected", source=source, reason=reason, detail=detail[:300])

    def on_game_state(self, state: GameState) -> None:
        """Take a new game observation: price it, publish it, settle on FINAL, re-evaluate markets.
        An ESPN state older than the one held is refused and counted "espn:stale_state"."""
        started = time.perf_counter_ns()
        try:
            state.validate()
        except GameStateError as exc:
            self.reject("game", "invalid_state", str(exc))
            return
        if state.game_id in self.registry.forgotten:
            return
        previous = self.registry.games.get(state.game_id)
        if previous is not None and state.game_id.startswith("espn:") and (why := stale_reason(previous, state)):
            self.reject("espn", "stale_state", f"{state.game_id}: {why}")  # adapters/espn/freshness.py
            return
        state = self.registry.priors.observe_game(state)
        self.registry.games[state.game_id] = state
        if state.sport is Sport.SOCCER and state.status is GameStatus.LIVE and 1 <= state.period <= 2:
            self.registry.regulation_scores[state.game_id] = (state.home_score, state.away_score)
        self.registry.game_seen_at[state.game_id] = self.clock()
        if self.matcher is not None:
            self.matcher.add_game(state)
            self.listings.rematch_due |= previous is None
        p_home = self.desk.price_game(state)
        self.counts["game_states"] += 1
        if previous is None or previous != state:
            source = prior.source if (prior := self.registry.priors.get(state.game_id)) else "feed"
            self._publish(game_view(state, p_home, self.clock(), source))
            if self.store:
                self.writer.write(game_job(state, p_home, source))
        if state.status in (GameStatus.LIVE, GameStatus.SCHEDULED):
            self.registry.finished_at.pop(state.game_id, None)  # a suspended game resumed
        if state.status in (GameStatus.FINAL, GameStatus.POSTPONED, GameStatus.CANCELED):
            if previous is None or previous.status != state.status:
                self.registry.finished_at[state.game_id] = self.clock()
                self.desk.close_game(state)
            return
        if state.status is GameStatus.LIVE:
            self.desk.evaluate_game(state.game_id, started)
            self.ops.on_game_tick(started)

    def on_listing(self, listing: MarketListing) -> None:
        """Match a venue listing to a game, or show it as watched with the refusal (runtime/listings.py)."""
        self.listings.take(listing)

    def on_market(self, market: Market) -> None:
        """Register a market tied to a game."""
        if self.registry.add_market(market):
            self.counts["markets"] += 1
            if self.store:
                self.writer.write(market_job(market))
            self._publish(quote_view(market, self.registry.books.get(market.market_id), self.clock()))

    def on_book(self, update: BookUpdate) -> None:
        """Apply a book message, then evaluate edges and arbitrage on it."""
        received = time.perf_counter_ns()
        market = self.registry.markets.get(update.market_id)
        watched = self.registry.watched.get(update.market_id) if market is None else None
        if market is None and watched is None:
            self.reject("book", "unknown_market", update.market_id)
            return
        book = self._apply_book(update)
        if book is None:
            return
        if watched is not None:  # shown, never traded
            self._publish(watched_quote_view(update.market_id, watched[0], book, watched[1], self.clock()))
            return
        self.latency.record("book", received)
        self.counts["book_updates"] += 1
        self._note_prior(market, book)
        self._publish(quote_view(market, book, self.clock()))
        self._sample_quote(market.market_id, book)
        self.desk.mark(market.market_id, book)
        game = self.registry.games.get(market.game_id)
        if game is not None and game.status is GameStatus.LIVE:
            self.desk.evaluate_market(market, received)
        self.ops.on_tick(market, received)

    def _apply_book(self, update: BookUpdate) -> OrderBook | None:
        """Apply `update` to its book; on a bad update count it, mark the book stale, return None."""
        book = self.registry.books[update.market_id]
        try:
            book.apply(update)
        except BookError as exc:
            book.stale = True
            self.reject("book", "invalid_update", f"{update.market_id}: {exc}")
            return None
        if update.received_at is None:
            book.updated_at = self.clock()
        return book

    def on_book_stale(self, market_id: str, reason: str) -> None:
        """Mark a book unusable until its next snapshot."""
        book = self.registry.books.get(market_id)
        if book is not None:
            book.stale = True
            self.counts["book_stale"] += 1
            self.ops.on_book_stale(market_id, reason)
            market = self.registry.markets.get(market_id)
            if market:
                self._publish(quote_view(market, book, self.clock()))

    def _sample_quote(self, market_id: str, book: OrderBook) -> None:
        """Store the top of book at most once per QUOTE_SAMPLE_S (engine clock) per market."""
        if self.store is None:
            return
        now = self.clock()
        last = self._quote_sampled_at.get(market_id)
        if last is not None and (now - last).total_seconds() < QUOTE_SAMPLE_S:
            return
        self._quote_sampled_at[market_id] = now
        bid, ask = book.best_bid, book.best_ask
        self.writer.write(quote_job(market_id, now, bid.price if bid else None, ask.price if ask else None,
                                    bid.size if bid else None, ask.size if ask else None))

    def _note_prior(self, market: Market, book: OrderBook) -> None:
        """Offer the book to the prior book; a newly taken prior re-prices the scheduled game."""
        game = self.registry.games.get(market.game_id)
        if self.registry.priors.observe_book(game, market, book) and game is not None:
            self.on_game_state(game)

    def equivalent(self, a: Market, b: Market) -> bool:
        """True when `a` and `b` pay on the same outcome under the same terms (runtime/listings.py)."""
        return self.listings.equivalent(a, b)

    # -- publishing --------------------------------------------------------------------------
    def _publish(self, view) -> None:
        if self.publisher is not None:
            self.publisher.publish(view)

    def audit(self, actor: str, action: str, entity: str = "", detail: str = "", store: bool = True) -> None:
        """Record an audit line on the bus (and in the store's audit_log when `store`)."""
        self._audit_seq += 1
        view = AuditView(audit_id=f"{int(self.started_at.timestamp())}-{self._audit_seq}", ts=self.clock(),
                         actor=actor, action=action, entity=entity, detail=detail)
        if self.publisher is not None:
            self.publisher.audit(view)
        self.ops.on_audit(view)
        if store and self.store is not None:
            self.writer.write(audit_job(actor, action, entity, {"detail": detail}))

    def status_view(self) -> EngineStatus:
        """The EngineStatus published every second and read by `arbees-engine status`."""
        return status.engine_status(self)

    def bankroll_view(self) -> BankrollView:
        """Bankroll figures in dollars."""
        return self.desk.bankroll_view()

    def all_views(self) -> list:
        """Every current view, for a full snapshot rewrite (bus resync)."""
        return status.all_views(self)

    # -- lifecycle ---------------------------------------------------------------------------
    async def restore(self) -> None:
        """Load kill switch, mode, positions, bankroll and pre-game priors from the store (restart recovery)."""
        if self.store is None:
            return
        await self.writer.replay_journal()  # a previous shutdown's unwritten rows come first
        state = await self.store.load_engine_state(self.settings.instance)
        if state is not None:
            self.control.mode = Mode(state["mode"]) if state.get("mode") else self.control.mode
            if state.get("kill_engaged"):
                self.control.engage(state.get("kill_reason") or "restored", state.get("kill_operator") or "engine",
                                    state.get("kill_at") or self.clock())
        await self.desk.restore()
        for game_id, p_home, source, started in await self.store.load_priors():
            self.registry.priors.restore(game_id, p_home, source, started)
        self.audit("engine", "start", self.settings.instance,
                   f"mode={self.control.effective_mode.value} kill={self.control.kill_engaged}")

    async def _wait_for_bus(self, timeout_s: float) -> None:
        """Give the publisher a moment to connect so the first ticks are not refused for it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not self.publisher.ok and loop.time() < deadline:
            await asyncio.sleep(0.02)

    async def _kill_file_watch(self) -> None:
        path = self.settings.effective_kill_file()
        while True:
            reason = kill_file_reason(path)
            if reason and not self.control.kill_engaged:
                await self.desk.engage_kill(f"kill file: {reason}", "killfile")
            await asyncio.sleep(0.5)

    def housekeeping(self) -> None:
        """Expire manual signals; look up venue results of positions awaiting them; forget games
        finished more than FINISHED_GAME_KEEP_S ago whose positions are all settled (a daemon runs for weeks: state must not grow without bound)."""
        self.desk.expire_pending()
        self.desk.settlement.request_lookups()
        if self.listings.rematch_due:
            self.listings.rematch_watched()
        now = self.clock()
        for game_id, state in list(self.registry.games.items()):
            if state.status in (GameStatus.SCHEDULED, GameStatus.LIVE):
                continue
            finished = self.registry.finished_at.get(game_id, now)
            if (now - finished).total_seconds() < FINISHED_GAME_KEEP_S:
                continue
            if any(p.game_id == game_id for p in self.desk.portfolio.positions()):
                continue  # settlement still queued or pending
            for market_id in self.registry.forget_game(game_id):
                self._remove("quote", market_id)
            self._remove("game", game_id)
            if self.matcher is not None:
                self.matcher.remove_game(game_id)
            self.counts["games_forgotten"] += 1

    def _remove(self, kind: str, entity_id: str) -> None:
        if self.publisher is not None:
            self.publisher.remove(kind, entity_id)

    def status_pass(self) -> None:
        """One pass of the status loop (every second): publish status, bankroll and the open
        positions whose mark moved, then run housekeeping."""
        self._publish(self.status_view())
        self._publish(self.bankroll_view())
        for view in self.desk.remarked_position_views():
            self._publish(view)
        self.housekeeping()
        self.ops.on_status()

    async def _status_loop(self) -> None:
        while True:
            try:
                self.status_pass()
            except Exception:  # noqa: BLE001 - status must keep flowing; the bug is logged
                log.exception("status.failed")
            await asyncio.sleep(1.0)

    async def _run_adapter(self, adapter: Adapter) -> None:
        try:
            await adapter.run(self)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - an adapter bug must not take the engine down
            self.reject(adapter.name, "adapter_crashed", repr(exc))
            log.exception("adapter.crashed", adapter=adapter.name)

    async def start(self, *, with_adapters: bool = True) -> None:
        """Restore state and start background tasks (and the adapters unless told not to)."""
        await self.restore()
        spawn = asyncio.create_task
        self._tasks = [spawn(self.writer.run()), spawn(self.desk.run_executor()), spawn(self._status_loop()),
                       spawn(self._kill_file_watch())] + [spawn(job) for job in self.ops.start()]
        if self.publisher is not None:
            self._tasks += [spawn(self.publisher.run()), spawn(self.publisher.consume_commands(self.desk.handle_command))]
            await self._wait_for_bus(5.0)
        if with_adapters:
            self._tasks += [spawn(self._run_adapter(a)) for a in self.adapters]

    async def run(self, duration_s: float | None = None, stop: asyncio.Event | None = None) -> None:
        """Run for `duration_s` wall-clock seconds or until `stop` is set, then shut down cleanly."""
        await self.start()
        stop = stop or asyncio.Event()
        try:
            await asyncio.wait_for(stop.wait(), timeout=duration_s)
        except asyncio.TimeoutError:
            pass
        finally:
            await self.shutdown()

    async def settle_queue(self) -> None:
        """Wait until every queued execution and settlement has finished."""
        await self.desk.queue.join()

    async def shutdown(self) -> None:
        """Cancel tasks, finish in-flight executions, flush store (retrying an outage for at most
        settings.store_drain_timeout_s; what it wrote lands in `store_drain`) and bus."""
        self.ops.stopping()
        await cancel_and_wait(self._tasks)
        self._tasks = []
        await self.desk.settlement.close()  # venue lookups in flight must not queue work after the drain
        await self.desk.drain()
        self.audit("engine", "stop", self.settings.instance, "")
        self.store_drain = await self.writer.flush(self.settings.store_drain_timeout_s)
        if self.publisher is not None:
            self._publish(self.status_view())
            self._publish(self.bankroll_view())
            await self.publisher.close()
        await self.ops.close()


async def cancel_and_wait(tasks: list[asyncio.Task], grace_s: float = 2.0, rounds: int = 5) -> None:
    """Cancel `tasks` and wait for them, cancelling again every `grace_s` seconds.

    Drivers can swallow a cancellation (redis-py and asyncpg turn one that lands mid-command into
    their own errors or absorb it while closing a connection), which would leave a retry loop
    running and a plain gather() waiting forever. Tasks still alive after `rounds` are logged.
    """
    pending = {t for t in tasks if not t.done()}
    for _ in range(rounds):
        if not pending:
            break
        for task in pending:
            task.cancel()
        _done, pending = await asyncio.wait(pending, timeout=grace_s)
    for task in pending:
        log.error("shutdown.task_would_not_stop", task=task.get_name())
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error("shutdown.task_failed", task=task.get_name(), error=repr(task.exception()))
