"""The engine: one process, one event loop, in-process hand-offs on the hot path.

    adapters ──Sink──► Engine.on_book / on_game_state ──► pricing ──► strategy ──► risk
        ──► manual queue | executor (store intent → paper broker → fills → portfolio)
        ──► store (PostgreSQL, system of record) and bus (Redis, operator view)

Nothing on the path from a venue message to a decision awaits the network: the store writer
and bus publisher are queues drained by their own tasks (ARCHITECTURE.md, "Lessons").
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import structlog

from ..adapters.base import Adapter
from ..bus.messages import BankrollView, EngineStatus
from ..bus.publisher import BusPublisher
from ..cache import Registry
from ..control.signal_book import SignalBook
from ..control.state import ControlState, kill_file_reason
from ..data.engine import MarketData
from ..data.listings import ListingIntake
from ..execution import PaperBroker, PaperVenueBroker, client_order_ids, signal_ids
from ..execution.broker import Broker
from ..execution.engine import Executor
from ..jobs import ExecuteSignal, JobQueue, ResolveOrder, RetrySettlement, SettleGame, SettleOnVenue
from ..model import BookUpdate, GameState, Market, MarketListing, Mode, Venue
from ..portfolio import Portfolio
from ..portfolio.settlement import Settlement
from ..portfolio.settlement_rules import settlement_state
from ..settings import Settings
from ..store.errors import is_store_outage
from ..strategy.trader import Trader
from ..telemetry.latency import LatencyRecorder
from . import status
from .operations import Operations
from .operator_commands import CommandHandler
from .outbox import EngineOutbox
from .recovery import Recovery
from .status import PositionMarks
from .tasks import cancel_and_wait
from .writer import StoreWriter

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]


def utc_clock() -> datetime:
    """Wall-clock UTC now."""
    return datetime.now(UTC)


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
        publisher_factory: Callable[[Engine], BusPublisher] | None = None,
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
        self.writer = StoreWriter(
            lambda: self.store,
            max_queue=settings.store_queue_max,
            unhealthy_backlog=settings.store_backlog_unhealthy,
            is_down=is_store_outage,
            journal=settings.effective_store_journal(),
        )
        self.store_drain: dict = {}  # what the shutdown drain wrote (StoreWriter.flush)
        self.started_at = utc_clock()
        self.publisher = publisher_factory(self) if publisher_factory else None
        self.out = EngineOutbox(self.publisher, self.writer, lambda: self.store is not None, clock, self.started_at)
        self.counts = self.out.counts  # status counters
        self.input_rejections = self.out.rejections  # "source:reason" → refused inputs
        self._tasks: list[asyncio.Task] = []
        self.live_brokers: dict[Venue, Broker] = {}  # Venue → live broker; empty means paper everywhere
        self._build_components(on_fill)
        self.ops = Operations(self)  # lag, metrics, systemd notify, alerts (arbees_engine/ops)
        self.out.on_audit = self.ops.on_audit
        self.data.hooks = self.ops

    def _build_components(self, on_fill: Callable[..., None] | None) -> None:
        """Build the trading components, each handed its ports (outbox, cache, clock, config) and the
        parts it reads, never the engine; then route each execution job type to its handler."""
        settings, out, clock, cache = self.settings, self.out, self.clock, self.registry
        start_ms = int(self.started_at.timestamp() * 1000)
        store = lambda: self.store  # noqa: E731 - read per call: a test may attach the store later
        self.portfolio = Portfolio(settings.starting_bankroll)
        self.jobs = JobQueue()
        self.signal_book = SignalBook(out, clock, on_approved=lambda signal: self.jobs.put(ExecuteSignal(signal)))
        self.executor = self._build_executor(store, start_ms, on_fill)
        # a venue lookup pushes its listing into the engine's Sink (market data)
        self.settlement = Settlement(out, clock, cache, store, self.portfolio, self.jobs, self.adapters, self)
        self.listings = ListingIntake(
            out,
            clock,
            cache,
            settings.strategy,
            self.matcher,
            self.settlement,
            lambda market: self.data.on_market(market),
        )
        self.trader = self._build_trader(start_ms)
        self.commands = CommandHandler(
            settings, out, clock, store, self.control, self.signal_book, self.trader, self.status_view
        )
        self.commands.stopping = lambda: self.jobs.stopping
        self.executor.recheck = self.trader.recheck_before_send  # queued signals are re-checked before a send
        self.marks = PositionMarks(self.portfolio)
        self.data = MarketData(
            out, clock, cache, self.latency, self.matcher, self.listings, self.trader, self._close_game
        )
        self.data.settles_with(self.settle_queue)
        self._route_jobs()

    def _build_executor(self, store: Callable[[], Any], start_ms: int, on_fill: Callable[..., None] | None) -> Executor:
        """The execution engine: paper broker on the cache's books, live brokers by venue (`live_brokers`)."""
        paper = PaperVenueBroker(PaperBroker(self.registry.markets), self.registry.books)
        executor = Executor(
            self.out,
            self.clock,
            self.registry,
            self.control,
            store,
            self.portfolio,
            self.signal_book,
            self.jobs,
            self.live_brokers,
            paper,
            client_order_ids(self.settings.instance, start_ms=start_ms),
            on_fill,
        )
        executor.legging.configure(self.settings.strategy)  # the legged-arbitrage policy (execution/legs.py)
        return executor

    def _build_trader(self, start_ms: int) -> Trader:
        """The trader: prices each change, finds edges and arbitrage, runs the risk gate."""
        return Trader(
            self.settings,
            self.registry,
            self.clock,
            self.out,
            self.latency,
            self.control,
            lambda: (self.store_ok, self.bus_ok),
            self.portfolio,
            self.signal_book,
            self.executor.unresolved,
            self.listings.equivalent,
            signal_ids(self.settings.instance, start_ms=start_ms),
        )

    def _route_jobs(self) -> None:
        """Route each typed execution job to its one handler."""
        for kind, handler in (
            (ExecuteSignal, self.executor.run_signal),
            (ResolveOrder, self.executor.resolve),
            (SettleGame, self.settlement.run_game),
            (SettleOnVenue, self.settlement.run_venue),
            (RetrySettlement, self.settlement.run_retry),
        ):
            self.jobs.handle(kind, handler)

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
    # -- Sink: the adapters push into market data (data/engine.py) ------------------------
    def reject(self, source: str, reason: str, detail: str = "") -> None:
        """Count and log a rejected input (ports.Outbox.reject)."""
        self.out.reject(source, reason, detail)

    def on_game_state(self, state: GameState) -> None:
        """MarketData.on_game_state."""
        self.data.on_game_state(state)

    def on_listing(self, listing: MarketListing) -> None:
        """MarketData.on_listing."""
        self.data.on_listing(listing)

    def on_market(self, market: Market) -> None:
        """MarketData.on_market."""
        self.data.on_market(market)

    def on_book(self, update: BookUpdate) -> None:
        """MarketData.on_book."""
        self.data.on_book(update)

    def on_book_stale(self, market_id: str, reason: str) -> None:
        """MarketData.on_book_stale."""
        self.data.on_book_stale(market_id, reason)

    def equivalent(self, a: Market, b: Market) -> bool:
        """True when `a` and `b` pay on the same outcome under the same terms (data/listings.py)."""
        return self.listings.equivalent(a, b)

    def _close_game(self, state: GameState) -> None:
        """The feed closed a game: expire its pending signals, queue the settlement (FINAL) or voiding
        (POSTPONED/CANCELED) of its markets on the state they settle on (settlement_rules.py)."""
        self.signal_book.expire_game(state.game_id, f"game {state.status.value}")
        settle_on = settlement_state(state, self.registry, self.out)
        if settle_on is not None:
            self.jobs.put(SettleGame(settle_on))

    def audit(self, actor: str, action: str, entity: str = "", detail: str = "", store: bool = True) -> None:
        """Record an audit line on the bus (and in the store's audit_log when `store`): ports.Outbox.audit."""
        self.out.audit(actor, action, entity, detail, store)

    def status_view(self) -> EngineStatus:
        """The EngineStatus published every second and read by `arbees-engine status`."""
        return status.engine_status(self)

    def bankroll_view(self) -> BankrollView:
        """Bankroll figures in dollars."""
        return status.bankroll_view(self)

    def summary(self) -> dict:
        """Run summary: games, signals by decision, orders, fills, fees, P&L and bankroll (dollars)."""
        return status.summary(self)

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
                self.control.engage(
                    state.get("kill_reason") or "restored",
                    state.get("kill_operator") or "engine",
                    state.get("kill_at") or self.clock(),
                )
        recovery = Recovery(
            self.out,
            self.clock,
            lambda: self.store,
            self.registry,
            self.portfolio,
            self.live_brokers,
            self.settings.starting_bankroll,
            self.settlement.close_market,
            self.executor.apply_fill,
            self.executor.watch_unknown,
        )
        await recovery.run()  # the portfolio, then what a crash left open (node/recovery.py)
        await self.settlement.restore()
        for game_id, p_home, source, started in await self.store.load_priors():
            self.registry.priors.restore(game_id, p_home, source, started)
        self.audit(
            "engine",
            "start",
            self.settings.instance,
            f"mode={self.control.effective_mode.value} kill={self.control.kill_engaged}",
        )

    async def _wait_for_bus(self, timeout_s: float) -> None:
        """Give the publisher a moment to connect so the first ticks are not refused for it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not self.publisher.ok and loop.time() < deadline:
            await asyncio.sleep(0.02)

    async def _kill_file_watch(self) -> None:
        """Engage the kill switch whenever the kill file appears (checked every 0.5 s). An error in
        one check is logged and counted ("task_failures:kill_file_watch"); the watch goes on."""
        path = self.settings.effective_kill_file()
        while True:
            try:
                reason = kill_file_reason(path)
                if reason and not self.control.kill_engaged:
                    await self.commands.engage_kill(f"kill file: {reason}", "killfile")
            except Exception:  # noqa: BLE001 - the operator's last resort must outlive any bug
                self.counts["task_failures:kill_file_watch"] += 1
                log.exception("kill_file.watch_failed")
            await asyncio.sleep(0.5)

    def housekeeping(self) -> None:
        """Expire manual signals; look up venue results of positions awaiting them; forget games
        finished more than market_data.FINISHED_GAME_KEEP_S ago whose positions are all settled (a daemon runs for
        weeks: state must not grow without bound)."""
        self.signal_book.expire_pending()
        self.settlement.request_lookups()
        if self.listings.rematch_due:
            self.listings.rematch_watched()
        self.data.forget_finished(lambda game_id: any(p.game_id == game_id for p in self.portfolio.positions()))

    def status_pass(self) -> None:
        """One pass of the status loop (every second): publish status, bankroll and the open
        positions whose mark moved, then run housekeeping."""
        self.out.publish(self.status_view())
        self.out.publish(self.bankroll_view())
        for view in self.marks.remarked_position_views():
            self.out.publish(view)
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
            await adapter.run(self.data)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - an adapter bug must not take the engine down
            self.reject(adapter.name, "adapter_crashed", repr(exc))
            log.exception("adapter.crashed", adapter=adapter.name)

    async def start(self, *, with_adapters: bool = True) -> None:
        """Restore state and start background tasks (and the adapters unless told not to)."""
        await self.restore()
        spawn = asyncio.create_task
        self._tasks = [
            spawn(self.writer.run()),
            spawn(self.jobs.run()),
            spawn(self._status_loop()),
            spawn(self._kill_file_watch()),
        ] + [spawn(job) for job in self.ops.start()]
        if self.publisher is not None:
            self._tasks += [spawn(self.publisher.run()), spawn(self.publisher.consume_commands(self.commands.handle))]
            await self._wait_for_bus(5.0)
        if with_adapters:
            self._tasks += [spawn(self._run_adapter(a)) for a in self.adapters]

    async def run(self, duration_s: float | None = None, stop: asyncio.Event | None = None) -> None:
        """Run for `duration_s` wall-clock seconds or until `stop` is set, then shut down cleanly."""
        await self.start()
        stop = stop or asyncio.Event()
        try:
            await asyncio.wait_for(stop.wait(), timeout=duration_s)
        except TimeoutError:
            pass
        finally:
            await self.shutdown()

    async def settle_queue(self) -> None:
        """Wait until every queued execution and settlement has finished."""
        await self.jobs.join()

    async def shutdown(self) -> None:
        """Cancel tasks, finish in-flight executions, flush store (retrying an outage for at most
        settings.store_drain_timeout_s; what it wrote lands in `store_drain`) and bus."""
        self.ops.stopping()
        await cancel_and_wait(self._tasks)
        self._tasks = []
        await self.settlement.close()  # venue lookups in flight must not queue work after the drain
        await self.jobs.drain()
        await self.commands.finish_persisting(self.settings.store_drain_timeout_s)
        self.audit("engine", "stop", self.settings.instance, "")
        self.store_drain = await self.writer.flush(self.settings.store_drain_timeout_s)
        if self.publisher is not None:
            self.out.publish(self.status_view())
            self.out.publish(self.bankroll_view())
            await self.publisher.close()
        await self.ops.close()
