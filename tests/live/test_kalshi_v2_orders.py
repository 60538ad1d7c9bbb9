"""Kalshi V2 orders end to end: the engine's executor → KalshiLiveBroker → the local fake V2 server.

IOC buys of YES and NO fill and book the venue's own per-fill fee; every odd reply (a 400 whose
`error` is a string, 410 `deprecated_v1_order_endpoint`, a 2xx without the object, non-JSON, 5xx, a
timeout, malformed fills) ends as a counted rejection or an unknown-outcome order that a later
lookup by client order id resolves; nothing raises. Fractional fills (2.50) are booked exactly.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal as D

import httpx
import pytest
from live_fake_kalshi_rest import FakeKalshiRest

from arbees_engine.adapters.kalshi.auth import KalshiSigner
from arbees_engine.adapters.kalshi.broker import KalshiLiveBroker
from arbees_engine.adapters.kalshi.orders import LIVE_AUTHORIZATION_PHRASE, KalshiOrderClient
from arbees_engine.model import (
    KALSHI_FEES,
    GameState,
    GameStatus,
    League,
    Leg,
    Market,
    Order,
    Outcome,
    Side,
    Signal,
    SignalKind,
    Sport,
    Team,
    Venue,
)
from arbees_engine.node.kernel import Engine
from arbees_engine.settings import Settings

LIVE = {"ARBEES_LIVE": "1", "ARBEES_LIVE_AUTHORIZATION": LIVE_AUTHORIZATION_PHRASE}
GAME = "espn:nba:1"
MARKET = Market(
    "kalshi:KXNBAGAME-26JUN13NYKSAS-SAS",
    Venue.KALSHI,
    "KXNBAGAME-26JUN13NYKSAS-SAS",
    GAME,
    Outcome.HOME,
    "SAS",
    fees=KALSHI_FEES,
)


def _client(server: FakeKalshiRest, rsa_key, **kw) -> KalshiOrderClient:
    return KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE, **kw)


def _engine(client: KalshiOrderClient) -> Engine:
    engine = Engine(Settings(database_url=None, redis_url=None), [])
    engine.registry.games[GAME] = GameState(
        GAME, Sport.BASKETBALL, League.NBA, Team("SAS", "Spurs"), Team("NYK", "Knicks"), GameStatus.LIVE
    )
    engine.registry.add_market(MARKET)
    engine.live_brokers[Venue.KALSHI] = KalshiLiveBroker(client, engine.registry.markets)
    return engine


def _signal(side: Side, price: str, contracts: int | D, signal_id: str = "sig-v2") -> Signal:
    leg = Leg(MARKET.market_id, Venue.KALSHI, side, D(price), contracts)
    return Signal(signal_id, SignalKind.EDGE, GAME, (leg,), 0.5, float(price), D("0.05"), datetime.now(UTC))


def _broker(engine: Engine) -> KalshiLiveBroker:
    broker = engine.live_brokers[Venue.KALSHI]
    assert isinstance(broker, KalshiLiveBroker)
    return broker


def _posts(server: FakeKalshiRest) -> list[str]:
    return [path for method, path, _ in server.requests if method == "POST"]


@pytest.mark.parametrize(
    ("side", "limit", "book_side", "yes_price"),
    [(Side.YES, "0.42", "bid", "0.4200"), (Side.NO, "0.35", "ask", "0.6500")],
    ids=["buy_yes", "buy_no"],
)
async def test_an_ioc_buy_fills_and_books_the_venue_fee_per_fill(rsa_key, side, limit, book_side, yes_price):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=7) as server:
        server.fill_sizes = [D("3")]  # two fills: 3 + 4
        client = _client(server, rsa_key)
        engine = _engine(client)
        await engine.executor.execute(_signal(side, limit, 10))
        (body,) = server.bodies
        assert (body["side"], body["price"], body["count"]) == (book_side, yes_price, "10.00")
        assert _posts(server) == ["/trade-api/v2/portfolio/events/orders"]  # never the legacy endpoint
        order = next(iter(engine.executor.recent_orders.values()))
        assert order.status.value == "partial" and order.filled_contracts == 7 and order.venue_order_id
        position = engine.portfolio.position(MARKET.market_id, side)
        assert position.contracts == 7 and position.cost == D(limit) * 7  # our side's price, not the YES price
        venue_fees = [D(f["fee_cost"]) for f in server.fills]
        assert len(venue_fees) == 2 and position.fees == sum(venue_fees)
        assert engine.portfolio.position(MARKET.market_id, side.opposite) is None
        assert not _broker(engine).counts["fee_estimated"]
        assert not _broker(engine).counts["fee_mismatch"]  # the fake charges Kalshi's own trade fee
        engine.portfolio.check_identity()
        await client.aclose()


async def test_a_venue_fee_unlike_our_estimate_is_booked_and_counted(rsa_key):
    """Live fills book the venue's fee_cost even when it differs from our estimate of the same
    fill's trade fee; each differing fill is counted as fee_mismatch."""
    with FakeKalshiRest(rsa_key.public_key(), liquidity=5) as server:
        server.fee_cost = "0.0500"  # a series multiplier we did not know of, say
        client = _client(server, rsa_key)
        engine = _engine(client)
        await engine.executor.execute(_signal(Side.YES, "0.42", 5))
        assert engine.portfolio.position(MARKET.market_id, Side.YES).fees == D("0.0500")
        assert _broker(engine).counts["fee_mismatch"] == 1
        assert engine.status_view().counts["broker:kalshi:fee_mismatch"] == 1  # `arbees-engine status` shows it
        await client.aclose()


async def test_a_fill_without_a_fee_gets_the_estimate_and_is_counted(rsa_key):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=5) as server:
        server.report_fee = False
        client = _client(server, rsa_key)
        engine = _engine(client)
        await engine.executor.execute(_signal(Side.YES, "0.42", 5))
        assert engine.portfolio.position(MARKET.market_id, Side.YES).fees > 0
        assert _broker(engine).counts["fee_estimated"] == 1
        await client.aclose()


async def test_a_fractional_fill_books_exactly_with_the_venue_fee_never_a_truncation(rsa_key):
    with FakeKalshiRest(rsa_key.public_key(), liquidity="2.50") as server:
        client = _client(server, rsa_key)
        engine = _engine(client)
        await engine.executor.execute(_signal(Side.YES, "0.42", 5))
        order = next(iter(engine.executor.recent_orders.values()))
        assert order.status.value == "partial" and order.filled_contracts == D("2.50")  # not booked as 2
        position = engine.portfolio.position(MARKET.market_id, Side.YES)
        assert position.contracts == D("2.50") and position.cost == D("0.42") * D("2.50")
        assert position.fees == sum(D(f["fee_cost"]) for f in server.fills) > 0  # the venue's own fee
        assert not engine.executor.unresolved and not _broker(engine).counts["fractional_contracts"]
        engine.portfolio.check_identity()
        await client.aclose()


async def test_a_fractional_market_sends_a_fractional_count(rsa_key):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=10) as server:
        client = _client(server, rsa_key)
        engine = _engine(client)
        engine.registry.markets[MARKET.market_id] = replace(MARKET, contract_step=D("0.01"))
        await engine.executor.execute(_signal(Side.NO, "0.35", D("2.5")))
        (body,) = server.bodies
        assert body["count"] == "2.50"
        assert engine.portfolio.position(MARKET.market_id, Side.NO).contracts == D("2.50")
        await client.aclose()


GONE = "deprecated_v1_order_endpoint"


def _err(body: object) -> bytes:
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    ("status", "raw", "kind"),
    [
        (400, _err({"error": "market closed"}), "rejected:http_400:market closed"),
        (400, _err({"code": "invalid_parameters", "message": "bare"}), "rejected:http_400:invalid_parameters"),
        (410, _err({"error": {"code": GONE, "message": "gone"}}), f"rejected:http_410:{GONE}"),
        (403, b"Forbidden", "rejected:http_403:http_403"),
    ],
    ids=["error_is_a_string", "bare_error", "gone_410", "not_json_403"],
)
async def test_a_definite_refusal_is_a_counted_rejection(rsa_key, status, raw, kind):
    with FakeKalshiRest(rsa_key.public_key()) as server:
        server.post_replies.append((status, raw, False))
        client = _client(server, rsa_key)
        engine = _engine(client)
        await engine.executor.execute(_signal(Side.NO, "0.40", 5))
        order = next(iter(engine.executor.recent_orders.values()))
        assert order.status.value == "rejected" and not engine.executor.unresolved
        assert _broker(engine).counts[kind] == 1
        assert engine.signal_book.signals["sig-v2"].decision.value == "unfilled"
        assert len(_posts(server)) == 1 and not server.orders
        await client.aclose()


@pytest.mark.parametrize(
    ("status", "raw"),
    [
        (201, b"{}"),  # a 2xx without the expected object
        (201, b"[]"),
        (200, b"<html>ok</html>"),  # not JSON
        (201, _err({"order_id": "x", "fill_count": "lots", "remaining_count": "0", "ts_ms": 1})),
        (500, b"Internal Server Error"),
        (503, _err({"error": {"code": "service_unavailable"}})),
    ],
    ids=["empty_object", "list", "not_json", "bad_count", "500_text", "503"],
)
async def test_a_reply_of_the_wrong_shape_is_looked_up_by_client_order_id(rsa_key, status, raw):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=4) as server:
        server.post_replies.append((status, raw, True))  # placed at the venue, then the odd reply
        client = _client(server, rsa_key)
        engine = _engine(client)
        await engine.executor.execute(_signal(Side.YES, "0.42", 10))
        order = next(iter(engine.executor.recent_orders.values()))
        assert order.status.value == "partial" and order.filled_contracts == 4
        assert engine.portfolio.position(MARKET.market_id, Side.YES).contracts == 4
        assert sum(_broker(engine).counts[k] for k in _broker(engine).counts if k.startswith("reply_lost:")) == 1
        assert len(server.orders) == 1
        await client.aclose()


async def test_an_odd_reply_for_an_order_never_placed_stays_unknown_then_is_resolved(rsa_key):
    with FakeKalshiRest(rsa_key.public_key()) as server:
        server.post_replies.append((201, b"{}", False))
        client = _client(server, rsa_key)
        engine = _engine(client)
        executor = engine.executor
        await executor.execute(_signal(Side.YES, "0.42", 10))
        (order,) = executor.unresolved.values()
        assert order.status.value == "sent" and "not found" in order.reason
        for _ in range(3):  # RESOLVE_ATTEMPTS lookups that find nothing
            await executor.resolve_unknown(order)
        assert order.status.value == "rejected" and not executor.unresolved
        await client.aclose()


async def test_a_timed_out_create_is_resent_with_the_same_client_order_id_never_doubled(rsa_key):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=6) as server:
        server.hold_next_post = True  # placed, reply held past the client's timeout
        client = _client(server, rsa_key, timeout_s=0.5, backoff_s=0.01)
        engine = _engine(client)
        await engine.executor.execute(_signal(Side.NO, "0.40", 6))
        server.release.set()
        order = next(iter(engine.executor.recent_orders.values()))
        assert order.status.value == "filled" and engine.portfolio.position(MARKET.market_id, Side.NO).contracts == 6
        assert len(_posts(server)) == 2 and len(server.orders) == 1 and len(server.fills) == 1
        await client.aclose()


async def test_a_refusal_of_the_resend_after_a_lost_reply_is_not_taken_as_not_placed(rsa_key):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=6) as server:
        server.hold_next_post = True  # the first attempt is placed, its reply lost to the timeout
        server.post_replies.append((400, _err({"error": "trading is paused"}), False))  # the resend is refused
        client = _client(server, rsa_key, timeout_s=0.5, backoff_s=0.01)
        engine = _engine(client)
        await engine.executor.execute(_signal(Side.YES, "0.42", 6))
        server.release.set()
        order = next(iter(engine.executor.recent_orders.values()))
        assert order.status.value == "filled" and engine.portfolio.position(MARKET.market_id, Side.YES).contracts == 6
        assert not any(k.startswith("rejected:") for k in _broker(engine).counts)
        await client.aclose()


@pytest.mark.parametrize(
    "raw", [b"not json", _err({"fills": {"oops": 1}}), _err({"fills": [{"fill_id": "f", "count_fp": "1.00"}]})]
)
async def test_unreadable_fills_leave_the_order_unknown_until_a_lookup_reads_them(rsa_key, raw):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=3) as server:
        server.get_replies.append((200, raw))  # the first GET (the order's fills) is garbage
        client = _client(server, rsa_key)
        engine = _engine(client)
        executor = engine.executor
        await executor.execute(_signal(Side.YES, "0.42", 3))
        (order,) = executor.unresolved.values()
        assert order.status.value == "sent" and engine.portfolio.position(MARKET.market_id, Side.YES) is None
        assert _broker(engine).counts["bad_reply"] == 1
        await executor.resolve_unknown(order)
        assert order.status.value == "filled" and not executor.unresolved
        assert engine.portfolio.position(MARKET.market_id, Side.YES).contracts == 3
        await client.aclose()


async def test_the_legacy_create_endpoint_answers_410(rsa_key):
    with FakeKalshiRest(rsa_key.public_key()) as server:
        signer = KalshiSigner("kid", rsa_key)
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            reply = await http.post(
                "/portfolio/orders",
                json={"ticker": "KXT", "action": "buy", "side": "yes", "count": 1, "type": "limit"},
                headers=signer.headers("POST", "/trade-api/v2/portfolio/orders"),
            )
        assert reply.status_code == 410 and reply.json()["error"]["code"] == "deprecated_v1_order_endpoint"
        assert not server.orders


async def test_cancel_uses_the_v2_endpoint(rsa_key):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=2) as server:
        client = _client(server, rsa_key)
        engine = _engine(client)
        await engine.executor.execute(_signal(Side.YES, "0.42", 2))
        order = next(iter(engine.executor.recent_orders.values()))
        assert await client.cancel(order.venue_order_id, MARKET.venue_market_id) == (order.venue_order_id, D("0"))
        assert ("DELETE", f"/trade-api/v2/portfolio/events/orders/{order.venue_order_id}", 200) in server.requests
        await client.aclose()


async def test_nothing_escapes_the_broker_even_when_a_fill_cannot_be_priced(rsa_key):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=2) as server:
        server.report_fee = False  # no fee_cost, and the broker does not know the market's fee schedule
        client = _client(server, rsa_key)
        broker = KalshiLiveBroker(client, {})
        order = Order("c-nofee", "s-1", MARKET.market_id, Venue.KALSHI, Side.YES, D("0.42"), 2, datetime.now(UTC))
        assert await broker.execute(order, datetime.now(UTC)) == []
        assert order.status.value == "sent" and order.reason.startswith("outcome unknown")
        assert await broker.reconcile(order, datetime.now(UTC)) == [] and order.status.value == "sent"
        assert broker.counts["bad_reply"] == 2
        broker.markets = {MARKET.market_id: MARKET}  # the market is known again: the fills book
        fills = await broker.reconcile(order, datetime.now(UTC))
        assert order.status.value == "filled" and sum(f.contracts for f in fills) == 2
        await client.aclose()


async def test_order_options_reach_the_create_body(rsa_key):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=1) as server:
        client = _client(server, rsa_key)
        broker = KalshiLiveBroker(client, {MARKET.market_id: MARKET}, {"cancel_order_on_pause": True})
        order = Order("c-opt", "s-1", MARKET.market_id, Venue.KALSHI, Side.NO, D("0.42"), 1, datetime.now(UTC))
        await broker.execute(order, datetime.now(UTC))
        assert server.bodies[0]["cancel_order_on_pause"] is True and order.status.value == "filled"
        await client.aclose()


async def test_an_unreadable_lookup_never_turns_an_unknown_order_into_never_sent(rsa_key):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=3) as server:
        server.post_replies.append((502, b"Bad Gateway", True))  # placed, then a gateway error
        server.get_replies.extend([(200, b"<html>")] * 6)  # every lookup answers garbage
        client = _client(server, rsa_key)
        engine = _engine(client)
        executor = engine.executor
        await executor.execute(_signal(Side.YES, "0.42", 3))
        (order,) = executor.unresolved.values()
        for _ in range(5):  # more than RESOLVE_ATTEMPTS: an unreadable answer is not "not found"
            await executor.resolve_unknown(order)
        assert order.status.value == "sent" and list(executor.unresolved) == [order.client_order_id]
        assert _broker(engine).counts["lookup_unreadable"] == 5
        server.get_replies.clear()
        await executor.resolve_unknown(order)
        assert order.status.value == "filled" and engine.portfolio.position(MARKET.market_id, Side.YES).contracts == 3
        await client.aclose()
