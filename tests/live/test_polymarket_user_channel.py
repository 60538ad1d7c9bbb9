"""The CLOB user channel against the fake CLOB's websocket: fills booked once, hostile frames and bad auth counted."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from decimal import Decimal as D

from live_fake_clob import FakeClob
from live_sink import RecordingSink
from test_polymarket_live_broker import ADDRESS, FEES, YES, _client, _engine, _market, _signal

from arbees_engine.adapters.polymarket.credentials import ApiCredentials
from arbees_engine.adapters.polymarket.user_channel import PolymarketUserChannel
from arbees_engine.adapters.reconnect import ReconnectPolicy
from arbees_engine.model import Side
from arbees_engine.model.fees import taker_fee


@contextlib.asynccontextmanager
async def _running(channel: PolymarketUserChannel, sink: RecordingSink):
    task = asyncio.create_task(channel.run(sink))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def _channel(fake: FakeClob, broker, secret: str | None = None) -> PolymarketUserChannel:
    creds = ApiCredentials(fake.api_key, secret or fake.api_secret, fake.api_passphrase)
    policy = ReconnectPolicy(initial_s=0.01, cap_s=0.05)
    return PolymarketUserChannel(creds, broker, url=fake.user_ws_url, policy=policy)


async def test_a_fill_pushed_on_the_user_channel_before_rest_is_asked_is_booked_once():
    with FakeClob(ADDRESS) as fake:
        fake.asks[YES] = [(D("0.40"), D("3")), (D("0.42"), D("10"))]
        fake.fee_bps[YES] = 300
        engine = _engine(_client(fake), _market())
        broker = engine.live_brokers[next(iter(engine.live_brokers))]
        booked = asyncio.Event()

        async def on_fill(fill) -> bool:
            new = await engine.executor.apply_fill(fill)
            booked.set()
            return new

        broker.on_fill = on_fill
        fake.trades_gate = threading.Event()  # REST /data/trades answers only once this is set
        channel, sink = _channel(fake, broker), RecordingSink()
        async with _running(channel, sink):
            await asyncio.to_thread(fake.user.subscribed.wait, 5)
            send = asyncio.create_task(engine.executor.execute(_signal(5)))
            await asyncio.wait_for(booked.wait(), 5)
            assert engine.executor.fills == 1 and broker.user_fills == 1 and channel.stats["fills_booked"] == 1
            assert not [r for r in fake.requests if r[1] == "/data/trades"]  # REST not answered yet
            fake.trades_gate.set()
            await asyncio.wait_for(send, 10)
        order = next(iter(engine.executor.recent_orders.values()))
        assert order.status.value == "filled" and order.filled_contracts == 5
        assert [r for r in fake.requests if r[1] == "/data/trades"]  # REST asked, and it booked nothing more
        assert engine.executor.fills == 1 and engine.executor.duplicate_fills == 1
        position = engine.portfolio.position(f"polymarket:{YES}", Side.YES)
        price = (D("0.40") * 3 + D("0.42") * 2) / 5
        assert position.contracts == 5 and position.cost == D("2.04") and position.fees == taker_fee(FEES, price, 5)
        engine.portfolio.check_identity()
        assert not sink.rejects


async def test_hostile_user_channel_frames_are_counted_and_the_stream_keeps_booking():
    with FakeClob(ADDRESS) as fake:
        fake.asks[YES] = [(D("0.40"), D("10"))]
        engine = _engine(_client(fake), _market())
        broker = engine.live_brokers[next(iter(engine.live_brokers))]
        broker.on_fill = engine.executor.apply_fill
        channel, sink = _channel(fake, broker), RecordingSink()
        async with _running(channel, sink):
            await asyncio.to_thread(fake.user.subscribed.wait, 5)
            for frame in (
                "not json",
                "[" * 500 + "]" * 500,
                '{"event_type": "trade", "id": "t", "taker_order_id": "x", "status": "MATCHED", "size": "1e999"}',
                '{"event_type": "trade", "id": "t", "status": "WHATEVER"}',
                '{"event_type": "trade", "id": "t", "taker_order_id": "x", "status": "MATCHED", "asset_id": "1",'
                ' "size": "2", "price": "1.7"}',
                '{"event_type": "mystery"}',
                "42",
            ):
                fake.user.push_raw(frame)
            await sink.wait_for(lambda: len(sink.rejects) >= 7)
            assert {r[1] for r in sink.rejects} >= {"bad_json", "too_deep", "bad_size", "bad_status", "bad_price"}
            assert all(r[0] == "polymarket-user" for r in sink.rejects)
            await engine.executor.execute(_signal(2))  # the stream is alive: the fill still arrives
            await channel.wait_until(lambda: channel.stats["trades"] >= 1)
            order = next(iter(engine.executor.recent_orders.values()))
            update = {"event_type": "order", "id": order.venue_order_id, "type": "UPDATE", "status": "MATCHED"}
            fake.user.push_raw(json.dumps(update))  # an order update of ours: its status is kept
            await channel.wait_until(lambda: channel.order_status.get(str(order.venue_order_id)) == "MATCHED")
        assert engine.executor.fills == 1 and engine.portfolio.position(f"polymarket:{YES}", Side.YES).contracts == 2


async def test_bad_credentials_are_refused_by_the_venue_and_counted():
    with FakeClob(ADDRESS) as fake:
        engine = _engine(_client(fake), _market())
        broker = engine.live_brokers[next(iter(engine.live_brokers))]
        channel, sink = _channel(fake, broker, secret="d3Jvbmc="), RecordingSink()
        async with _running(channel, sink):
            await sink.wait_for(lambda: channel.stats["auth_refused"] >= 2)
        assert fake.user.auth_refused >= 2 and not fake.user.subscriptions
        assert {r[1] for r in sink.rejects} == {"auth_refused"}
        assert all(fake.api_secret not in r[2] and "d3Jvbmc=" not in r[2] for r in sink.rejects)
        assert "d3Jvbmc=" not in repr(channel)
