"""Live Polymarket execution: a FAK limit buy through `PolymarketOrderClient`, its trades as Fills.

An `execution.broker.Broker`, used by the executor only when Polymarket is authorised live
(live.py). The order buys the market's YES token (`Market.venue_market_id`) or NO token
(`Market.no_token_id`) at the order's limit on the market's tick grid (`Market.tick`, kept current
by `tick_size_change`), signed for the neg-risk exchange when `Market.extra["neg_risk"]` is "true",
and refused before sending below the market's `min_order_contracts` (Gamma `orderMinSize`).

Fills come from GET /data/trades: each trade our order took as taker (`taker_order_id` = our
order id) that did not fail is one Fill, its contracts the trade's `size`, its price the maker
orders' prices weighted by `matched_amount` (a maker on the other outcome token at p is 1 − p for
ours), its fee the one the venue charged: the trade's `fee_rate_bps` at match time (V2 sets fees
at match) in Polymarket's formula C × rate × (P × (1 − P))^exponent (model/fees.py, the market's
exponent), floored to $0.00001 as the venue charges.

The same trades also arrive on the CLOB user channel (user_channel.py), usually before REST is
asked: `on_user_trade` books such a trade of one of OUR orders (its `taker_order_id` is the order
hash computed here) at once through `on_fill` (the executor's `apply_fill`). Both paths name the
fill `polymarket:<trade id>`, so a fill seen on both is booked once; REST stays the authority
for each order's status and for reconciliation after a restart.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation

import structlog

from ...model import Fill, Market, Order, OrderStatus, Side
from ...model.fees import FeeKind, FeeSchedule, taker_fee
from ..base import Broker
from .clob import InvalidOrder, OrderTerms, OutcomeUnknown, PolymarketApiError, PolymarketOrderClient
from .heartbeat import HeartbeatKeeper

log = structlog.get_logger(__name__)

NO_MATCH = "no orders found to match"  # the CLOB's answer to a FAK with nothing at its limit
FINAL_STATUSES = ("MATCHED", "CANCELED", "CANCELLED", "CANCELED_MARKET_RESOLVED", "INVALID")
PRICE_QUANTUM = Decimal("0.000001")  # fills.price is NUMERIC(10, 6)
LOOKUP_TICK = Decimal("0.0001")  # the CLOB's finest tick (the client's ROUNDING_CONFIG)
TRADE_LOOKBACK_S = 60  # trades are read from this long before the order's own timestamp
TRACKED_ORDERS = 1_000  # our most recent orders whose user-channel trades are booked


class PolymarketLiveBroker(Broker):
    """Sends FAK orders to the Polymarket CLOB. `markets`: market_id → Market, read per order;
    `heartbeat`: the dead-man switch keeper (None: no halting on heartbeats); `on_reject(code,
    detail)`: counts a refusal (the engine wires `Outbox.reject("execution", …)`); `on_fill`
    (settable later): books a user-channel fill once (the executor's `apply_fill`, True if new)."""

    def __init__(
        self,
        client: PolymarketOrderClient,
        markets: Mapping[str, Market],
        heartbeat: HeartbeatKeeper | None = None,
        on_reject: Callable[[str, str], None] | None = None,
        on_fill: Callable[[Fill], Awaitable[bool]] | None = None,
    ) -> None:
        self.client, self.markets, self.heartbeat = client, markets, heartbeat
        self.on_reject = on_reject or (lambda code, detail: None)
        self.rejections: Counter[str] = Counter()
        self.bad_fills = 0
        self.on_fill = on_fill
        self.user_fills = 0  # fills booked first from the user channel
        # order hash → (order, terms) of our recent orders, for user-channel trades
        self.tracked: OrderedDict[str, tuple[Order, OrderTerms]] = OrderedDict()
        self.on_new_market: Callable[[str], None] | None = None  # a tracked order's new condition id

    @property
    def halted(self) -> str:
        """Why new orders are refused ("" when they are not): the heartbeat keeper's state."""
        return self.heartbeat.halted if self.heartbeat is not None else ""

    def _refuse(self, order: Order, code: str, detail: str) -> list[Fill]:
        order.status, order.reason = OrderStatus.REJECTED, f"{code}: {detail}"[:300]
        self.rejections[code] += 1
        self.on_reject(code, f"{order.client_order_id}: {detail}")
        return []

    def terms(self, order: Order) -> OrderTerms:
        """The token, tick and neg-risk flag for `order`. Raises InvalidOrder (unknown market, no NO token)."""
        market = self.markets.get(order.market_id)
        if market is None:
            raise InvalidOrder(f"market {order.market_id} is not registered")
        token = market.venue_market_id if order.side is Side.YES else market.no_token_id
        if not token:
            raise InvalidOrder(f"market {order.market_id} has no {order.side.value} token id")
        return OrderTerms(token, market.tick, market.extra.get("neg_risk") == "true")

    async def execute(self, order: Order, now: datetime) -> list[Fill]:
        """Send `order` (FAK at its limit) and return its fills. Never raises.

        Refused before sending (REJECTED, counted): heartbeats failing or stopped (`venue_halted`),
        below the market's minimum size (`below_min_size`), terms the client cannot sign exactly
        (`invalid_order`). A definite venue refusal is REJECTED (a FAK with nothing at its limit is
        CANCELLED); a lost reply, a timeout or a 5xx is looked up by the order's id, and if that
        cannot settle it the order stays SENT "outcome unknown" for the executor to reconcile.
        """
        order.paper = False
        if self.halted:
            return self._refuse(order, "venue_halted", f"polymarket {self.halted}")
        market = self.markets.get(order.market_id)
        if market is not None and order.contracts < market.min_order_contracts:
            detail = f"{order.contracts} contracts < the market's minimum {market.min_order_contracts}"
            return self._refuse(order, "below_min_size", detail)
        try:
            terms = self.terms(order)
            signed = self.client.signed_order(order, terms)
        except InvalidOrder as exc:
            return self._refuse(order, "invalid_order", str(exc))
        order_id = self.client.order_id(signed, terms.neg_risk)
        self._track(order_id, order, terms)
        order.status = OrderStatus.SENT
        try:
            reply = await self.client.post_order(signed)
        except PolymarketApiError as exc:
            if NO_MATCH in exc.message.lower():
                order.status, order.reason = OrderStatus.CANCELLED, "no liquidity at the limit (FAK killed)"
                return []
            order.status, order.reason = OrderStatus.REJECTED, f"{exc.status}: {exc.message}"[:300]
            log.warning("polymarket.order_refused", client_order_id=order.client_order_id, error=exc.message)
            return []
        except OutcomeUnknown as exc:
            log.warning("polymarket.order_outcome_unknown", client_order_id=order.client_order_id, error=str(exc))
            return await self._lookup(order, now)
        order.venue_order_id = str(reply.get("orderID") or order_id)
        return await self._fills_or_unknown(order, terms, now)

    def _track(self, order_id: str, order: Order, terms: OrderTerms) -> None:
        market = self.markets.get(order.market_id)
        condition_id = str(market.extra.get("condition_id") or "") if market is not None else ""
        if condition_id and self.on_new_market is not None and condition_id not in self.condition_ids():
            self.on_new_market(condition_id)
        self.tracked[order_id] = (order, terms)
        while len(self.tracked) > TRACKED_ORDERS:
            self.tracked.popitem(last=False)

    def condition_ids(self) -> set[str]:
        """The condition ids (`Market.extra["condition_id"]`) of the markets of our tracked orders:
        the `markets` the user channel subscribes to."""
        markets = [self.markets.get(o.market_id) for o, _ in self.tracked.values()]
        return {str(m.extra.get("condition_id") or "") for m in markets if m is not None} - {""}

    async def on_user_trade(self, trade: dict, now: datetime) -> bool:
        """Book a user-channel `trade` (a dict already bounded by user_channel.py) of one of our
        tracked orders through `on_fill`; True if it booked a new fill. A trade of another order,
        a FAILED trade or a trade without `on_fill` books nothing (REST then books it)."""
        tracked = self.tracked.get(str(trade.get("taker_order_id")))
        if tracked is None or self.on_fill is None or str(trade.get("status", "")).upper() == "FAILED":
            return False
        order, terms = tracked
        fill = self._fill(trade, order, terms, now)
        if fill is None or not await self.on_fill(fill):
            return False
        self.user_fills += 1
        return True

    async def _lookup(self, order: Order, now: datetime) -> list[Fill]:
        try:
            return await self.reconcile(order, now)
        except (OutcomeUnknown, PolymarketApiError) as exc:
            order.status, order.reason = OrderStatus.SENT, f"outcome unknown: {str(exc)[:160]}"
            return []

    async def _fills_or_unknown(self, order: Order, terms: OrderTerms, now: datetime) -> list[Fill]:
        try:
            fills = await self._fills(order, terms, now)
        except (OutcomeUnknown, PolymarketApiError) as exc:
            order.status, order.reason = OrderStatus.SENT, f"outcome unknown: trades unreadable: {str(exc)[:140]}"
            log.error("polymarket.order_unresolved", client_order_id=order.client_order_id, error=str(exc))
            return []
        self._set_status(order, sum((f.contracts for f in fills), Decimal(0)))
        return fills

    async def reconcile(self, order: Order, now: datetime) -> list[Fill]:
        """Look `order` up by its venue order id (recomputed from the order: clob.py) and return its
        fills with its status refreshed; an order the venue does not know stays as it is. Raises
        OutcomeUnknown / PolymarketApiError when the venue cannot be asked (the caller retries)."""
        try:
            # the finest grid: a tick_size_change since the send must not change the rebuilt order (its
            # amounts are exact whatever the grid, so its hash, the order id, is the one sent)
            terms = dataclasses.replace(self.terms(order), tick=LOOKUP_TICK)
            order_id = self.client.order_id(self.client.signed_order(order, terms), terms.neg_risk)
            self._track(order_id, order, terms)
        except InvalidOrder as exc:
            log.error("polymarket.reconcile_impossible", client_order_id=order.client_order_id, error=str(exc))
            return []
        venue = await self.client.get_order(order_id)
        if venue is None:
            if order.status is OrderStatus.SENT:
                order.reason = "outcome unknown: not found at the venue yet"
            return []
        order.venue_order_id, order.paper = order_id, False
        if str(venue.get("status", "")).upper() not in FINAL_STATUSES:
            order.status, order.reason = OrderStatus.SENT, f"outcome unknown: venue status {venue.get('status')}"
            return []
        return await self._fills_or_unknown(order, terms, now)

    def _set_status(self, order: Order, filled: Decimal) -> None:
        order.filled_contracts = filled
        if filled >= order.contracts:
            order.status, order.reason = OrderStatus.FILLED, "filled"
        elif filled > 0:
            order.status, order.reason = OrderStatus.PARTIAL, "partly filled, rest killed (FAK)"
        else:
            order.status, order.reason = OrderStatus.CANCELLED, "no liquidity at the limit (FAK killed)"

    async def _fills(self, order: Order, terms: OrderTerms, now: datetime) -> list[Fill]:
        after = int(order.created_at.timestamp()) - TRADE_LOOKBACK_S
        trades = await self.client.trades(str(order.venue_order_id), terms.token_id, after)
        fills = []
        for trade in trades:
            if str(trade.get("status", "")).upper() == "FAILED":
                continue
            fill = self._fill(trade, order, terms, now)
            if fill is not None:
                fills.append(fill)
        return fills

    def _fill(self, trade: dict, order: Order, terms: OrderTerms, now: datetime) -> Fill | None:
        market = self.markets[order.market_id]
        try:
            size = Decimal(str(trade["size"]))
            contracts = size.to_integral_value(ROUND_FLOOR)  # Polymarket markets trade whole contracts here (step 1)
            price = _taker_price(trade, terms.token_id)
            rate = Decimal(str(trade.get("fee_rate_bps") or 0)) / 10_000
            schedule = FeeSchedule(FeeKind.POLYMARKET, taker_rate=rate, exponent=market.fees.exponent)
            fee = taker_fee(schedule, price, contracts)
        except (KeyError, InvalidOperation, ValueError, TypeError, ArithmeticError) as exc:
            self.bad_fills += 1
            log.error("polymarket.bad_trade", client_order_id=order.client_order_id, error=repr(exc))
            return None
        if contracts != size:
            self.bad_fills += 1
            log.error("polymarket.fractional_fill", client_order_id=order.client_order_id, size=str(size))
        return Fill(
            fill_id=f"polymarket:{trade.get('id')}",
            client_order_id=order.client_order_id,
            market_id=order.market_id,
            venue=order.venue,
            side=order.side,
            price=price,
            contracts=contracts,
            fee=fee,
            filled_at=now,
        )


def _taker_price(trade: dict, token_id: str) -> Decimal:
    """Dollars per contract of our token: the maker orders' prices weighted by their matched amounts
    (a maker on the complementary token at p counts 1 − p), rounded UP to the store's $0.000001 (a
    cost is never understated), else the trade's `price`."""
    makers = trade.get("maker_orders") or []
    total = cost = Decimal(0)
    for maker in makers:
        amount, price = Decimal(str(maker["matched_amount"])), Decimal(str(maker["price"]))
        cost += amount * (price if str(maker.get("asset_id")) == token_id else 1 - price)
        total += amount
    price = (cost / total).quantize(PRICE_QUANTUM, ROUND_CEILING) if total else Decimal(str(trade["price"]))
    if not 0 <= price <= 1:
        raise ValueError(f"trade price {price} is not in 0..1")
    return price
