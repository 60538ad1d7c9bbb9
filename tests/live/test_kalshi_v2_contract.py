"""Contract test: our Kalshi V2 request bodies and parsers against the official SDK's models.

The field lists below are copied (as data, not vendored code) from the npm package
`kalshi-typescript` 3.30.0 (2026-09-21), files models/create-order-v2-request.ts,
models/create-order-v2-response.ts, models/cancel-order-v2-response.ts, models/order.ts,
models/fill.ts, models/error-response.ts, models/book-side.ts, models/self-trade-prevention-type.ts,
models/order-status.ts. Each entry: field → (OpenAPI type, required). The fake server's objects are
checked against the same lists, so the fake cannot drift from the SDK either.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal as D

import httpx
import pytest
from live_fake_kalshi_rest import FakeKalshiRest

from arbees_engine.adapters.kalshi import order_wire
from arbees_engine.adapters.kalshi.auth import KalshiSigner
from arbees_engine.adapters.kalshi.order_wire import (
    FractionalContracts,
    InvalidOrder,
    ReplyShapeError,
    count_fp,
    create_order_body,
    parse_cancel_reply,
    parse_create_reply,
    parse_error,
    parse_fill,
    parse_order,
    venue_count_to_engine_contracts,
)
from arbees_engine.adapters.kalshi.orders import LIVE_AUTHORIZATION_PHRASE, KalshiOrderClient
from arbees_engine.model import Order, Side, Venue

KALSHI_SDK = ("kalshi-typescript", "3.30.0")  # the SDK these models were copied from (npm registry)
LIVE = {"ARBEES_LIVE": "1", "ARBEES_LIVE_AUTHORIZATION": LIVE_AUTHORIZATION_PHRASE}
REQ, OPT = True, False  # required / optional

CREATE_ORDER_V2_REQUEST = {
    "ticker": ("string", REQ),
    "client_order_id": ("string", OPT),
    "side": ("BookSide", REQ),
    "count": ("string", REQ),
    "price": ("string", REQ),
    "expiration_time": ("number", OPT),
    "time_in_force": ("TimeInForce", REQ),
    "post_only": ("boolean", OPT),
    "self_trade_prevention_type": ("SelfTradePreventionType", REQ),
    "cancel_order_on_pause": ("boolean", OPT),
    "reduce_only": ("boolean", OPT),
    "subaccount": ("number", OPT),
    "order_group_id": ("string", OPT),
    "exchange_index": ("number", OPT),
}
CREATE_ORDER_V2_RESPONSE = {
    "order_id": ("string", REQ),
    "client_order_id": ("string", OPT),
    "fill_count": ("string", REQ),
    "remaining_count": ("string", REQ),
    "average_fill_price": ("string", OPT),
    "average_fee_paid": ("string", OPT),
    "ts_ms": ("number", REQ),
}
CANCEL_ORDER_V2_RESPONSE = {
    "order_id": ("string", REQ),
    "client_order_id": ("string", OPT),
    "reduced_by": ("string", REQ),
    "ts_ms": ("number", REQ),
}
ORDER = {
    "order_id": ("string", REQ),
    "user_id": ("string", REQ),
    "client_order_id": ("string", REQ),
    "ticker": ("string", REQ),
    "side": ("string", OPT),  # deprecated
    "action": ("string", OPT),  # deprecated
    "outcome_side": ("string", REQ),
    "book_side": ("BookSide", REQ),
    "type": ("string", REQ),
    "status": ("OrderStatus", REQ),
    "yes_price_dollars": ("string", REQ),
    "no_price_dollars": ("string", REQ),
    "fill_count_fp": ("string", REQ),
    "remaining_count_fp": ("string", REQ),
    "initial_count_fp": ("string", REQ),
    "taker_fill_cost_dollars": ("string", REQ),
    "maker_fill_cost_dollars": ("string", REQ),
    "taker_fees_dollars": ("string", REQ),
    "maker_fees_dollars": ("string", REQ),
    "expiration_time": ("string?", OPT),
    "created_time": ("string?", OPT),
    "last_update_time": ("string?", OPT),
    "self_trade_prevention_type": ("SelfTradePreventionType", OPT),
    "order_group_id": ("string?", OPT),
    "cancel_order_on_pause": ("boolean", OPT),
    "subaccount_number": ("number?", OPT),
    "exchange_index": ("number", OPT),
}
FILL = {
    "fill_id": ("string", REQ),
    "exchange_index": ("number", REQ),
    "trade_id": ("string", REQ),
    "order_id": ("string", REQ),
    "ticker": ("string", REQ),
    "market_ticker": ("string", REQ),
    "side": ("string", OPT),  # deprecated
    "action": ("string", OPT),  # deprecated
    "outcome_side": ("string", REQ),
    "book_side": ("BookSide", REQ),
    "count_fp": ("string", REQ),
    "yes_price_dollars": ("string", REQ),
    "no_price_dollars": ("string", REQ),
    "is_taker": ("boolean", REQ),
    "created_time": ("string", OPT),
    "fee_cost": ("string", REQ),
    "subaccount_number": ("number?", OPT),
    "ts": ("number", OPT),
}
ERROR_RESPONSE = {"code": ("string", OPT), "message": ("string", OPT), "details": ("string", OPT)}
ENUMS = {
    "BookSide": {"bid", "ask"},
    "TimeInForce": {"fill_or_kill", "good_till_canceled", "immediate_or_cancel"},
    "SelfTradePreventionType": {"taker_at_cross", "maker"},
    "OrderStatus": {"resting", "canceled", "executed"},
}
FIXED_COUNT = re.compile(r"^\d+(\.\d{1,2})?$")  # "Requests accept 0-2 decimal places"
FIXED_DOLLARS = re.compile(r"^\d+\.\d{2,4}$")  # "Most request fields accept 2-4 decimal places"


def _conforms(obj: dict, model: dict) -> list[str]:
    """What is wrong with `obj` as an instance of `model` (empty: nothing)."""
    problems = [f"unknown field {k}" for k in obj if k not in model]
    problems += [f"missing {k}" for k, (_, req) in model.items() if req and k not in obj]
    for key, value in obj.items():
        kind = model.get(key, ("", OPT))[0]
        if kind.endswith("?") and value is None:
            continue
        kind = kind.rstrip("?")
        ok = {
            "string": isinstance(value, str),
            "boolean": isinstance(value, bool),
            "number": isinstance(value, int | float) and not isinstance(value, bool),
        }.get(kind, value in ENUMS.get(kind, ()))
        if not ok:
            problems.append(f"{key}={value!r} is not {kind}")
    return problems


def _order(side: Side, limit: str = "0.42", contracts: int = 10) -> Order:
    return Order("c-1", "s-1", "kalshi:KXT-1", Venue.KALSHI, side, D(limit), contracts, datetime.now(UTC))


def test_the_sdk_the_wire_module_follows_is_the_pinned_one():
    assert (order_wire.SDK_NAME, order_wire.SDK_VERSION) == KALSHI_SDK


@pytest.mark.parametrize("side", [Side.YES, Side.NO])
@pytest.mark.parametrize("options", [{}, {"cancel_order_on_pause": True, "order_group_id": "g-1", "subaccount": 0}])
def test_create_body_is_a_create_order_v2_request(side, options):
    body = create_order_body(_order(side), **options)
    assert _conforms(body, CREATE_ORDER_V2_REQUEST) == []
    assert FIXED_COUNT.match(body["count"]) and FIXED_DOLLARS.match(body["price"])
    assert body["time_in_force"] == "immediate_or_cancel" and body["self_trade_prevention_type"] == "taker_at_cross"
    assert "type" not in body and "action" not in body  # the V1 fields are gone


@pytest.mark.parametrize(
    ("side", "limit", "book_side", "price"),
    [
        (Side.YES, "0.42", "bid", "0.4200"),  # buy YES at p: bid p on the YES book
        (Side.NO, "0.42", "ask", "0.5800"),  # buy NO at q: ask 1 − q on the YES book
        (Side.NO, "0.899", "ask", "0.1010"),
        (Side.YES, "0.0555", "bid", "0.0555"),
    ],
)
def test_yes_and_no_intent_map_onto_the_yes_book(side, limit, book_side, price):
    body = create_order_body(_order(side, limit))
    assert (body["side"], body["price"]) == (book_side, price)


def test_counts_are_fixed_point_with_two_decimals_and_never_rounded():
    assert count_fp(10) == "10.00" and count_fp(D("2.5")) == "2.50" and count_fp(D("0.01")) == "0.01"
    for bad in (0, -1, D("2.555"), D("NaN")):
        with pytest.raises(InvalidOrder):
            count_fp(bad)
    assert venue_count_to_engine_contracts(D("3.00")) == 3
    assert venue_count_to_engine_contracts(D("2.50")) == D("2.50")  # booked exactly, never as 2
    for bad in (D("2.505"), D("-1"), D("NaN")):
        with pytest.raises(FractionalContracts):
            venue_count_to_engine_contracts(bad)  # finer than the venue's 0.01 grid: never rounded


CREATE_REPLY = {
    "order_id": "o-1",
    "client_order_id": "c-1",
    "fill_count": "2.50",
    "remaining_count": "0.00",
    "average_fill_price": "0.420000",
    "average_fee_paid": "0.0170",
    "ts_ms": 1_765_000_000_000,
}
ORDER_EXAMPLE = {
    "order_id": "o-1",
    "user_id": "u-1",
    "client_order_id": "c-1",
    "ticker": "KXT-1",
    "side": "no",
    "action": "buy",
    "outcome_side": "no",
    "book_side": "ask",
    "type": "limit",
    "status": "executed",
    "yes_price_dollars": "0.5800",
    "no_price_dollars": "0.4200",
    "fill_count_fp": "10.00",
    "remaining_count_fp": "0.00",
    "initial_count_fp": "10.00",
    "taker_fill_cost_dollars": "4.2000",
    "maker_fill_cost_dollars": "0.0000",
    "taker_fees_dollars": "0.1706",
    "maker_fees_dollars": "0.0000",
    "expiration_time": None,
    "created_time": "2026-12-07T23:00:00Z",
    "last_update_time": "2026-12-07T23:00:00Z",
    "self_trade_prevention_type": "taker_at_cross",
    "order_group_id": None,
    "cancel_order_on_pause": False,
    "subaccount_number": 0,
    "exchange_index": 0,
}
FILL_EXAMPLE = {
    "fill_id": "f-1",
    "exchange_index": 0,
    "trade_id": "f-1",
    "order_id": "o-1",
    "ticker": "KXT-1",
    "market_ticker": "KXT-1",
    "side": "no",
    "action": "buy",
    "outcome_side": "no",
    "book_side": "ask",
    "count_fp": "2.50",
    "yes_price_dollars": "0.5800",
    "no_price_dollars": "0.4200",
    "is_taker": True,
    "created_time": "2026-12-07T23:00:00Z",
    "fee_cost": "0.0427",
    "subaccount_number": 0,
    "ts": 1_765_000_000,
}
CANCEL_REPLY = {"order_id": "o-1", "client_order_id": "c-1", "reduced_by": "3.00", "ts_ms": 1_765_000_000_000}


@pytest.mark.parametrize(
    ("example", "model"),
    [
        (CREATE_REPLY, CREATE_ORDER_V2_RESPONSE),
        (ORDER_EXAMPLE, ORDER),
        (FILL_EXAMPLE, FILL),
        (CANCEL_REPLY, CANCEL_ORDER_V2_RESPONSE),
    ],
)
def test_the_examples_are_complete_instances_of_the_sdk_models(example, model):
    assert set(example) == set(model) and _conforms(example, model) == []


def _required_only(example: dict, model: dict) -> dict:
    return {k: v for k, v in example.items() if model[k][1]}


@pytest.mark.parametrize("trim", [False, True], ids=["all_fields", "required_only"])
def test_parsers_read_the_sdk_shapes_exactly(trim):
    pick = _required_only if trim else (lambda e, m: e)
    created = parse_create_reply(pick(CREATE_REPLY, CREATE_ORDER_V2_RESPONSE))
    assert (created.order_id, created.fill_count, created.remaining_count) == ("o-1", D("2.50"), D("0"))
    assert created.ts_ms == 1_765_000_000_000
    if not trim:
        assert (created.average_fill_price, created.average_fee_paid) == (D("0.42"), D("0.0170"))
    order = parse_order(pick(ORDER_EXAMPLE, ORDER))
    assert (order.order_id, order.client_order_id, order.status, order.fill_count) == ("o-1", "c-1", "executed", 10)
    fill = parse_fill(pick(FILL_EXAMPLE, FILL))
    assert (fill.count, fill.price_of(Side.NO), fill.price_of(Side.YES), fill.fee) == (
        D("2.50"),
        D("0.42"),
        D("0.58"),
        D("0.0427"),
    )
    assert fill.book_side == "ask" and fill.is_taker is True
    assert parse_cancel_reply(pick(CANCEL_REPLY, CANCEL_ORDER_V2_RESPONSE)) == ("o-1", D("3.00"))


@pytest.mark.parametrize(
    ("parse", "example", "drop"),
    [
        (parse_create_reply, CREATE_REPLY, "order_id"),
        (parse_create_reply, CREATE_REPLY, "fill_count"),
        (parse_order, ORDER_EXAMPLE, "fill_count_fp"),
        (parse_fill, FILL_EXAMPLE, "count_fp"),
        (parse_fill, FILL_EXAMPLE, "order_id"),
        (parse_cancel_reply, CANCEL_REPLY, "reduced_by"),
    ],
)
def test_a_reply_missing_a_required_field_is_a_shape_error_not_a_key_error(parse, example, drop):
    with pytest.raises(ReplyShapeError, match=drop):
        parse({k: v for k, v in example.items() if k != drop})


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "order",
        {"order_id": 7, "fill_count": "1", "remaining_count": "0"},
        {**CREATE_REPLY, "fill_count": 2.5},  # a float count: not the fixed-point string
    ],
)
def test_malformed_create_replies_are_shape_errors(payload):
    with pytest.raises(ReplyShapeError):
        parse_create_reply(payload)


@pytest.mark.parametrize(
    ("status", "text", "expected"),
    [
        (400, '{"error": {"code": "invalid_parameters", "message": "bad", "details": "x"}}', "invalid_parameters"),
        (400, '{"code": "market_closed", "message": "closed"}', "market_closed"),  # a bare ErrorResponse
        (400, '{"error": "market closed"}', "market closed"),  # `error` as a string
        (410, '{"error": {"code": "deprecated_v1_order_endpoint"}}', "deprecated_v1_order_endpoint"),
        (502, "<html>Bad Gateway</html>", "http_502"),
        (500, "", "http_500"),
        (400, "[1, 2]", "http_400"),
        (400, '{"error": {"message": "no code"}}', "http_400"),
    ],
)
def test_every_error_body_shape_gives_a_code(status, text, expected):
    code, message = parse_error(status, text)
    assert code == expected and isinstance(message, str)


async def test_the_fake_server_speaks_the_sdk_models(rsa_key):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=7) as server:
        server.fill_sizes = [D("3")]
        client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE)
        order = await client.place_ioc(_order(Side.NO))
        venue_order = server.orders["c-1"]
        assert _conforms(venue_order, ORDER) == []
        assert len(server.fills) == 2 and all(_conforms(f, FILL) == [] for f in server.fills)
        assert _conforms(server.bodies[0], CREATE_ORDER_V2_REQUEST) == []
        signer = KalshiSigner("kid", rsa_key)
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            path = f"/portfolio/events/orders/{order.venue_order_id}"
            reply = await http.delete(path, headers=signer.headers("DELETE", "/trade-api/v2" + path))
            assert reply.status_code == 200 and _conforms(reply.json(), CANCEL_ORDER_V2_RESPONSE) == []
            path, body = "/portfolio/events/orders", create_order_body(_order(Side.YES))
            body["client_order_id"] = "c-2"
            reply = await http.post(path, json=body, headers=signer.headers("POST", "/trade-api/v2" + path))
            assert reply.status_code == 201 and _conforms(reply.json(), CREATE_ORDER_V2_RESPONSE) == []
            reply = await http.post(path, json=body, headers=signer.headers("POST", "/trade-api/v2" + path))
            assert reply.status_code == 409 and _conforms(reply.json()["error"], ERROR_RESPONSE) == []
        await client.aclose()
