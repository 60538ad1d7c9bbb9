"""Live Kalshi execution: an IOC order through `KalshiOrderClient`, its fills as domain Fills.

Used by the engine's executor only when live trading is authorised (ARBEES_LIVE=1 and the
authorisation phrase and credentials; see orders.py). Fills come from GET /portfolio/fills
(`Fill` model of the official SDK `kalshi-typescript` 3.30.0; parsed in `order_wire.parse_fill`):
`count_fp` exact contracts, `yes_price_dollars`/`no_price_dollars`, `fee_cost` dollars. The fee
booked is the fill's own `fee_cost` (Kalshi rounds per fill and rebates across an order's fills);
only a fill without one gets the fee schedule's estimate (counted as `fee_estimated`).

Every outcome is one of: fills booked (FILLED / PARTIAL / CANCELLED), a counted rejection (the
order was definitely not placed: REJECTED), or an unknown outcome (it may have been placed: SENT,
"outcome unknown: ..."), which the executor re-checks by client order id until resolved.
`execute` never raises; `counts` (reason → n) says what happened, for status and tests.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import httpx
import structlog

from ...model import Fill, Market, Order, OrderStatus, Side
from ...model.fees import FEE_MISMATCH_REASON, fee_difference, kalshi_trade_fee, taker_fee
from ..base import Broker
from .order_wire import FractionalContracts, ReplyShapeError, VenueFill, venue_count_to_engine_contracts
from .orders import InvalidOrder, KalshiApiError, KalshiOrderClient, RateLimited, UnexpectedReply

log = structlog.get_logger(__name__)

_LOOKUP_ERRORS = (KalshiApiError, RateLimited, httpx.HTTPError)
_BAD_REPLIES = (UnexpectedReply, ReplyShapeError)
_BOOK_SIDE = {Side.YES: "bid", Side.NO: "ask"}  # order_direction: bid ≡ long YES, ask ≡ long NO


class VenueLookupFailed(RuntimeError):
    """`reconcile` could not read the venue's answer to a lookup by client order id (malformed
    orders page, or a bug): like an unreachable venue, it proves nothing about the order."""


class KalshiLiveBroker(Broker):
    """Sends orders to Kalshi (an adapters.base.Broker). `markets`: market_id → Market (for the
    fee estimate of a fill without `fee_cost`), read per order. `counts`: outcome reason → count
    (rejected:*, unknown:*, fee_estimated, fee_mismatch, fractional_contracts, bad_reply)."""

    def __init__(
        self,
        client: KalshiOrderClient,
        markets: Mapping[str, Market],
        order_options: Mapping[str, object] | None = None,
    ) -> None:
        """`order_options`: extra CreateOrderV2Request fields for every order (cancel_order_on_pause,
        order_group_id, subaccount; see `order_wire.create_order_body`), none by default."""
        self.client = client
        self.markets = markets
        self.order_options = dict(order_options or {})
        self.counts: Counter[str] = Counter()

    @property
    def bad_fills(self) -> int:
        """Fill lists that could not be booked (malformed or fractional), in total."""
        return self.counts["bad_reply"] + self.counts["fractional_contracts"]

    async def execute(self, order: Order, now: datetime) -> list[Fill]:
        """Place `order` (IOC; its client_order_id makes a resend idempotent) and return its fills.

        A definite refusal (a 4xx such as 400 with any error body, 401, 410
        `deprecated_v1_order_endpoint`; 429 after retries; a limit or count that cannot be written
        exactly) marks the order REJECTED, counted. A lost reply, a timeout, a 5xx or a 2xx of the
        wrong shape is looked up by client order id; if that fails too, the order stays SENT with
        reason "outcome unknown: ..." and no fills, for the executor to reconcile. Never raises.
        """
        order.paper = False
        try:
            placed = await self._place(order)
            if placed is None:
                return []
            return await self._settle(order, now, lookup=not placed)
        except Exception as exc:  # noqa: BLE001 - the broker's contract: never raise, never lose the order
            log.exception("kalshi.broker_bug", client_order_id=order.client_order_id)
            return self._unknown(order, "bug", exc)

    async def reconcile(self, order: Order, now: datetime) -> list[Fill]:
        """After a restart or an unknown outcome: look `order` up by client order id, refresh its
        status and return its fills (the executor stores each once). Not found: unchanged. Raises
        KalshiApiError / RateLimited / httpx.HTTPError when the venue cannot be asked, and
        VenueLookupFailed when its answer cannot be read (the caller retries; neither proves the
        order absent). Unreadable or fractional fills of a found order leave it SENT instead."""
        try:
            await self.client.reconcile(order)
        except FractionalContracts as exc:  # found (venue id recorded), a count finer than 0.01
            return self._unknown(order, "fractional_contracts", exc)
        except _LOOKUP_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 - an unreadable lookup proves nothing: never "not found"
            self.counts["lookup_unreadable"] += 1
            log.error("kalshi.lookup_unreadable", client_order_id=order.client_order_id, error=str(exc)[:300])
            raise VenueLookupFailed(f"lookup of {order.client_order_id} unreadable: {exc}"[:300]) from exc
        try:
            return await self._settle(order, now, lookup=False)
        except Exception as exc:  # noqa: BLE001 - a bug must not escape as AttributeError/KeyError
            log.exception("kalshi.broker_bug", client_order_id=order.client_order_id)
            return self._unknown(order, "bug", exc)

    async def _place(self, order: Order) -> bool | None:
        """Send the order: True = the reply was read, False = it may have been placed (look it up),
        None = definitely not placed (REJECTED and counted)."""
        try:
            await self.client.place_ioc(order, **self.order_options)
            return True
        except RateLimited as exc:  # retries exhausted before the venue took the order
            self._reject(order, "rate_limited", str(exc))
            return None
        except InvalidOrder:  # never sent: place_ioc marked it REJECTED with the reason
            self._reject(order, "invalid_order", order.reason)
            return None
        except KalshiApiError as exc:
            if order.status is OrderStatus.REJECTED:
                self._reject(order, f"http_{exc.status}:{exc.code}", order.reason)
                return None
            self._note_unknown(order, f"http_{exc.status}", exc)
        except FractionalContracts:
            return False  # placed and known; _settle re-reads it and raises the alert
        except (*_BAD_REPLIES, httpx.TransportError) as exc:
            self._note_unknown(order, type(exc).__name__, exc)
        return False

    async def _settle(self, order: Order, now: datetime, *, lookup: bool) -> list[Fill]:
        """Look the order up (when `lookup`) and read its fills; any failure → unknown outcome."""
        try:
            if lookup:
                await self.client.reconcile(order)
            if not order.venue_order_id:
                order.status, order.reason = OrderStatus.SENT, "outcome unknown: not found at the venue yet"
                return []
            return self._book(order, await self.client.get_fills(order.venue_order_id), now)
        except FractionalContracts as exc:
            return self._unknown(order, "fractional_contracts", exc)
        except _BAD_REPLIES as exc:
            return self._unknown(order, "bad_reply", exc)
        except _LOOKUP_ERRORS as exc:
            return self._unknown(order, "lookup_failed", exc)

    def _book(self, order: Order, venue_fills: list[VenueFill], now: datetime) -> list[Fill]:
        """Domain Fills of the order; if they do not add up to the venue's filled count yet, the
        order stays SENT (the rest is booked when a later lookup lists it; fills are idempotent)."""
        fills = [self._fill(item, order, now) for item in venue_fills]
        listed = sum(f.contracts for f in fills)
        if listed != order.filled_contracts:
            self.counts["unknown:fills_incomplete"] += 1
            order.status = OrderStatus.SENT
            order.reason = f"outcome unknown: venue lists fills for {listed} of {order.filled_contracts} contracts"
        return fills

    def _fill(self, item: VenueFill, order: Order, now: datetime) -> Fill:
        """One venue fill → a domain Fill (contracts via `venue_count_to_engine_contracts`). Raises
        ReplyShapeError for a fill of another order or direction, FractionalContracts."""
        if item.order_id != order.venue_order_id or item.book_side not in (None, _BOOK_SIDE[order.side]):
            raise ReplyShapeError(f"fill {item.fill_id} is not ours ({item.order_id}, {item.book_side})")
        contracts = venue_count_to_engine_contracts(item.count)
        price = item.price_of(order.side)
        fee = item.fee
        market = self.markets.get(order.market_id)
        if fee is None:
            if market is None:
                raise ReplyShapeError(f"fill {item.fill_id} has no fee_cost and market {order.market_id} is unknown")
            self.counts["fee_estimated"] += 1
            fee = taker_fee(market.fees, price, contracts)
        elif market is not None:
            self._note_fee_difference(
                order, item.fill_id, fee, kalshi_trade_fee(market.fees.taker_rate, price, contracts)
            )
        return Fill(
            fill_id=f"kalshi:{item.fill_id}",
            client_order_id=order.client_order_id,
            market_id=order.market_id,
            venue=order.venue,
            side=order.side,
            price=price,
            contracts=contracts,
            fee=fee,
            filled_at=now,
        )

    def _note_fee_difference(self, order: Order, fill_id: str, venue_fee: Decimal, estimate: Decimal) -> None:
        """Count (`fee_mismatch`) and log a fill whose venue fee (`fee_cost`, the trade fee at
        $0.0001) differs from our estimate of the same fill's trade fee (model.fees.kalshi_trade_fee
        with the market's series rate): the fee booked is always the venue's."""
        difference = fee_difference(venue_fee, estimate)
        if difference:
            self.counts[FEE_MISMATCH_REASON] += 1
            log.warning(
                "kalshi.fee_mismatch",
                client_order_id=order.client_order_id,
                fill_id=fill_id,
                venue_fee=str(venue_fee),
                estimated_fee=str(estimate),
                difference=str(difference),
            )

    def _reject(self, order: Order, kind: str, reason: str) -> None:
        order.status, order.reason = OrderStatus.REJECTED, (order.reason or reason)[:200]
        self.counts[f"rejected:{kind}"] += 1
        log.error("kalshi.order_rejected", client_order_id=order.client_order_id, kind=kind, reason=order.reason)

    def _note_unknown(self, order: Order, kind: str, exc: BaseException) -> None:
        self.counts[f"reply_lost:{kind}"] += 1
        log.warning("kalshi.order_outcome_unknown", client_order_id=order.client_order_id, error=str(exc)[:300])

    def _unknown(self, order: Order, kind: str, exc: BaseException) -> list[Fill]:
        order.status, order.reason = OrderStatus.SENT, f"outcome unknown: {kind}: {str(exc)[:160]}"
        self.counts[kind if kind in ("bad_reply", "fractional_contracts") else f"unknown:{kind}"] += 1
        log.error("kalshi.order_unresolved", client_order_id=order.client_order_id, kind=kind, error=str(exc)[:300])
        return []
