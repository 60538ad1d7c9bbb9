"""What the engine does with the store's book when it starts again after a stop or a crash.

1. The portfolio (positions, bankroll ledger totals, today's P&L) is rebuilt from the store.
2. Paper orders a crash left `intent` or `sent` are closed from their stored fills
   (`Store.reconcile_paper_orders`): with no fill CANCELLED (never sent), else FILLED/PARTIAL by
   the fills (a paper order exists only in the process that sent it, so its booked fills are all
   it did). An order is paper when its venue had no live broker as it was written.
3. Open positions on simulated markets belong to a world that died with its process. A market
   whose game the store knows FINAL is settled on that result (paid, as the live engine would
   have: the feed's stored expectation, else the stored final score); a market whose game never
   finished (or was postponed/cancelled) is voided (cost returned, fees kept).
4. Live orders left `intent`/`sent`, and any open order on a venue that trades live in this run,
   are looked up at their venue by client order id; their fills are stored once and applied
   (ARCHITECTURE.md, "Store").
Each step is counted in `engine.counts` ("recovered_*", shown by `arbees-engine status`), logged
and audited. Raises StoreError when the store cannot answer (the engine then does not start).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC
from decimal import Decimal
from typing import Any

import structlog

from ..cache import Registry
from ..execution.broker import Broker
from ..model import Fill, GameStatus, Order, OrderStatus, Sport, Venue
from ..portfolio import Portfolio
from ..portfolio.settlement import is_simulated
from ..ports import Clock, Outbox
from ..store.settlements import SettlementVerdict

log = structlog.get_logger(__name__)

NEVER_SENT = "reconciled at restart: paper order with no fill booked before the engine stopped"
FROM_FILLS = "reconciled at restart: status from the fills booked before the engine stopped"


class Recovery:
    """Runs the start-up reconciliation of one engine (`run`), after which `counts` says what it did."""

    def __init__(
        self,
        out: Outbox,
        clock: Clock,
        store: Callable[[], Any],
        cache: Registry,
        portfolio: Portfolio,
        live_brokers: Mapping[Venue, Broker],
        starting_bankroll: Decimal,
        close_market: Callable[..., Awaitable[Decimal]],
        apply_fill: Callable[[Fill], Awaitable[bool]],
        watch_unknown: Callable[[Order], None] = lambda order: None,
    ) -> None:
        self.out, self.clock, self.store, self.cache, self.portfolio = out, clock, store, cache, portfolio
        self.live_brokers, self.starting_bankroll = live_brokers, starting_bankroll
        self.close_market, self.apply_fill, self.watch_unknown = close_market, apply_fill, watch_unknown

    def _count(self, what: str, n: int = 1) -> None:
        if n:
            self.out.count(f"recovered_{what}", n)

    async def run(self) -> None:
        """Restore, then reconcile orders and orphaned simulated positions (module docstring)."""
        positions = await self._restore_portfolio()
        await self._reconcile_paper_orders()
        await self._settle_orphans()
        await self._reconcile_live_orders()
        done = {k: v for k, v in self.out.counts.items() if k.startswith("recovered_")}
        log.info("portfolio.restored", positions=positions, realized=str(self.portfolio.bankroll.realized_pnl), **done)

    async def _restore_portfolio(self) -> int:
        store = self.store()
        bankroll = await store.init_bankroll(self.starting_bankroll)
        positions = await store.load_positions(include_settled=True)
        sports = {}
        for game_id in {p.game_id for p in positions if p.contracts > 0}:
            row = await store.load_game_row(game_id)
            if row is not None:
                sports[game_id] = Sport(row["sport"])
        now = self.clock()
        day_start = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self.portfolio.restore(
            positions,
            bankroll.realized_pnl,
            bankroll.fees,
            game_sports=sports,
            at=now,
            day_net_pnl=await store.ledger_net_since(day_start),
            day_fees=await store.ledger_fees_since(day_start),
            starting=bankroll.starting,
        )
        return len(positions)

    async def _reconcile_paper_orders(self) -> None:
        live = [venue.value for venue in self.live_brokers]
        for client_order_id, status, filled in await self.store().reconcile_paper_orders(NEVER_SENT, FROM_FILLS, live):
            self._count("orders_never_sent" if filled == 0 else "orders_from_fills")
            log.info("order.reconciled", client_order_id=client_order_id, status=status, filled=filled)
            self.out.audit("engine", "order_reconciled", client_order_id, f"{status} {filled} (paper, at restart)")

    async def _settle_orphans(self) -> None:
        """Settle (paid) or void each open simulated position left by an earlier session."""
        portfolio = self.portfolio
        orphans = sorted({(p.market_id, p.game_id) for p in portfolio.positions() if is_simulated(p.market_id)})
        for market_id, game_id in orphans:
            result, why = await self._stored_result(market_id, game_id)
            verdict = None
            if result in ("yes", "no"):
                verdict = SettlementVerdict(market_id, game_id, result, result, self.clock())
            await self.close_market(market_id, result, why, verdict)
            paid = result != "void"
            self._count("settlements_paid" if paid else "positions_voided")
            self.out.audit("engine", "settle_orphan" if paid else "void_orphan", market_id, why)

    async def _stored_result(self, market_id: str, game_id: str) -> tuple[str, str]:
        """("yes"/"no"/"void", why) for an orphaned simulated market, from what the store kept."""
        store = self.store()
        expected = await store.load_settlement_expectation(market_id)
        if expected is not None:
            return expected, "simulated game final in an earlier session (stored result)"
        row = await store.load_game_row(game_id)
        status = row["status"] if row is not None else None
        if status != GameStatus.FINAL.value:
            return "void", f"simulated market from an earlier session (game {status or 'unknown'})"
        if row["sport"] == Sport.SOCCER.value and row["period"] > 2:
            return "void", "simulated soccer game went to extra time: its 90-minute score is unknown"
        market = next((m for m in await store.load_markets(game_id) if m.market_id == market_id), None)
        if market is None:
            return "void", "simulated market from an earlier session (market not stored)"
        home, away = row["home_score"], row["away_score"]
        winner = "draw" if home == away else "home" if home > away else "away"
        return (
            "yes" if winner == market.outcome.value else "no",
            f"simulated game final in an earlier session: {row['away']} {away}-{home} {row['home']}",
        )

    async def _reconcile_live_orders(self) -> None:
        """Orders a crash left as intent/sent on a live venue are looked up there by client order
        id; their fills are stored once and applied. Without that venue's live broker they stay
        open (counted as recovered_live_orders_unchecked) until a live engine starts."""
        store = self.store()
        brokers = self.live_brokers
        open_orders = [
            o
            for o in await store.load_orders(statuses=[OrderStatus.INTENT, OrderStatus.SENT])
            if not o.paper or o.venue in brokers
        ]
        if not open_orders:
            return
        stored_markets = {m.market_id: m for m in await store.load_markets()}
        for order in open_orders:
            broker = brokers.get(order.venue)
            market = self.cache.markets.get(order.market_id) or stored_markets.get(order.market_id)
            if broker is None or market is None:
                self._count("live_orders_unchecked")
                log.warning(
                    "order.unreconciled",
                    client_order_id=order.client_order_id,
                    reason="no live broker for its venue" if broker is None else "market unknown",
                )
                continue
            self.cache.add_market(market)
            await self._reconcile_live_order(store, broker, order)

    async def _reconcile_live_order(self, store: Any, broker: Broker, order: Order) -> None:
        """Look one live order up at its venue. A lookup that fails (venue unreachable, an unreadable
        answer) or leaves the outcome unknown hands the order to `watch_unknown` (the execution
        engine's unresolved orders: its market is blocked and the lookup retried), never raises."""
        try:
            fills = await broker.reconcile(order, self.clock())
        except Exception as exc:  # noqa: BLE001 - a failed lookup proves nothing: keep watching the order
            log.warning("order.lookup_failed", client_order_id=order.client_order_id, error=repr(exc))
            self._count("live_orders_unknown")
            self.watch_unknown(order)
            return
        for fill in fills:
            await self.apply_fill(fill)
        await store.update_order(order)
        if order.status in (OrderStatus.INTENT, OrderStatus.SENT):
            self._count("live_orders_unknown")
            self.watch_unknown(order)
            return
        self._count("live_orders")
        self.out.audit("engine", "order_reconciled", order.client_order_id, order.status.value)
