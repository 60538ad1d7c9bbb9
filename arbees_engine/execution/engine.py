"""Execution, run one job at a time from the execution queue (jobs.py; settlement: portfolio/settlement.py).

Order lifecycle (ARCHITECTURE.md, "Store"): the signal's row, then the order's intent are written
to PostgreSQL with a unique client order id BEFORE it is sent; each fill is stored once (fill_id
unique, with its order's filled count in the same transaction) and only a newly stored fill moves
the portfolio and the bankroll (ledger ref "fill:<fill_id>"), so a fill reported twice is counted
once. Fills and the order's final status are retried while the store is down (store/durable.py)
and reach memory only once committed; a restart reconciles what a crash left open
(node/recovery.py).
"""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

import structlog

from ..cache import Registry
from ..control.signal_book import SignalBook
from ..control.state import ControlState
from ..jobs import ExecuteSignal, JobQueue, ResolveOrder
from ..model import Decision, Fill, Leg, Order, OrderStatus, Signal, Venue
from ..model.contracts import WHOLE_STEP, floor_to_step
from ..model.contracts import format_contracts as qty
from ..model.money import ZERO
from ..portfolio import Portfolio
from ..ports import Clock, Outbox
from ..store.durable import Stored, until_stored
from ..store.errors import StoreError, StoreUnavailable
from ..views import fill_view, order_view, position_view
from .broker import Broker
from .legs import LeggedPolicy, Legging, depth_refusal, grid_limits

log = structlog.get_logger(__name__)

RECENT_ORDERS = 200
RESOLVE_RETRY_S = 30.0  # seconds between lookups of an order whose outcome is unknown
RESOLVE_ATTEMPTS = 3  # lookups that must miss before the order counts as never sent


class Executor:
    """Turns approved signals into IOC orders through each venue's `Broker` and keeps portfolio,
    store and bus in step.

    Handed its ports, never the engine: `out`, `clock`, `cache` (markets, books, listings),
    `control` (the kill switch, read before each leg), `store()` (the Store or None, read per
    call), the `portfolio`, the signal book (`signals`: every decision goes through it), the job
    queue (`jobs`: re-checks of unknown outcomes; `jobs.stopping` at shutdown), `live_brokers`
    (Venue → Broker; a venue missing trades on paper through `paper`) and `new_order_id`.
    on_fill(market_id, side, price, contracts): optional hook after each stored fill (the
    simulated venue uses it to remove the liquidity we took).
    """

    def __init__(
        self,
        out: Outbox,
        clock: Clock,
        cache: Registry,
        control: ControlState,
        store: Callable[[], Any],
        portfolio: Portfolio,
        signals: SignalBook,
        jobs: JobQueue,
        live_brokers: Mapping[Venue, Broker],
        paper: Broker,
        new_order_id: Callable[[], str],
        on_fill: Callable[..., None] | None = None,
    ) -> None:
        self.out, self.clock, self.cache, self.control, self.store = out, clock, cache, control, store
        self.portfolio, self.signals, self.jobs = portfolio, signals, jobs
        self.live_brokers, self.paper, self.new_order_id = live_brokers, paper, new_order_id
        self.on_fill = on_fill
        self.recheck: Callable[[Signal], tuple[Decision, str] | None] | None = None  # the kernel wires the trader's
        self.recent_orders: OrderedDict[str, Order] = OrderedDict()
        self.unresolved: dict[str, Order] = {}  # client_order_id → live order whose outcome is unknown
        self._resolve_attempts: Counter[str] = Counter()  # lookups made per unresolved order
        self.orders = self.fills = self.duplicate_fills = 0
        self.contracts_filled = ZERO
        self.legging = Legging(out)  # the kernel sets its policy from settings.strategy

    async def execute(
        self, signal: Signal, recheck: Callable[[Signal], tuple[Decision, str] | None] | None = None
    ) -> None:
        """Send each leg as an IOC order; an ARB's second leg is cut to what the first filled.

        `recheck(signal)` (the trader's `recheck_before_send` for queued signals) runs after the
        signal's row is stored, with no await before the first order intent: a (decision, reason)
        it returns ends the signal with nothing sent (audited as order_blocked).
        Limits go out on the market's tick grid (`price_grid`): a single leg's off-grid limit is
        rounded DOWN (counted as `limit_rounded_to_tick`), so an order never pays more than the
        signal meant; a multi-leg signal with any leg off the grid is refused before any send
        (`limit_off_tick_grid`): its legs are priced together.
        Refused before any send (`engine.reject("execution", code)`): a leg on a venue that is not
        live while another trades live (a real leg hedged by a simulated one is naked), a leg on a
        market with an order of unknown outcome, a limit with no grid price above $0 at or below
        it, an unknown market or grid ("limit_off_tick_grid" / "limit_out_of_range" /
        "unknown_market" / "bad_tick_grid"), and on a live desk a multi-leg signal whose books do
        not show every leg's contracts at its limit ("insufficient_depth"). A second leg that
        fills less than the first runs the legged policy (`_legged`, execution/legs.py); a leg of
        unknown outcome stops the signal and is reconciled later (`resolve_unknown`).
        """
        limits = await self._ready_to_send(signal, recheck)
        if limits is not None:
            await self._send_legs(signal, limits)

    async def _ready_to_send(
        self, signal: Signal, recheck: Callable[[Signal], tuple[Decision, str] | None] | None
    ) -> list[Decimal] | None:
        """The legs' limits on their grids once the signal passed the pre-send checks, is stored and
        re-checked; None when it ends here (its decision recorded, the block audited)."""
        limits, refusal = self._refusal(signal)
        if refusal is not None:
            self.signals.record(signal, Decision.REJECTED, refusal)
            self.out.audit("engine", "order_blocked", signal.signal_id, refusal)
            return None
        if not await self._store_signal(signal):
            self._stop(signal, False, None, "store_unavailable")
            return None
        stale = recheck(signal) if recheck is not None else None
        if stale is not None:
            self.signals.record(signal, *stale)
            self.out.audit("engine", "order_blocked", signal.signal_id, stale[1])
            return None
        return limits

    async def _send_legs(self, signal: Signal, limits: list[Decimal]) -> None:
        """Send the legs in order, each at its limit; an ARB's second leg follows the first's fill."""
        filled_any, target, first = False, None, None
        for leg, limit in zip(signal.legs, limits):
            if not self.control.may_open_positions:
                self.out.audit("engine", "order_blocked", signal.signal_id, "kill switch engaged before send")
                self._stop(signal, filled_any, target, "kill_switch", first)
                return
            contracts = leg.contracts if target is None else min(leg.contracts, target)
            market = self.cache.markets.get(leg.market_id)  # an ARB's 2nd leg follows the 1st's fill
            contracts = floor_to_step(contracts, market.contract_step if market else WHOLE_STEP)
            if contracts <= 0:
                break
            order = self._order(signal, leg, limit, contracts)
            if not await self._write_intent(order):
                self._stop(signal, filled_any, target, "store_unavailable", first)
                return
            filled = await self._send(order)
            filled_any = filled_any or filled > 0
            if order.status is OrderStatus.SENT:  # outcome unknown: never send the next leg blind
                self.signals.record(signal, Decision.EXECUTED if filled_any else Decision.UNFILLED, order.reason)
                return
            if first is not None and target is not None and filled < target:
                await self._legged(signal, first, target - filled)
            target, first = filled, first or order
        self.signals.record(
            signal,
            Decision.EXECUTED if filled_any else Decision.UNFILLED,
            "filled" if filled_any else "no liquidity at the limit",
        )

    def _refusal(self, signal: Signal) -> tuple[list[Decimal], str | None]:
        """(limits on the grid, None), or ([], why the signal is refused before any send). On a live
        desk a multi-leg signal also needs every leg's depth on the book (execution/legs.py)."""
        refusal = self._pre_send_refusal(signal)
        if refusal is not None:
            return [], refusal
        limits, refusal = grid_limits(self.cache, self.out, signal)
        if refusal is None and len(signal.legs) > 1 and self.live_brokers:
            refusal = depth_refusal(signal, limits, self.cache.books)
            if refusal is not None:
                self.out.reject("execution", "insufficient_depth", f"{signal.signal_id}: {refusal}")
        return limits, refusal

    def _order(self, signal: Signal, leg: Leg, limit: Decimal, contracts: int) -> Order:
        return Order(
            client_order_id=self.new_order_id(),
            signal_id=signal.signal_id,
            market_id=leg.market_id,
            venue=leg.venue,
            side=leg.side,
            limit_price=limit,
            contracts=contracts,
            created_at=self.clock(),
            paper=leg.venue not in self.live_brokers,
        )

    async def _legged(self, signal: Signal, first: Order, naked: int) -> None:
        """The second leg filled `naked` contracts less than `first`: audit it and run the legged
        policy (unwind at a bounded loss, or hold and alert: execution/legs.py), counted."""
        self.out.audit(
            "engine", "arb_legged", signal.signal_id, f"{qty(naked)} contracts of the first leg are unhedged"
        )
        self.out.count("legged_arbs")
        legging, why = self.legging, "hold: policy"
        if legging.policy is LeggedPolicy.UNWIND:
            leg, why = legging.unwind_leg(self.cache, first, naked)
            if leg is not None and self.control.may_open_positions:
                order = self._order(signal, leg, leg.limit_price, naked)
                unwound = await self._send(order) if await self._write_intent(order) else 0
                self.out.count("legged_unwinds")
                self.out.count("legged_unwind_contracts", unwound)
                how = f"flattened by {leg.side.value} at ≤{leg.limit_price}: {order.reason}"
                detail = f"{qty(unwound)} of {qty(naked)} {how}"
                self.out.audit("engine", "arb_unwound", signal.signal_id, detail)
                naked, why = naked - unwound, f"unwind filled {qty(unwound)}"
            else:
                why = f"unwind not sent: {why or 'kill switch engaged'}"
        legging.record(signal.signal_id, first, naked, self.clock(), why)

    def _pre_send_refusal(self, signal: Signal) -> str | None:
        live = self.live_brokers
        if live and any(leg.venue not in live for leg in signal.legs):
            return "venue_not_live: a live desk never mixes real and paper legs"
        if any(o.market_id == leg.market_id for o in self.unresolved.values() for leg in signal.legs):
            return "order_outcome_unknown: an earlier order on this market is being reconciled"
        return None

    def watch_unknown(self, order: Order) -> None:
        """Keep an order whose outcome is unknown (audited once; its market takes no new signal) and
        re-check it every RESOLVE_RETRY_S seconds. Restart recovery hands over the orders its own
        lookup could not settle."""
        if order.client_order_id not in self.unresolved:
            self.out.audit("engine", "order_outcome_unknown", order.client_order_id, order.reason)
        self.unresolved[order.client_order_id] = order
        loop = asyncio.get_running_loop()
        loop.call_later(RESOLVE_RETRY_S, self.jobs.put, ResolveOrder(order))

    async def resolve_unknown(self, order: Order) -> None:
        """Look an unknown-outcome order up again: book its fills, or call it never sent after
        RESOLVE_ATTEMPTS lookups that did not find it at the venue. A failed lookup is retried."""
        cid = order.client_order_id
        live = self.live_brokers.get(order.venue)
        if live is None or cid not in self.unresolved:
            return
        self._resolve_attempts[cid] += 1
        try:
            fills = await live.reconcile(order, self.clock())
        except Exception as exc:  # noqa: BLE001 - the venue is still unreachable: it proves nothing
            log.warning("order.lookup_failed", client_order_id=cid, error=repr(exc))
            self.watch_unknown(order)
            return
        if (
            order.status is OrderStatus.SENT
            and not order.venue_order_id
            and self._resolve_attempts[cid] >= RESOLVE_ATTEMPTS
        ):
            order.status, order.reason = OrderStatus.REJECTED, "never reached the venue (not found by client order id)"
        if order.status is OrderStatus.SENT:
            self.watch_unknown(order)
            return
        del self.unresolved[cid], self._resolve_attempts[cid]
        for fill in fills:  # as in _send: fills first, then the order's final status
            await self.apply_fill(fill)
        await self.store_status(order)
        self.out.publish(order_view(order))
        self.out.audit("engine", "order_resolved", cid, f"{order.status.value} {qty(order.filled_contracts)}")

    def _stop(
        self, signal: Signal, filled_any: bool, unhedged: Decimal | None, reason: str, first: Order | None = None
    ) -> None:
        """End `signal` before its next leg is sent (kill switch, no order intent stored). With
        fills already booked it is EXECUTED, not rejected, and a first leg left without its hedge
        (`unhedged` contracts) is audited as arb_legged so the operator sees the naked size."""
        if not filled_any:
            self.signals.record(signal, Decision.REJECTED, reason)
            return
        if unhedged:
            self.out.audit(
                "engine",
                "arb_legged",
                signal.signal_id,
                f"{qty(unhedged)} contracts of the first leg are unhedged: {reason} before the next leg",
            )
            if first is not None:
                self.legging.record(signal.signal_id, first, unhedged, self.clock(), f"hold: {reason}")
        self.signals.record(signal, Decision.EXECUTED, f"{reason} before the next leg")

    def until_stored(self, what: str, write: Callable[[], Awaitable[object]]) -> Awaitable[Stored[object]]:
        """`durable.until_stored` for this engine: retried until committed or the desk stops."""
        return until_stored(what, write, stopping=lambda: self.jobs.stopping, counts=self.out.counts)

    async def _store_signal(self, signal: Signal) -> bool:
        """Store the signal's row (awaited) before its first order intent, so no order lacks it;
        False (logged) when the store cannot: then nothing is sent (its decision goes through
        the store writer, which keeps retrying)."""
        store = self.store()
        if store is None:
            return True
        try:
            await store.upsert_signal(signal)
        except StoreError as exc:
            log.error("signal.store_failed", signal_id=signal.signal_id, error=repr(exc))
            return False
        return True

    async def _write_intent(self, order: Order) -> bool:
        """Store the order's intent before it is sent; False (logged) when the store cannot. An
        outage may have cut the reply of a write that committed: the order is then closed as never
        sent through the store writer (retried until the store is back)."""
        store = self.store()
        if store is None:
            return True
        try:
            await store.insert_order_intent(order)
        except Exception as exc:  # noqa: BLE001 - no intent stored → never send
            log.error("order.intent_failed", client_order_id=order.client_order_id, error=repr(exc))
            if isinstance(exc, StoreUnavailable):
                self.out.submit(
                    "order",
                    lambda cid=order.client_order_id: store.close_unsent_order(
                        cid, "never sent: the store did not confirm its intent"
                    ),
                )
            return False
        return True

    async def store_status(self, order: Order) -> None:
        """Store the order's status after its fills, retried while the store is down."""
        store = self.store()
        if store is not None:
            await self.until_stored("order", lambda: store.update_order(order))

    async def _send(self, order: Order) -> Decimal:
        """Execute `order` (live broker of its venue if authorised, else paper against the current
        book); returns contracts filled."""
        order.status = OrderStatus.SENT
        # an authorised live venue (ARBEES_LIVE + authorisation + credentials), else paper on the book
        broker = self.live_brokers.get(order.venue, self.paper)
        fills = await broker.execute(order, self.clock())
        self.orders += 1
        self._remember(order)
        self.out.publish(order_view(order))
        self.out.audit(
            "engine",
            "order",
            order.client_order_id,
            f"{order.side.value} {qty(order.contracts)} {order.market_id} @≤{order.limit_price} → {order.status.value} {qty(order.filled_contracts)}",  # noqa: E501
            store=False,
        )  # the orders table trigger writes the store's audit row
        for fill in fills:  # fills first: if booking fails the stored order stays open for reconciling
            await self.apply_fill(fill)
        await self.store_status(order)
        if order.status is OrderStatus.SENT:
            self.watch_unknown(order)
        return order.filled_contracts

    def _remember(self, order: Order) -> None:
        self.recent_orders[order.client_order_id] = order
        while len(self.recent_orders) > RECENT_ORDERS:
            old_id, _ = self.recent_orders.popitem(last=False)
            self.out.remove("order", old_id)

    async def apply_fill(self, fill: Fill) -> bool:
        """Book `fill` once: the store takes fill, fee, the order's filled count and the resulting
        position in one transaction (retried while the store is down), then the in-memory
        portfolio follows. Returns True if new (a repeat changes nothing). Raises StoreUnavailable
        when the desk stops before the store is back (the fill is then reconciled at restart)."""
        market = self.cache.markets[fill.market_id]
        store, portfolio = self.store(), self.portfolio
        if portfolio.has_fill(fill.fill_id):
            self.duplicate_fills += 1
            return False
        if store is not None:
            position = portfolio.preview_fill(fill, market.game_id)
            booked = await self.until_stored("fill", lambda: store.book_fill(fill, position))
            if not booked.value and not booked.retried:  # stored before this run: already in the book
                self.duplicate_fills += 1
                return False
            # "already stored" after a failed attempt: that attempt committed and lost its reply
        game = self.cache.games.get(market.game_id)
        portfolio.apply_fill(fill, market.game_id, game.sport if game else None)
        self.fills += 1
        self.contracts_filled += fill.contracts
        position = portfolio.position(fill.market_id, fill.side)
        self.out.publish(fill_view(fill))
        self.out.publish(position_view(position))
        self.out.audit(
            "engine",
            "fill",
            fill.fill_id,
            f"{fill.side.value} {qty(fill.contracts)} {fill.market_id} @ {fill.price} fee {fill.fee}",
            store=False,
        )
        if self.on_fill is not None:
            self.on_fill(fill.market_id, fill.side, fill.price, fill.contracts)
        return True

    async def run_signal(self, job: ExecuteSignal) -> None:
        """The ExecuteSignal handler: execute the approved signal, then release its reservation."""
        try:
            await self.execute(job.signal, recheck=self.recheck)
        finally:
            self.signals.release(job.signal.signal_id)

    async def resolve(self, job: ResolveOrder) -> None:
        """The ResolveOrder handler (`resolve_unknown`)."""
        await self.resolve_unknown(job.order)
