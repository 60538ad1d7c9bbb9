"""PolymarketBookStream against a local market-channel server (+ REST /book), with faults."""

from __future__ import annotations

import asyncio
import contextlib
import json
from decimal import Decimal as D

from arbees_engine.adapters.polymarket.ws import PolymarketBookStream, rest_book_fetcher
from arbees_engine.adapters.reconnect import ReconnectPolicy
from live_fixtures import load_fixture
from live_fake_polymarket import FakePolymarketWs
from live_sink import RecordingSink

X, Y = "1111", "2222"


def _books():
    return {X: {"bids": {D("0.48"): D("100"), D("0.50"): D("25.5")}, "asks": {D("0.53"): D("40"), D("0.55"): D("9")}},
            Y: {"bids": {D("0.10"): D("5")}, "asks": {}}}


@contextlib.asynccontextmanager
async def running(server, assets, sink, **kw):
    kw.setdefault("policy", ReconnectPolicy(initial_s=0.01, cap_s=0.2))
    kw.setdefault("fetch_book", rest_book_fetcher(server.rest_url))
    stream = PolymarketBookStream(assets, url=server.url, **kw)
    task = asyncio.create_task(stream.run(sink))
    try:
        yield stream
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def in_sync(sink, server, *assets):
    return lambda: all(sink.yes_view(f"polymarket:{a}") == server.yes_view(a) for a in assets)


def test_fixture_frames_book_price_changes_tick_and_trade():
    sink = RecordingSink()
    book24 = load_fixture("polymarket/ws_book_2024_trimmed_middle_levels.json")
    legacy = load_fixture("polymarket/ws_price_change_legacy_pre2025-09.json")
    v2 = load_fixture("polymarket/ws_price_change_v2_docs_example.json")
    book26 = load_fixture("polymarket/ws_book_captured_2026_full.json")
    tick = load_fixture("polymarket/ws_tick_size_change.json")
    trade = load_fixture("polymarket/ws_last_trade_price.json")
    v2_asset = v2["price_changes"][0]["asset_id"]
    stream = PolymarketBookStream([book24["asset_id"], book26["asset_id"], v2_asset, tick["asset_id"], trade["asset_id"]])
    stream.handle_raw(json.dumps({**book24, "event_type": book24.get("event_type", "book")}), sink)
    m24 = f"polymarket:{book24['asset_id']}"
    assert sink.books[m24].best_bid.price == D("0.511") and sink.books[m24].best_ask.price == D("0.514")
    # The two captures are days apart: the change predates the book, so it must not be applied.
    assert stream.handle_raw(json.dumps(legacy), sink) == [book24["asset_id"]]
    assert stream.stats["out_of_order"] == 1 and sink.books[m24].stale
    earlier = {**book24, "event_type": "book", "timestamp": str(int(legacy["timestamp"]) - 1)}
    stream.handle_raw(json.dumps(earlier), sink)
    stream.handle_raw(json.dumps(legacy), sink)  # flat legacy change: SELL 0.514 → new total
    assert sink.books[m24].asks[D("0.514")] == D("21574.08")
    stream.handle_raw(json.dumps([book26, tick, trade]), sink)  # a frame holding a list of events
    m26 = f"polymarket:{book26['asset_id']}"
    assert sink.books[m26].best_bid.price == D("0.07") and not sink.books[m26].stale
    assert stream.ticks[tick["asset_id"]] == D("0.001") and stream.last_trade[trade["asset_id"]]["price"] == "0.491"
    # The v2 docs example for an asset whose book we never saw: dropped, not applied to garbage.
    assert stream.handle_raw(json.dumps(v2), sink) == []
    assert stream.stats["delta_while_stale"] == 1 and [r[1] for r in sink.rejects] == ["out_of_order"]


async def test_subscribe_snapshot_changes_both_schemas_and_keepalive():
    sink = RecordingSink()
    async with FakePolymarketWs(_books()) as server:
        async with running(server, [X, Y], sink, ping_interval_s=0.02) as stream:
            await sink.wait_for(in_sync(sink, server, X, Y))
            assert sink.books[f"polymarket:{X}"].best_bid.price == D("0.50")
            await server.change(X, "BUY", "0.51", "7")
            await server.change(X, "SELL", "0.53", "0")
            await server.change(Y, "SELL", "0.20", "3", legacy=True)
            await sink.wait_for(in_sync(sink, server, X, Y))
            await server.wait_until(lambda: server.pings >= 2)
            await sink.wait_for(lambda: stream.stats["pong"] >= 1)
    assert stream.stats["resyncs"] == 0 and server.rest_calls == 0


async def test_lost_duplicate_old_and_malformed_frames():
    sink = RecordingSink()
    async with FakePolymarketWs(_books()) as server:
        async with running(server, [X, Y], sink) as stream:
            await sink.wait_for(in_sync(sink, server, X, Y))
            await server.change(X, "BUY", "0.52", "3", fault="duplicate")
            await server.change(X, "BUY", "0.52", "0", fault="lost")  # the best bid vanished unseen
            await server.change(X, "SELL", "0.60", "1")  # its best_bid reveals the mismatch
            await sink.wait_for(lambda: server.rest_calls == 1 and in_sync(sink, server, X)())
            await server.change(X, "BUY", "0.49", "8", fault="old")
            await sink.wait_for(lambda: server.rest_calls == 2 and in_sync(sink, server, X)())
            await server.send_raw("not json")
            await server.send_raw(json.dumps([{"event_type": "price_change", "market": "m", "timestamp": "1",
                                               "price_changes": [{"asset_id": Y, "price": "7", "size": "1", "side": "BUY"}]}, 5]))
            await server.change(Y, "BUY", "0.11", "2")
            await sink.wait_for(in_sync(sink, server, X, Y))
    assert stream.stats["duplicate"] == 1 and stream.stats["book_mismatch"] == 1
    assert stream.stats["out_of_order"] == 1 and stream.stats["resyncs"] == 2
    assert stream.stats["malformed"] == 3
    sink.assert_no_update_while_stale()


async def test_drop_marks_stale_and_recovers():
    sink = RecordingSink()
    async with FakePolymarketWs(_books()) as server:
        async with running(server, [X, Y], sink) as stream:
            await sink.wait_for(in_sync(sink, server, X, Y))
            await server.drop()
            await sink.wait_for(lambda: ("stale", f"polymarket:{Y}", "disconnected") in sink.events)
            server.books[X]["bids"][D("0.47")] = D("1")
            await sink.wait_for(in_sync(sink, server, X, Y))
            await stream.remove_assets([Y])
            assert ("stale", f"polymarket:{Y}", "unsubscribed") in sink.events
            await server.change(X, "BUY", "0.47", "0")
            await sink.wait_for(in_sync(sink, server, X))
            assert stream.handle_raw(json.dumps(server.book_event(Y)), sink) == []
            assert stream.stats["unrequested_asset"] == 1
    assert server.connections == 2 and len(stream.policy.reconnect_times) == 1
    sink.assert_no_update_while_stale()
