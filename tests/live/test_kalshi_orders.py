"""KalshiOrderClient against a local signed Kalshi REST server."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from live_fake_kalshi_rest import FakeKalshiRest

from arbees_engine.adapters.kalshi.auth import KalshiSigner
from arbees_engine.adapters.kalshi.orders import (
    LIVE_AUTHORIZATION_PHRASE,
    KalshiApiError,
    KalshiOrderClient,
    LiveTradingRefused,
    RateLimited,
    live_trading_allowed,
)
from arbees_engine.model import Order, OrderStatus, Side, Venue

LIVE = {"ARBEES_LIVE": "1", "ARBEES_LIVE_AUTHORIZATION": LIVE_AUTHORIZATION_PHRASE}


def _order(cid="c-1", contracts=10, side=Side.YES):
    return Order(
        cid, "sig-1", "kalshi:KXNBAGAME-26JUN13NYKSAS-SAS", Venue.KALSHI, side, D("0.42"), contracts, datetime.now(UTC)
    )


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"ARBEES_LIVE": "1"},
        {"ARBEES_LIVE_AUTHORIZATION": LIVE_AUTHORIZATION_PHRASE},
        {"ARBEES_LIVE": "1", "ARBEES_LIVE_AUTHORIZATION": "yes"},
        {"ARBEES_LIVE": "true", "ARBEES_LIVE_AUTHORIZATION": LIVE_AUTHORIZATION_PHRASE},
    ],
)
def test_refuses_without_both_live_switches(rsa_key, env):
    assert not live_trading_allowed(env)
    with pytest.raises(LiveTradingRefused, match="paper"):
        KalshiOrderClient(KalshiSigner("kid", rsa_key), env=env)


async def test_ioc_order_signed_filled_and_fills_reconciled(rsa_key):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=6) as server:
        client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE)
        order = await client.place_ioc(_order(contracts=10, side=Side.NO))
        assert order.status is OrderStatus.PARTIAL and order.filled_contracts == 6 and not order.paper
        venue = server.orders["c-1"]
        assert venue["no_price_dollars"] == "0.4200" and venue["book_side"] == "ask"  # buy NO 0.42 = ask YES 0.58
        assert server.bodies[0]["side"] == "ask" and server.bodies[0]["price"] == "0.5800"
        assert (await client.get_order(order.venue_order_id)).client_order_id == "c-1"
        fills = await client.get_fills(order.venue_order_id)
        assert [(f.count, f.no_price) for f in fills] == [(D("6.00"), D("0.4200"))]
        await client.aclose()


async def test_resend_with_same_client_order_id_never_doubles(rsa_key):
    with FakeKalshiRest(rsa_key.public_key()) as server:
        client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE)
        first = await client.place_ioc(_order("c-dup"))
        again = await client.place_ioc(_order("c-dup"))  # e.g. after a restart
        assert again.venue_order_id == first.venue_order_id and again.status is OrderStatus.FILLED
        server.drop_next_post_response = True  # placed, reply lost → retry → 409 → lookup
        lost = await client.place_ioc(_order("c-lost"))
        assert lost.status is OrderStatus.FILLED and lost.venue_order_id == server.orders["c-lost"]["order_id"]
        assert len(server.orders) == 2 and len(server.fills) == 2
        assert sum(1 for m, p, s in server.requests if m == "POST") == 4
        reconciled = await client.reconcile(_order("c-lost"))
        assert reconciled.venue_order_id == lost.venue_order_id
        unsent = await client.reconcile(_order("c-never-sent"))
        assert unsent.status is OrderStatus.INTENT
        await client.aclose()


async def test_429_backs_off_honouring_retry_after_then_gives_up(rsa_key):
    with FakeKalshiRest(rsa_key.public_key()) as server:
        client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE, max_attempts=3)
        server.fail_429, server.retry_after = 2, "0.15"
        started = time.monotonic()
        order = await client.place_ioc(_order("c-429"))
        assert time.monotonic() - started >= 0.3  # waited Retry-After twice, not the 0.2 s jitter
        assert order.status is OrderStatus.FILLED and client.rate_limited == 2
        assert [s for _, _, s in server.requests] == [429, 429, 200]
        server.fail_429, server.retry_after = 5, "0"
        with pytest.raises(RateLimited):
            await client.place_ioc(_order("c-429b"))
        assert "c-429b" not in server.orders
        await client.aclose()


async def test_expired_signature_gets_401_and_is_not_retried(rsa_key):
    with FakeKalshiRest(rsa_key.public_key()) as server:
        stale = KalshiSigner("kid", rsa_key, clock_ms=lambda: 1_000_000_000_000)
        client = KalshiOrderClient(stale, base_url=server.base_url, env=LIVE)
        order = _order("c-401")
        with pytest.raises(KalshiApiError) as info:
            await client.place_ioc(order)
        assert info.value.status == 401 and order.status is OrderStatus.REJECTED
        assert server.requests == [("POST", "/trade-api/v2/portfolio/events/orders", 401)] and not server.orders
        await client.aclose()
