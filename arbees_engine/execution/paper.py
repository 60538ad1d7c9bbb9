"""Paper broker: immediate-or-cancel limit buys filled against the live book, no venue traffic.

Choices (documented because they shape paper P&L):
- One Fill per book level touched; fees = fees.order_fill_fees over the order's fills, the same
  function edge estimates use (model/depth.fees). Venues charge per match: Kalshi ceils each
  fill's trade fee to $0.0001, rounds the balance to the cent and rebates the accumulated
  rounding across the order (docs.kalshi.com/getting_started/fee_rounding), so 10 @ 0.50 then
  10 @ 0.52 costs $0.35, not two cent-rounded $0.18s.
- Book sizes may be finer than the market trades; each level is floored to the market's contract
  step (`Market.contract_step`: whole contracts, or 0.01 on a fractional market), so a fractional
  order of 2.50 fills 2.50 and pays the fee on 2.50.
- Liquidity a paper order took is remembered per market until the book changes (new `seq` or
  `updated_at`): a second order against the same, unchanged book cannot fill the same size.
  The venue's next update replaces those levels with the truth. The book itself is not mutated.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import structlog

from arbees_engine.model import BookLevel, Fill, Market, Order, OrderBook, OrderStatus, depth
from arbees_engine.model.contracts import on_step
from arbees_engine.model.fees import order_fill_fees
from arbees_engine.model.money import ZERO

log = structlog.get_logger(__name__)


class PaperBroker:
    """Fills IOC orders from a book.

    markets: market_id → Market (for the fee schedule); a live mapping is fine (read per order).
    """

    def __init__(self, markets: Mapping[str, Market]) -> None:
        self._markets = markets
        # market_id → (book version, {(side, price): contracts already taken})
        self._taken: dict[str, tuple[tuple[object, object], dict[tuple[str, Decimal], Decimal]]] = {}

    def _taken_for(self, book: OrderBook) -> dict[tuple[str, Decimal], Decimal]:
        version = (book.seq, book.updated_at)
        current = self._taken.get(book.market_id)
        if current is None or current[0] != version:
            current = (version, {})
            self._taken[book.market_id] = current
        return current[1]

    def execute(self, order: Order, book: OrderBook, now: datetime) -> list[Fill]:
        """Fill `order` immediately against `book` up to its limit price and contracts; cancel the rest.

        Sets order.status (FILLED, PARTIAL, CANCELLED, or REJECTED for an unknown market, a book
        of another market, non-positive contracts or contracts off the market's step),
        order.filled_contracts (Decimal contracts) and order.reason.
        Returns the fills (fill_id "<client_order_id>-<n>", n from 1), best price first.
        """
        reason = self._reject_reason(order, book)
        if reason:
            order.status, order.reason = OrderStatus.REJECTED, reason
            log.warning("paper_order_rejected", client_order_id=order.client_order_id, reason=reason)
            return []
        if book.stale:
            order.status, order.reason = OrderStatus.CANCELLED, "stale_book"
            return []
        market = self._markets[order.market_id]
        schedule = market.fees
        taken = self._taken_for(book)
        levels = [
            BookLevel(lv.price, lv.size - taken.get((order.side.value, lv.price), ZERO))
            for lv in book.asks_for(order.side)
        ]
        takes = depth.walk(levels, order.contracts, order.limit_price, market.contract_step)
        fees = order_fill_fees(schedule, [(take.price, take.contracts) for take in takes])
        fills = []
        for n, (take, fee) in enumerate(zip(takes, fees, strict=True), start=1):
            key = (order.side.value, take.price)
            taken[key] = taken.get(key, ZERO) + take.contracts
            fills.append(
                Fill(
                    fill_id=f"{order.client_order_id}-{n}",
                    client_order_id=order.client_order_id,
                    market_id=order.market_id,
                    venue=order.venue,
                    side=order.side,
                    price=take.price,
                    contracts=take.contracts,
                    fee=fee,
                    filled_at=now,
                )
            )
        order.filled_contracts = sum((f.contracts for f in fills), ZERO)
        if order.filled_contracts == order.contracts:
            order.status = OrderStatus.FILLED
        elif order.filled_contracts:
            order.status, order.reason = OrderStatus.PARTIAL, "ioc_remainder_cancelled"
        else:
            order.status, order.reason = OrderStatus.CANCELLED, "no_liquidity_at_limit"
        return fills

    def _reject_reason(self, order: Order, book: OrderBook) -> str:
        if order.market_id not in self._markets:
            return "unknown_market"
        if book.market_id != order.market_id:
            return "book_market_mismatch"
        if order.contracts <= 0:
            return "non_positive_contracts"
        if not on_step(Decimal(order.contracts), self._markets[order.market_id].contract_step):
            return "off_step_contracts"
        if not (Decimal(0) <= order.limit_price <= Decimal(1)):
            return "limit_out_of_range"
        return ""
