"""Kalshi rate limits from the account's tier and the engine's order group, against the local fake
(tests/live/live_fake_kalshi_exchange.py; shapes per SDK kalshi-typescript 3.30.0)."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal as D

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from live_fake_kalshi_exchange import FakeKalshiExchange
from live_sink import RecordingSink

from arbees_engine.adapters.kalshi.account import (
    RESTING_ORDER_FIELDS,
    KalshiAccountError,
    KalshiOrderGroup,
    load_rate_limits,
    order_group_limit,
)
from arbees_engine.adapters.kalshi.auth import KalshiSigner
from arbees_engine.adapters.kalshi.ratelimit import (
    BASIC_LIMITS,
    RATE_LIMITED,
    READ,
    WRITE,
    ApiLimits,
    BucketLimit,
    KalshiRateLimiter,
    bucket_of,
    parse_account_limits,
    retry_after_s,
)
from arbees_engine.adapters.wire import ParseError

SDK_VERSION = "3.30.0"  # kalshi-typescript: AccountApi, OrderGroupsApi, BucketLimit


async def test_limits_and_costs_are_read_from_the_account(rsa_key):
    signer = KalshiSigner("kid", rsa_key)
    limiter = KalshiRateLimiter()
    with FakeKalshiExchange(rsa_key.public_key(), usage_tier="advanced", read=(300, 300), write=(300, 600)) as server:
        async with httpx.AsyncClient() as client:
            limits = await load_rate_limits(limiter, client, server.base_url, signer)
    assert limits == ApiLimits("advanced", BucketLimit(300, 300), BucketLimit(300, 600))
    assert limiter.buckets[WRITE].max_rate == 600 and limiter.buckets[READ].max_rate == 300
    assert limiter.cost("DELETE", "/portfolio/orders/abc-123") == 2  # listed by /account/endpoint_costs
    assert limiter.cost("POST", "/portfolio/events/orders") == 10  # the default


async def test_unreadable_limits_keep_basic(rsa_key):
    limiter = KalshiRateLimiter()
    with FakeKalshiExchange(rsa_key.public_key()) as server:
        async with httpx.AsyncClient() as client:
            other = KalshiSigner("kid", rsa.generate_private_key(public_exponent=65537, key_size=2048))
            assert await load_rate_limits(limiter, client, server.base_url, other) is None  # 401
    assert limiter.limits == BASIC_LIMITS


def test_buckets_and_reset_hints():
    assert bucket_of("POST", "/portfolio/events/orders") == WRITE
    assert bucket_of("PUT", "/portfolio/order_groups/g/limit") == WRITE
    assert bucket_of("GET", "/portfolio/orders") == READ
    assert retry_after_s({"Retry-After": "1.5"}) == 1.5
    assert retry_after_s({"X-RateLimit-Reset": "1000"}, now=998.0) == 1000.0  # small: seconds from now
    assert retry_after_s({"X-RateLimit-Reset": str(2e9)}, now=2e9 - 3) == 3.0  # epoch seconds
    assert retry_after_s({}) is None and retry_after_s({"Retry-After": "soon"}) is None
    with pytest.raises(ParseError):
        parse_account_limits({"usage_tier": "basic", "read": {"refill_rate": 0, "bucket_capacity": 1}, "write": {}})


async def test_the_write_bucket_paces_a_burst_at_the_tier_rate():
    # 1 write/s of cost 10 with a 2-request burst: 4 orders need ≥ 2 s of refill after the burst.
    limiter = KalshiRateLimiter(ApiLimits("basic", BucketLimit(100, 100), BucketLimit(10, 20)))
    started = time.monotonic()
    for _ in range(4):
        await limiter.acquire("POST", "/portfolio/events/orders")
    elapsed = time.monotonic() - started
    assert 1.5 <= elapsed < 4 and limiter.counts[f"paced:{WRITE}"] >= 1


async def test_429_backs_off_with_the_hint_or_exponentially_through_the_client_hooks(rsa_key):
    limiter = KalshiRateLimiter(backoff_s=0.05, backoff_cap_s=0.2)
    with FakeKalshiExchange() as server:
        async with httpx.AsyncClient() as client:
            limiter.attach(client, server.base_url)
            server.fail_429, server.retry_after = 1, "0.3"
            assert (await client.get(server.base_url + "/exchange/status")).status_code == 429
            assert limiter.blocked_until - time.monotonic() == pytest.approx(0.2, abs=0.05)  # hint capped at 0.2
            started = time.monotonic()
            assert (await client.get(server.base_url + "/exchange/status")).status_code == 200
            assert time.monotonic() - started >= 0.1
            server.fail_429, server.retry_after = 2, None  # Kalshi today: no headers
            await client.get(server.base_url + "/exchange/status")
            await client.get(server.base_url + "/exchange/status")
    assert limiter.counts[RATE_LIMITED] == 3
    assert limiter.last_backoff_s == pytest.approx(0.1)  # the second 429 in a row without a hint: 0.05 × 2


async def test_order_group_is_created_remembered_and_reused(rsa_key, tmp_path):
    signer, state = KalshiSigner("kid", rsa_key), tmp_path / "kalshi" / "order_group.json"
    limit = order_group_limit(max_position_contracts=500, max_contracts_per_signal=100)
    assert limit == D(500)
    with FakeKalshiExchange(rsa_key.public_key()) as server:
        async with httpx.AsyncClient() as client:
            first = KalshiOrderGroup(client, server.base_url, signer, state)
            gid = await first.ensure(limit)
            assert server.groups[gid]["contracts_limit_fp"] == "500.00" and state.stat().st_mode & 0o777 == 0o600
            again = KalshiOrderGroup(client, server.base_url, signer, state)  # a restart
            assert await again.ensure(D(600)) == gid and server.groups[gid]["contracts_limit_fp"] == "600.00"
            assert len(server.groups) == 1
            assert again.order_fields() == {"order_group_id": gid, **RESTING_ORDER_FIELDS}
            server.groups.clear()  # deleted at the venue: a new one is created
            assert await again.ensure(D(600)) != gid and len(server.groups) == 1


async def test_order_group_refused_raises_and_orders_still_cancel_on_pause(rsa_key):
    with FakeKalshiExchange(rsa_key.public_key()) as server:
        async with httpx.AsyncClient() as client:
            group = KalshiOrderGroup(client, server.base_url, KalshiSigner("kid", rsa_key))
            with pytest.raises(KalshiAccountError):
                await group.ensure(D("0.5"))  # the fake refuses a cap below one contract (HTTP 400)
    assert group.order_fields() == {"cancel_order_on_pause": True}
    assert RESTING_ORDER_FIELDS == {"cancel_order_on_pause": True}


async def test_order_group_is_kept_at_start_through_venue_refusals(rsa_key):
    sink = RecordingSink()
    with FakeKalshiExchange(rsa_key.public_key()) as server:
        async with httpx.AsyncClient() as client:
            group = KalshiOrderGroup(client, server.base_url, KalshiSigner("kid", rsa_key))
            server.fail_429 = 2
            await asyncio.wait_for(group.keep(sink, D(500), retry_s=0.01), timeout=5)
    assert group.ready.is_set() and group.order_group_id in server.groups
    assert [r for _, r, _ in sink.rejects] == ["order_group_unavailable"] * 2
