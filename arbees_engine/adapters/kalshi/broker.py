"""Live Kalshi execution: an IOC order through `KalshiOrderClient`, its fills as domain Fills.

Used by the engine's executor only when live trading is authorised (ARBEES_LIVE=1 and the
authorisation phrase and credentials; see orders.py). Fill fields per
https://docs.kalshi.com/api-reference/portfolio/get-fills: `fill_id` (or `trade_id`), `count_fp`
(or legacy `count`), `yes_price_dollars`/`no_price_dollars` (or legacy cents `yes_price`/`no_price`).
The fee is the fill's own `fee_cost` (dollars) when the venue reports it, since Kalshi rounds fees
per order and refunds the rounding across fills; otherwise it is computed from the market's fee
schedule (Kalshi fee schedule PDF).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import httpx
import structlog

from ...model import Fill, Market, Order, OrderStatus, Side
from ...model.contracts import parse_contracts
from ...model.fees import taker_fee
from ...model.money import MoneyError, cents_to_price, to_decimal, to_price
from ..base import Broker
from .orders import InvalidOrder, KalshiApiError, KalshiOrderClient, RateLimited

log = structlog.get_logger(__name__)


class KalshiLiveBroker(Broker):
    """Sends orders to Kalshi (an execution.broker.Broker). `markets`: market_id → Market (for fee
    schedules), read per order."""

    def __init__(self, client: KalshiOrderClient, markets: Mapping[str, Market]) -> None:
        self.client = client
        self.markets = markets
        self.bad_fills = 0

    async def execute(self, order: Order, now: datetime) -> list[Fill]:
        """Place `order` (IOC, its client_order_id makes a resend idempotent) and return its fills.

        A definite venue refusal (4xx), or a limit the client cannot write exactly as a 4-decimal
        dollar string (`orders.price_dollars`; never sent), marks the order REJECTED. A lost reply
        or a 5xx is looked up by client order id; if that lookup (or reading the fills) fails too,
        the order stays SENT with reason "outcome unknown" and no fills: the executor reconciles it
        later and refuses new orders on the market meanwhile. Never raises.
        """
        order.paper = False
        try:
            try:
                await self.client.place_ioc(order)
            except RateLimited as exc:  # retries exhausted before the venue took the order
                order.status, order.reason = OrderStatus.REJECTED, str(exc)[:200]
                return []
            except InvalidOrder:  # never sent: place_ioc marked it REJECTED with the reason
                log.error("kalshi.order_invalid", client_order_id=order.client_order_id, reason=order.reason)
                return []
            except KalshiApiError as exc:
                if order.status is OrderStatus.REJECTED:
                    return []
                log.warning("kalshi.order_outcome_unknown", client_order_id=order.client_order_id, error=str(exc))
                await self.client.reconcile(order)
            except httpx.TransportError as exc:
                log.warning("kalshi.order_reply_lost", client_order_id=order.client_order_id, error=str(exc))
                await self.client.reconcile(order)
            if order.status is OrderStatus.SENT and not order.venue_order_id:
                order.reason = "outcome unknown: not found at the venue yet"
            return await self._fills(order, now)
        except (KalshiApiError, RateLimited, httpx.HTTPError) as exc:
            order.status, order.reason = OrderStatus.SENT, f"outcome unknown: {str(exc)[:160]}"
            log.error("kalshi.order_unresolved", client_order_id=order.client_order_id, error=str(exc))
            return []

    async def reconcile(self, order: Order, now: datetime) -> list[Fill]:
        """After a restart: look `order` up by client order id, refresh its status and return its
        fills (the executor stores each once). An order that never reached the venue stays as is."""
        await self.client.reconcile(order)
        return await self._fills(order, now)

    async def _fills(self, order: Order, now: datetime) -> list[Fill]:
        if not order.venue_order_id:
            return []
        raw = await self.client.get_fills(order.venue_order_id)
        fills = []
        for n, item in enumerate(raw, start=1):
            fill = self._fill(item, order, n, now)
            if fill is not None:
                fills.append(fill)
        return fills

    def _fill(self, item: dict, order: Order, n: int, now: datetime) -> Fill | None:
        try:
            contracts = parse_contracts(item.get("count_fp", item.get("count")), field="count")
            price = _price(item, order.side)
        except (MoneyError, TypeError, ValueError) as exc:
            self.bad_fills += 1
            log.error("kalshi.bad_fill", client_order_id=order.client_order_id, error=str(exc), fill=str(item)[:300])
            return None
        market = self.markets[order.market_id]
        fill_id = str(item.get("fill_id") or item.get("trade_id") or f"{order.client_order_id}-{n}")
        try:
            fee = to_decimal(item["fee_cost"], field="fee_cost") if item.get("fee_cost") is not None else None
        except MoneyError:
            fee = None
        if fee is None or fee < 0:
            fee = taker_fee(market.fees, price, contracts)
        return Fill(
            fill_id=f"kalshi:{fill_id}",
            client_order_id=order.client_order_id,
            market_id=order.market_id,
            venue=order.venue,
            side=order.side,
            price=price,
            contracts=contracts,
            fee=fee,
            filled_at=now,
        )


def _price(item: dict, side: Side):
    """The fill's price for our side in dollars; from the other side's price when only that is given."""
    own, other = ("yes", "no") if side is Side.YES else ("no", "yes")
    for key, flip in ((f"{own}_price_dollars", False), (f"{other}_price_dollars", True)):
        if item.get(key) is not None:
            value = to_price(item[key])
            return 1 - value if flip else value
    for key, flip in ((f"{own}_price", False), (f"{other}_price", True)):
        if item.get(key) is not None:
            value = cents_to_price(item[key])
            return 1 - value if flip else value
    raise MoneyError("fill has no price")
