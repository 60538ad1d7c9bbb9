"""Kalshi trading pauses against the local fake: no orders while paused or in maintenance (a counted
rejection), the venue's books marked stale, a status the desk can show; orders flow again after."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from live_fake_kalshi_exchange import FakeKalshiExchange
from live_sink import RecordingSink

from arbees_engine.adapters.http import RetryPolicy, make_client
from arbees_engine.adapters.kalshi.exchange import (
    MAINTENANCE,
    OPEN,
    PAUSED,
    KalshiExchangeWatch,
    PauseGuardBroker,
    parse_exchange_status,
    parse_maintenance_windows,
    trading_state,
)
from arbees_engine.adapters.wire import ParseError
from arbees_engine.model import Fill, Order, OrderStatus, Side, Venue

FAST = RetryPolicy(attempts=2, initial_s=0.001, max_wait_s=0.01, jitter_s=0.001)
NOW = datetime(2026, 12, 7, 23, 0, tzinfo=UTC)
MARKETS = ["kalshi:KXNBAGAME-26DEC07BOSLAL-BOS", "kalshi:KXNBAGAME-26DEC07BOSLAL-LAL"]


class FillingBroker:
    """Stands in for the live broker behind the guard: fills everything it is given."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def execute(self, order: Order, now: datetime) -> list[Fill]:
        self.sent.append(order.client_order_id)
        order.status, order.filled_contracts = OrderStatus.FILLED, order.contracts
        coid = order.client_order_id
        return [Fill(f"{coid}-1", coid, order.market_id, order.venue, order.side, order.limit_price, 1, D("0.02"), now)]

    async def reconcile(self, order: Order, now: datetime) -> list[Fill]:
        return []


def _order(n: int) -> Order:
    return Order(f"arb-pause-{n}", "sig", MARKETS[0], Venue.KALSHI, Side.YES, D("0.50"), 1, NOW)


@contextlib.asynccontextmanager
async def watching(server: FakeKalshiExchange, sink: RecordingSink):
    async with make_client(5.0) as client:
        watch = KalshiExchangeWatch(server.base_url, client, lambda: MARKETS, poll_s=0.01, policy=FAST)
        task = asyncio.create_task(watch.run(sink))
        try:
            yield watch
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _wait_state(watch: KalshiExchangeWatch, state: str) -> None:
    async with asyncio.timeout(5):
        while watch.state != state:
            watch.changed.clear()
            await watch.changed.wait()


async def test_pause_refuses_orders_marks_books_stale_and_resumes():
    sink, inner = RecordingSink(), FillingBroker()
    with FakeKalshiExchange() as server:
        async with watching(server, sink) as watch:
            guard = PauseGuardBroker(inner, watch)
            assert await guard.execute(_order(1), NOW) and watch.status() == {"exchange": "open"}
            server.paused = True
            await _wait_state(watch, PAUSED)
            refused = _order(2)
            assert await guard.execute(refused, NOW) == []
            assert (refused.status, refused.reason) == (OrderStatus.REJECTED, PAUSED)
            assert watch.status() == {"exchange": "trading_paused until 2026-12-08T01:00:00+00:00"}
            assert {e[1] for e in sink.events if e[0] == "stale"} >= set(MARKETS)
            server.paused = False
            await _wait_state(watch, OPEN)
            assert await guard.execute(_order(3), NOW)
    assert inner.sent == ["arb-pause-1", "arb-pause-3"]
    assert guard.refused == {PAUSED: 1} and watch.pauses == 1
    assert [r for _, r, _ in sink.rejects].count(PAUSED) == 1  # told once per pause, not per poll


async def test_maintenance_from_status_and_from_the_schedule():
    sink = RecordingSink()
    with FakeKalshiExchange() as server:
        server.maintenance = True
        async with watching(server, sink) as watch:
            await _wait_state(watch, MAINTENANCE)
            assert watch.order_refusal() == MAINTENANCE
    start, end = NOW - timedelta(minutes=5), NOW + timedelta(minutes=55)
    window = {"start_datetime": start.isoformat(), "end_datetime": end.isoformat()}
    windows = parse_maintenance_windows({"schedule": {"standard_hours": [], "maintenance_windows": [window]}})
    status = parse_exchange_status({"exchange_active": True, "trading_active": True})
    assert trading_state(status, windows, NOW) == MAINTENANCE
    assert trading_state(status, windows, end) == OPEN
    assert trading_state(None, [], NOW) == OPEN  # nothing read yet: no evidence of a pause


async def test_a_failed_status_read_keeps_the_last_state_and_is_counted():
    sink = RecordingSink()
    with FakeKalshiExchange() as server:
        server.paused = True
        async with watching(server, sink) as watch:
            await _wait_state(watch, PAUSED)
            server.fail_429 = 10**6  # the status endpoint stops answering
            await sink.wait_for(lambda: any(r == "http_429" for _, r, _ in sink.rejects))
            assert watch.order_refusal() == PAUSED


@pytest.mark.parametrize(
    "payload",
    [{}, {"exchange_active": "yes", "trading_active": True}, {"exchange_active": True}, [], "paused"],
)
def test_bad_status_payloads_raise_parse_error(payload):
    with pytest.raises(ParseError):
        parse_exchange_status(payload)


async def test_a_live_venue_watches_pauses_and_the_live_broker_is_guarded():
    from arbees_engine.adapters.kalshi.factory import build_venue, guard_live_broker
    from arbees_engine.settings import Settings

    async with make_client(5.0) as client:
        live = build_venue(Settings(), client, streaming=True)
        replayed = build_venue(Settings(), client, streaming=False)
    (watch,) = live.watchers
    assert isinstance(watch, KalshiExchangeWatch) and replayed.watchers == []
    inner = FillingBroker()
    guarded = guard_live_broker(inner, [live])
    assert isinstance(guarded, PauseGuardBroker) and guarded.watch is watch
    assert guard_live_broker(inner, [replayed]) is inner
