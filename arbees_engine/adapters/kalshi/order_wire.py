"""Kalshi V2 order wire format: request bodies and tolerant parsers (pure, no I/O).

Source of every field: the official OpenAPI SDK `kalshi-typescript` 3.30.0 (npm, 2026-09-21), models
`CreateOrderV2Request`, `CreateOrderV2Response`, `CancelOrderV2Response`, `Order`, `Fill`,
`ErrorResponse`, `BookSide`, `SelfTradePreventionType`; pages
https://docs.kalshi.com/api-reference/orders/create-order-v2,
https://docs.kalshi.com/getting_started/order_direction and
https://docs.kalshi.com/getting_started/fixed_point_migration. (The PyPI SDKs `kalshi_python_sync` /
`kalshi_python_async` 3.2.0 of 2025-12 predate the V2 order models.)

Direction (order_direction page): V2 orders sit on ONE book, the YES book. `bid` ≡ long YES,
`ask` ≡ long NO, and the order's `price` is the YES price for both: buying NO at q is an `ask` at
YES price 1 − q ("an order at price p with outcome_side=no is matched by an order at the same
price p with outcome_side=yes"). Fills report both `yes_price_dollars` and `no_price_dollars`.

Every parser raises `ReplyShapeError` (a ValueError) for a body that is not the documented object;
callers turn that into a counted rejection or an unknown-outcome order, never a crash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ...model import Order, Side

SDK_NAME, SDK_VERSION = "kalshi-typescript", "3.30.0"  # the models this module follows

CREATE_ORDER_PATH = "/portfolio/events/orders"  # POST, CreateOrderV2Request → CreateOrderV2Response
CANCEL_ORDER_PATH = "/portfolio/events/orders/{order_id}"  # DELETE → CancelOrderV2Response
GET_ORDER_PATH = "/portfolio/orders/{order_id}"  # GET → {"order": Order}
GET_ORDERS_PATH = "/portfolio/orders"  # GET ?ticker=&cursor= → {"orders": [Order], "cursor"}
GET_FILLS_PATH = "/portfolio/fills"  # GET ?order_id=&cursor= → {"fills": [Fill], "cursor"}
LEGACY_CREATE_ORDER_PATH = "/portfolio/orders"  # POST answers 410 deprecated_v1_order_endpoint

IOC = "immediate_or_cancel"  # CreateOrderV2RequestTimeInForceEnum.ImmediateOrCancel
#: Self-trade prevention, required by CreateOrderV2Request. `taker_at_cross` cancels OUR incoming
#: order when it would trade against a resting order of the same account (fills already matched
#: stand); `maker` would instead cancel that resting order and keep matching. Arbees only sends IOC
#: takers and never rests, so a resting order on our own account was placed by someone else (a
#: person at the venue's site, another tool): we must not cancel it behind their back, and we must
#: not trade with ourselves. The IOC's reply (fill_count/remaining_count) still tells us exactly
#: what filled, so stopping our order costs nothing but the unfilled rest.
SELF_TRADE_PREVENTION = "taker_at_cross"
BOOK_SIDES = ("bid", "ask")  # BookSide
PRICE_QUANTUM = Decimal("0.0001")  # requests accept 2-4 decimals
COUNT_QUANTUM = Decimal("0.01")  # fixed-point count: 2 decimals, granularity 0.01 contracts
ONE = Decimal(1)


class InvalidOrder(ValueError):
    """An order the client refuses to send (it is marked REJECTED with the reason first)."""


class ReplyShapeError(ValueError):
    """A venue reply that is not the documented object (missing/ill-typed field, not JSON)."""


class FractionalContracts(ValueError):
    """A venue count the engine cannot book exactly: finer than 0.01 contracts (Kalshi's
    granularity), negative or not finite. Fractional counts on the 0.01 grid are booked as they are."""


def price_dollars(price: Decimal) -> str:
    """A price as Kalshi's fixed-point dollar string, exactly ("0.55" → "0.5500"). Raises InvalidOrder
    for a price outside 0..1 or one needing more than 4 decimals (formatting would round it)."""
    if not (price.is_finite() and 0 <= price <= 1) or price != price.quantize(PRICE_QUANTUM):
        raise InvalidOrder(f"invalid_price: limit {price} is not a 4-decimal dollar price in 0..1")
    return f"{price.quantize(PRICE_QUANTUM)}"


def count_fp(contracts: Decimal | int) -> str:
    """A contract count as Kalshi's fixed-point count string with 2 decimals (10 → "10.00",
    Decimal("2.5") → "2.50"). Raises InvalidOrder for ≤ 0 or finer than 0.01 contracts."""
    value = Decimal(contracts)
    if not value.is_finite() or value <= 0 or value != value.quantize(COUNT_QUANTUM):
        raise InvalidOrder(f"invalid_count: {contracts} is not a positive multiple of 0.01 contracts")
    return f"{value.quantize(COUNT_QUANTUM)}"


def book_side_and_yes_price(side: Side, limit: Decimal) -> tuple[str, Decimal]:
    """Map a buy of `side` at `limit` (dollars per contract of that side) onto the YES book:
    buy YES at p → ("bid", p); buy NO at q → ("ask", 1 − q). See the module docstring."""
    return ("bid", limit) if side is Side.YES else ("ask", ONE - limit)


def venue_count_to_engine_contracts(count: Decimal) -> Decimal:
    """THE conversion from a venue count (exact Decimal, 0.01 granularity) to the engine's contract
    quantity, for order fill counts and fills alike: the count itself, exactly (2.50 books 2.50;
    model/contracts.py). A count finer than 0.01, negative or not finite raises FractionalContracts
    instead of being rounded."""
    if not count.is_finite() or count < 0 or count != count.quantize(COUNT_QUANTUM):
        raise FractionalContracts(f"venue count {count} is not a non-negative multiple of 0.01 contracts")
    return count


def create_order_body(
    order: Order,
    *,
    cancel_order_on_pause: bool | None = None,
    order_group_id: str | None = None,
    subaccount: int | None = None,
) -> dict[str, object]:
    """The CreateOrderV2Request of an IOC buy of `order.contracts` of `order.side` at
    `order.limit_price` (its side's dollars). Optional fields are sent only when given. Raises
    InvalidOrder for a price or count that cannot be written exactly."""
    book_side, yes_price = book_side_and_yes_price(order.side, order.limit_price)
    body: dict[str, object] = {
        "ticker": order.market_id.split(":", 1)[-1],
        "client_order_id": order.client_order_id,
        "side": book_side,
        "count": count_fp(order.contracts),
        "price": price_dollars(yes_price),
        "time_in_force": IOC,
        "self_trade_prevention_type": SELF_TRADE_PREVENTION,
        "post_only": False,  # an IOC taker; post_only would make it rest-or-cancel
        "reduce_only": False,  # we only buy to open
    }
    if cancel_order_on_pause is not None:
        body["cancel_order_on_pause"] = cancel_order_on_pause
    if order_group_id is not None:
        body["order_group_id"] = order_group_id
    if subaccount is not None:
        body["subaccount"] = subaccount
    return body


@dataclass(frozen=True, slots=True)
class VenueOrder:
    """Our order as the venue reports it. `fill_count`/`remaining_count`: contracts (exact);
    `status`: resting | canceled | executed (Order model) or None (a create reply has none);
    `average_fill_price`/`average_fee_paid`: dollars or None; `ts_ms`: epoch ms or None."""

    order_id: str
    client_order_id: str | None
    fill_count: Decimal
    remaining_count: Decimal
    status: str | None = None
    average_fill_price: Decimal | None = None
    average_fee_paid: Decimal | None = None
    ts_ms: int | None = None


@dataclass(frozen=True, slots=True)
class VenueFill:
    """One fill (Fill model): `count` contracts (exact), `yes_price`/`no_price` dollars, `fee`
    dollars (`fee_cost`, None when absent), `book_side` bid|ask or None, `is_taker` or None."""

    fill_id: str
    order_id: str
    count: Decimal
    yes_price: Decimal
    no_price: Decimal
    fee: Decimal | None
    book_side: str | None
    is_taker: bool | None

    def price_of(self, side: Side) -> Decimal:
        """Dollars per contract of `side` (YES → yes_price, NO → no_price)."""
        return self.yes_price if side is Side.YES else self.no_price


def _field(obj: dict[str, object], key: str) -> object:
    if key not in obj or obj[key] is None:
        raise ReplyShapeError(f"missing {key}")
    return obj[key]


def _decimal(value: object, key: str, *, lo: Decimal | None = None, hi: Decimal | None = None) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):  # fixed-point fields are strings
        raise ReplyShapeError(f"{key}: {value!r} is not a fixed-point string")
    try:
        dec = Decimal(value)
    except InvalidOperation:
        raise ReplyShapeError(f"{key}: {value!r} is not a number") from None
    if not dec.is_finite() or (lo is not None and dec < lo) or (hi is not None and dec > hi):
        raise ReplyShapeError(f"{key}: {value!r} out of range")
    return dec


def _count(obj: dict[str, object], key: str) -> Decimal:
    return _decimal(_field(obj, key), key, lo=Decimal(0))


def _opt_decimal(obj: dict[str, object], key: str) -> Decimal | None:
    return None if obj.get(key) is None else _decimal(obj[key], key, lo=Decimal(0))


def _str(obj: dict[str, object], key: str) -> str:
    value = _field(obj, key)
    if not isinstance(value, str) or not value:
        raise ReplyShapeError(f"{key}: {value!r} is not a string")
    return value


def _opt_str(obj: dict[str, object], key: str) -> str | None:
    value = obj.get(key)
    return value if isinstance(value, str) else None


def _object(payload: object, what: str) -> dict[str, object]:
    if not isinstance(payload, dict):
        raise ReplyShapeError(f"{what} is {type(payload).__name__}, not an object")
    return payload


def parse_create_reply(payload: object) -> VenueOrder:
    """CreateOrderV2Response (flat: order_id, client_order_id, fill_count, remaining_count,
    average_fill_price, average_fee_paid, ts_ms) → VenueOrder. Raises ReplyShapeError."""
    obj = _object(payload, "create reply")
    ts = obj.get("ts_ms")
    return VenueOrder(
        order_id=_str(obj, "order_id"),
        client_order_id=_opt_str(obj, "client_order_id"),
        fill_count=_count(obj, "fill_count"),
        remaining_count=_count(obj, "remaining_count"),
        average_fill_price=_opt_decimal(obj, "average_fill_price"),
        average_fee_paid=_opt_decimal(obj, "average_fee_paid"),
        ts_ms=ts if isinstance(ts, int) and not isinstance(ts, bool) else None,
    )


def parse_order(payload: object) -> VenueOrder:
    """Order model (GET /portfolio/orders[/{id}]: order_id, client_order_id, status, fill_count_fp,
    remaining_count_fp) → VenueOrder. Raises ReplyShapeError."""
    obj = _object(payload, "order")
    status = obj.get("status")
    return VenueOrder(
        order_id=_str(obj, "order_id"),
        client_order_id=_opt_str(obj, "client_order_id"),
        fill_count=_count(obj, "fill_count_fp"),
        remaining_count=_count(obj, "remaining_count_fp"),
        status=status if isinstance(status, str) else None,
    )


def parse_fill(payload: object) -> VenueFill:
    """Fill model (fill_id, order_id, count_fp, yes_price_dollars, no_price_dollars, fee_cost,
    book_side, is_taker) → VenueFill; a missing price side is 1 − the other. Raises ReplyShapeError."""
    obj = _object(payload, "fill")
    yes = _opt_price(obj, "yes_price_dollars")
    no = _opt_price(obj, "no_price_dollars")
    if yes is None:
        if no is None:
            raise ReplyShapeError("fill has no price")
        yes = ONE - no
    if no is None:
        no = ONE - yes
    book_side = obj.get("book_side")
    is_taker = obj.get("is_taker")
    return VenueFill(
        fill_id=_str(obj, "fill_id") if obj.get("fill_id") else _str(obj, "trade_id"),
        order_id=_str(obj, "order_id"),
        count=_count(obj, "count_fp"),
        yes_price=yes,
        no_price=no,
        fee=_opt_decimal(obj, "fee_cost"),
        book_side=book_side if book_side in BOOK_SIDES else None,
        is_taker=is_taker if isinstance(is_taker, bool) else None,
    )


def _opt_price(obj: dict[str, object], key: str) -> Decimal | None:
    return None if obj.get(key) is None else _decimal(obj[key], key, lo=Decimal(0), hi=ONE)


def parse_page(payload: object, key: str) -> tuple[list[object], str | None]:
    """A paginated list reply ({key: [...], "cursor": "..."}) → (items, next cursor or None)."""
    obj = _object(payload, f"{key} page")
    items = obj.get(key)
    if items is None:
        items = []
    if not isinstance(items, list):
        raise ReplyShapeError(f"{key} is {type(items).__name__}, not a list")
    cursor = obj.get("cursor")
    return items, cursor if isinstance(cursor, str) and cursor else None


def parse_error(status: int, text: str) -> tuple[str, str]:
    """(code, message) of an error reply, whatever its shape: {"error": {code, message, details}}
    (ErrorResponse wrapped), a bare ErrorResponse, {"error": "text"}, or not JSON at all."""
    try:
        body = json.loads(text) if text else None
    except ValueError:
        return f"http_{status}", text[:200]
    err = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(err, str):
        return err[:100], err[:200]
    if isinstance(err, dict):
        code, message = err.get("code"), err.get("message") or err.get("details")
        return (str(code)[:100] if code else f"http_{status}"), str(message if message is not None else "")[:200]
    return f"http_{status}", text[:200]


def parse_cancel_reply(payload: object) -> tuple[str, Decimal]:
    """CancelOrderV2Response (order_id, client_order_id, reduced_by, ts_ms) → (order_id, contracts
    the cancel took off the order). Raises ReplyShapeError."""
    obj = _object(payload, "cancel reply")
    return _str(obj, "order_id"), _count(obj, "reduced_by")
