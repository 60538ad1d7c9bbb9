"""Execution, run one job at a time from the desk's queue (settlement: runtime/settlement.py).

Order lifecycle (ARCHITECTURE.md, "Store"): the signal's row, then the order's intent are written
to PostgreSQL with a unique client order id BEFORE it is sent; each fill is stored once (fill_id
unique, with its order's filled count in the same transaction) and only a newly stored fill moves
the portfolio and the bankroll (ledger ref "fill:<fill_id>"), so a fill reported twice is counted
once. Fills and the order's final status are retried while the store is down (runtime/durable.py)
and reach memory only once committed; a restart reconciles what a crash left open
(runtime/recovery.py).
"""

from __future__ import annotations

import asyncio
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING

import structlog

from ..model import Decision, Fill, Leg, Order, OrderStatus, Signal
from ..model.market import Rounding, TickError, price_grid
from ..store.errors import StoreError, StoreUnavailable
from .durable import Stored, until_stored
from .recovery import Recovery
from .views import fill_view, order_view, position_view

if TYPE_CHECKING:
    from .trading import TradingDesk

log = structlog.get_logger(__name__)

RECENT_ORDERS = 200
RESOLVE_RETRY_S = 30.0  # seconds between lookups of an order whose outcome is unknown
RESOLVE_ATTEMPTS = 3  # lookups that must miss before the order counts as never sent


class Executor:
    """Turns approved signals into paper IOC orders and keeps portfolio, store and bus in step.

    on_fill(market_id, side, price, contracts): optional hook after each stored fill (the
    simulated venue uses it to remove the liquidity we took).
    """

    def __init__(self, desk: "TradingDesk", on_fill: Callable[..., None] | None = None) -> None:
        self.desk = desk
        self.engine = desk.engine
        self.on_fill = on_fill
        self.recent_orders: OrderedDict[str, Order] = OrderedDict()
        self.unresolved: dict[str, Order] = {}  # client_order_id → live order whose outcome is unknown
        self._resolve_attempts: Counter[str] = Counter()  # lookups made per unresolved order
        self.orders = self.fills = self.contracts_filled = self.duplicate_fills = 0
        self.recovery = Recovery(self)

    async def execute(self, signal: Signal,
                      recheck: Callable[[Signal], tuple[Decision, str] | None] | None = None) -> None:
        """Send each leg as an IOC order; an ARB's second leg is cut to what the first filled.

        `recheck(signal)` (the desk's `recheck_before_send` for queued signals) runs after the
        signal's row is stored, with no await before the first order intent: a (decision, reason)
        it returns ends the signal with nothing sent (audited as order_blocked).

        Each leg's limit (dollars for the leg's own contract) is sent on its market's tick grid
        (`price_grid`): a single leg's off-grid limit is rounded DOWN to the nearest grid price below
        it, so an order never pays more than the signal meant (counted in
        `engine.counts["limit_rounded_to_tick"]`). A multi-leg signal (arbitrage) with any leg off the
        grid is refused before any send (`limit_off_tick_grid`): its legs are priced together, and a
        rounded second leg could miss after the first filled.

        Refused before any send: a leg on a venue that is not live while another venue trades
        live (a real leg hedged by a simulated one is a naked position), a leg on a market
        with an order whose outcome is still unknown, and a leg whose limit has no grid price
        above $0 at or below it, or whose market or grid is unknown (reason "limit_off_tick_grid:
        …" / "limit_out_of_range: …" / "unknown_market: …" / "bad_tick_grid: …", counted as
        `engine.reject("execution", code)`).
        A leg whose outcome is unknown stops the signal and is reconciled later (`resolve_unknown`).
        """
        refusal = self._pre_send_refusal(signal)
        limits: list[Decimal] = []
        if refusal is None:
            limits, refusal = self._grid_limits(signal)
        if refusal is not None:
            self.desk.record(signal, Decision.REJECTED, refusal)
            self.engine.audit("engine", "order_blocked", signal.signal_id, refusal)
            return
        if not await self._store_signal(signal):
            self._stop(signal, False, None, "store_unavailable")
            return
        stale = recheck(signal) if recheck is not None else None
        if stale is not None:
            self.desk.record(signal, *stale)
            self.engine.audit("engine", "order_blocked", signal.signal_id, stale[1])
            return
        filled_any, target = False, None
        for leg, limit in zip(signal.legs, limits):
            if not self.engine.control.may_open_positions:
                self.engine.audit("engine", "order_blocked", signal.signal_id, "kill switch engaged before send")
                self._stop(signal, filled_any, target, "kill_switch")
                return
            contracts = leg.contracts if target is None else min(leg.contracts, target)
            if contracts <= 0:
                break
            order = Order(client_order_id=self.desk.new_order_id(), signal_id=signal.signal_id, market_id=leg.market_id,
                          venue=leg.venue, side=leg.side, limit_price=limit, contracts=contracts,
                          created_at=self.engine.clock(), paper=leg.venue not in self.engine.live_brokers)
            if not await self._write_intent(order):
                self._stop(signal, filled_any, target, "store_unavailable")
                return
            filled = await self._send(order)
            filled_any = filled_any or filled > 0
            if order.status is OrderStatus.SENT:  # outcome unknown: never send the next leg blind
                self.desk.record(signal, Decision.EXECUTED if filled_any else Decision.UNFILLED, order.reason)
                return
            if target is not None and filled < target:
                self.engine.audit("engine", "arb_legged", signal.signal_id,
                                  f"{target - filled} contracts of the first leg are unhedged")
            target = filled
        self.desk.record(signal, Decision.EXECUTED if filled_any else Decision.UNFILLED,
                         "filled" if filled_any else "no liquidity at the limit")

    def _pre_send_refusal(self, signal: Signal) -> str | None:
        live = self.engine.live_brokers
        if live and any(leg.venue not in live for leg in signal.legs):
            return "venue_not_live: a live desk never mixes real and paper legs"
        if any(o.market_id == leg.market_id for o in self.unresolved.values() for leg in signal.legs):
            return "order_outcome_unknown: an earlier order on this market is being reconciled"
        return None

    def _grid_limits(self, signal: Signal) -> tuple[list[Decimal], str | None]:
        """Every leg's limit (dollars) on its market's tick grid, rounded DOWN; or ([], refusal)
        naming the first leg that cannot be sent, counted as `engine.reject("execution", code)`."""
        limits: list[Decimal] = []
        for leg in signal.legs:
            limit, refusal = self._grid_limit(leg)
            if refusal is not None:
                code, _, detail = refusal.partition(": ")
                self.engine.reject("execution", code, f"{signal.signal_id}: {detail}")
                return [], refusal
            if limit != leg.limit_price and len(signal.legs) > 1:
                # the legs were priced together off the books: a leg rounded away from the price the
                # arbitrage saw may not fill after the first leg did, leaving a naked position
                refusal = (f"limit_off_tick_grid: {leg.market_id} {leg.side.value} limit {leg.limit_price} is off "
                           f"the grid (nearest below {limit}); a multi-leg signal is sent only at its own prices")
                self.engine.reject("execution", "limit_off_tick_grid", f"{signal.signal_id}: {refusal}")
                return [], refusal
            if limit != leg.limit_price:
                self.engine.counts["limit_rounded_to_tick"] += 1
                log.info("order.limit_rounded_to_tick", signal_id=signal.signal_id, market_id=leg.market_id,
                         side=leg.side.value, limit=str(leg.limit_price), sent=str(limit))
            limits.append(limit)
        return limits, None

    def _grid_limit(self, leg: Leg) -> tuple[Decimal, None] | tuple[None, str]:
        """(limit on the grid, None) or (None, "code: detail"). The grid is the market's
        `price_grid` with its latest listing's schedule (Kalshi `price_ranges`)."""
        if not (leg.limit_price.is_finite() and 0 < leg.limit_price <= 1):
            return None, f"limit_out_of_range: {leg.market_id} {leg.side.value} limit {leg.limit_price} is not in (0, 1]"
        registry = self.engine.registry
        market = registry.markets.get(leg.market_id)
        if market is None:
            return None, f"unknown_market: {leg.market_id} is not registered, its tick grid is unknown"
        listing = registry.listings.get(leg.market_id)
        try:
            grid = price_grid(market, listing.extra if listing is not None else None)
        except TickError as exc:
            return None, f"bad_tick_grid: {leg.market_id}: {exc}"
        limit = grid.round_for(leg.side, leg.limit_price, Rounding.DOWN)
        if limit is None or limit <= 0:
            return None, (f"limit_off_tick_grid: {leg.market_id} {leg.side.value} limit {leg.limit_price} has no "
                          f"grid price above $0 at or below it (grid {grid.text})")
        return limit, None

    def _watch_unknown(self, order: Order) -> None:
        """Keep an order whose outcome is unknown (audited once) and re-check it every RESOLVE_RETRY_S."""
        if order.client_order_id not in self.unresolved:
            self.engine.audit("engine", "order_outcome_unknown", order.client_order_id, order.reason)
        self.unresolved[order.client_order_id] = order
        loop = asyncio.get_running_loop()
        loop.call_later(RESOLVE_RETRY_S, self.desk.queue.put_nowait, lambda o=order: self.resolve_unknown(o))

    async def resolve_unknown(self, order: Order) -> None:
        """Look an unknown-outcome order up again: book its fills, or call it never sent after
        RESOLVE_ATTEMPTS lookups that did not find it at the venue. A failed lookup is retried."""
        cid = order.client_order_id
        live = self.engine.live_brokers.get(order.venue)
        if live is None or cid not in self.unresolved:
            return
        self._resolve_attempts[cid] += 1
        try:
            fills = await live.reconcile(order, self.engine.clock())
        except Exception as exc:  # noqa: BLE001 - the venue is still unreachable: it proves nothing
            log.warning("order.lookup_failed", client_order_id=cid, error=repr(exc))
            self._watch_unknown(order)
            return
        if order.status is OrderStatus.SENT and not order.venue_order_id and self._resolve_attempts[cid] >= RESOLVE_ATTEMPTS:
            order.status, order.reason = OrderStatus.REJECTED, "never reached the venue (not found by client order id)"
        if order.status is OrderStatus.SENT:
            self._watch_unknown(order)
            return
        del self.unresolved[cid], self._resolve_attempts[cid]
        for fill in fills:  # as in _send: fills first, then the order's final status
            await self.apply_fill(fill)
        await self.store_status(order)
        self.engine._publish(order_view(order))
        self.engine.audit("engine", "order_resolved", cid, f"{order.status.value} {order.filled_contracts}")

    def _stop(self, signal: Signal, filled_any: bool, unhedged: int | None, reason: str) -> None:
        """End `signal` before its next leg is sent (kill switch, no order intent stored). With
        fills already booked it is EXECUTED, not rejected, and a first leg left without its hedge
        (`unhedged` contracts) is audited as arb_legged so the operator sees the naked size."""
        if not filled_any:
            self.desk.record(signal, Decision.REJECTED, reason)
            return
        if unhedged:
            self.engine.audit("engine", "arb_legged", signal.signal_id,
                              f"{unhedged} contracts of the first leg are unhedged: {reason} before the next leg")
        self.desk.record(signal, Decision.EXECUTED, f"{reason} before the next leg")

    def until_stored(self, what: str, write: Callable[[], Awaitable[object]]) -> Awaitable[Stored]:
        """`durable.until_stored` for this engine: retried until committed or the desk stops."""
        return until_stored(what, write, stopping=lambda: self.desk.stopping, counts=self.engine.counts)

    async def _store_signal(self, signal: Signal) -> bool:
        """Store the signal's row (awaited) before its first order intent, so no order lacks it;
        False (logged) when the store cannot: then nothing is sent (its decision goes through
        the store writer, which keeps retrying)."""
        store = self.engine.store
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
        store = self.engine.store
        if store is None:
            return True
        try:
            await store.insert_order_intent(order)
        except Exception as exc:  # noqa: BLE001 - no intent stored → never send
            log.error("order.intent_failed", client_order_id=order.client_order_id, error=repr(exc))
            if isinstance(exc, StoreUnavailable):
                self.engine.writer.submit("order", lambda cid=order.client_order_id: store.close_unsent_order(
                    cid, "never sent: the store did not confirm its intent"))
            return False
        return True

    async def store_status(self, order: Order) -> None:
        """Store the order's status after its fills, retried while the store is down."""
        store = self.engine.store
        if store is not None:
            await self.until_stored("order", lambda: store.update_order(order))

    async def _send(self, order: Order) -> int:
        """Execute `order` (live broker of its venue if authorised, else paper against the current
        book); returns contracts filled."""
        book = self.engine.registry.books.get(order.market_id)
        order.status = OrderStatus.SENT
        live = self.engine.live_brokers.get(order.venue)
        if live is not None:  # authorised live venue (ARBEES_LIVE + authorisation + credentials)
            fills = await live.execute(order, self.engine.clock())
        elif book is not None:
            fills = self.desk.broker.execute(order, book, self.engine.clock())
        else:
            fills = []
            order.status, order.reason = OrderStatus.REJECTED, "no book"
        self.orders += 1
        self._remember(order)
        self.engine._publish(order_view(order))
        self.engine.audit("engine", "order", order.client_order_id,
                          f"{order.side.value} {order.contracts} {order.market_id} @≤{order.limit_price} → {order.status.value} {order.filled_contracts}",
                          store=False)  # the orders table trigger writes the store's audit row
        for fill in fills:  # fills first: if booking fails the stored order stays open for reconciling
            await self.apply_fill(fill)
        await self.store_status(order)
        if order.status is OrderStatus.SENT:
            self._watch_unknown(order)
        return order.filled_contracts

    def _remember(self, order: Order) -> None:
        self.recent_orders[order.client_order_id] = order
        while len(self.recent_orders) > RECENT_ORDERS:
            old_id, _ = self.recent_orders.popitem(last=False)
            if self.engine.publisher is not None:
                self.engine.publisher.remove("order", old_id)

    async def apply_fill(self, fill: Fill) -> bool:
        """Book `fill` once: the store takes fill, fee, the order's filled count and the resulting
        position in one transaction (retried while the store is down), then the in-memory
        portfolio follows. Returns True if new (a repeat changes nothing). Raises StoreUnavailable
        when the desk stops before the store is back (the fill is then reconciled at restart)."""
        market = self.engine.registry.markets[fill.market_id]
        store, portfolio = self.engine.store, self.desk.portfolio
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
        game = self.engine.registry.games.get(market.game_id)
        portfolio.apply_fill(fill, market.game_id, game.sport if game else None)
        self.fills += 1
        self.contracts_filled += fill.contracts
        position = portfolio.position(fill.market_id, fill.side)
        self.engine._publish(fill_view(fill))
        self.engine._publish(position_view(position))
        self.engine.audit("engine", "fill", fill.fill_id,
                          f"{fill.side.value} {fill.contracts} {fill.market_id} @ {fill.price} fee {fill.fee}", store=False)
        if self.on_fill is not None:
            self.on_fill(fill.market_id, fill.side, fill.price, fill.contracts)
        return True

    async def restore(self) -> None:
        """Rebuild the portfolio from the store after a restart and reconcile what a crash left
        open (orders, settlements of simulated games): runtime/recovery.py."""
        await self.recovery.run()
