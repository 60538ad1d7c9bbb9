"""PolymarketBookStream against a local market-channel server (+ REST /book), with faults."""

from __future__ import annotations

import asyncio
import contextlib
import json
from decimal import Decimal as D

from live_fake_polymarket import FakePolymarketWs
from live_fixtures import load_fixture
from live_sink import RecordingSink

from arbees_engine.adapters.polymarket.ws import PolymarketBookStream, rest_book_fetcher
from arbees_engine.adapters.reconnect import ReconnectPolicy

X, Y = "1111", "2222"


def _books():
    return {
        X: {"bids": {D("0.48"): D("100"), D("0.50"): D("25.5")}, "asks": {D("0.53"): D("40"), D("0.55"): D("9")}},
        Y: {"bids": {D("0.10"): D("5")}, "asks": {}},
    }


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
    stream = PolymarketBookStream(
        [book24["asset_id"], book26["asset_id"], v2_asset, tick["asset_id"], trade["asset_id"]]
    )
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
            await server.change(X, "SELL", "0.60", "1")  # its hash (and best_bid) reveal the loss
            await sink.wait_for(lambda: server.rest_calls == 1 and in_sync(sink, server, X)())
            await server.change(X, "BUY", "0.49", "8", fault="old")
            await sink.wait_for(lambda: server.rest_calls == 2 and in_sync(sink, server, X)())
            await server.send_raw("not json")
            await server.send_raw(
                json.dumps(
                    [
                        {
                            "event_type": "price_change",
                            "market": "m",
                            "timestamp": "1",
                            "price_changes": [{"asset_id": Y, "price": "7", "size": "1", "side": "BUY"}],
                        },
                        5,
                    ]
                )
            )
            # an update that cannot be applied leaves Y's book unknown: stale, then resynced from REST
            await sink.wait_for(lambda: ("stale", f"polymarket:{Y}", "malformed") in sink.events)
            await server.change(Y, "BUY", "0.11", "2")
            await sink.wait_for(lambda: server.rest_calls == 3 and in_sync(sink, server, X, Y)())
    assert stream.stats["duplicate"] == 1 and stream.stats["hash_mismatch"] == 1  # the hash is checked first
    assert stream.stats["hash_ok"] >= 1 and stream.stats["hash_unverifiable"] == 0
    assert stream.stats["out_of_order"] == 1 and stream.stats["resyncs"] == 3
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


def _event(kind: str, asset: str, ts: int, **fields) -> str:
    return json.dumps({"event_type": kind, "asset_id": asset, "market": "m", "timestamp": str(ts), **fields})


def _change(asset: str, ts: int, side: str, price: str, size: str, order_hash: str, bid: str, ask: str) -> str:
    return json.dumps(
        {
            "event_type": "price_change",
            "market": "m",
            "timestamp": str(ts),
            "price_changes": [
                {
                    "asset_id": asset,
                    "side": side,
                    "price": price,
                    "size": size,
                    "hash": order_hash,
                    "best_bid": bid,
                    "best_ask": ask,
                }
            ],
        }
    )


def test_a_later_change_of_the_same_order_is_applied_and_only_a_no_op_repeat_is_a_duplicate():
    sink, stream = RecordingSink(), PolymarketBookStream([X])
    stream.handle_raw(
        _event("book", X, 1000, bids=[{"price": "0.40", "size": "10"}], asks=[{"price": "0.60", "size": "10"}]), sink
    )
    stream.handle_raw(_change(X, 1001, "BUY", "0.45", "500", "order-h", "0.45", "0.60"), sink)  # the order rests
    stream.handle_raw(_change(X, 1001, "BUY", "0.45", "500", "order-h", "0.45", "0.60"), sink)  # the same frame again
    assert stream.stats["duplicate"] == 1
    stream.handle_raw(_change(X, 1002, "BUY", "0.45", "0", "order-h", "0.40", "0.60"), sink)  # the order's cancel
    book = sink.books[f"polymarket:{X}"]
    assert book.best_bid.price == D("0.40") and not book.stale and stream.stats["duplicate"] == 1


def test_a_rest_snapshot_overtaken_by_the_socket_is_dropped_and_changes_during_a_resync_are_replayed():
    sink, stream = RecordingSink(), PolymarketBookStream([X])
    stream.handle_raw(
        _event("book", X, 2000, bids=[{"price": "0.40", "size": "10"}], asks=[{"price": "0.60", "size": "10"}]), sink
    )
    stream.handle_raw(_change(X, 2001, "BUY", "0.42", "5", "h1", "0.42", "0.60"), sink)
    rest_old = json.dumps({"asset_id": X, "timestamp": "1500", "bids": [{"price": "0.30", "size": "1"}], "asks": []})
    stream.handle_raw(rest_old, sink, source="polymarket-rest")  # fetched before the socket moved on
    book = sink.books[f"polymarket:{X}"]
    assert book.best_bid.price == D("0.42") and stream.stats["stale_snapshot"] == 1
    # now a gap: the asset awaits a snapshot; a change arriving meanwhile is kept, then replayed
    assert stream.handle_raw(_change(X, 1999, "BUY", "0.41", "1", "h2", "0.42", "0.60"), sink) == [X]  # out of order
    stream.handle_raw(_change(X, 2005, "SELL", "0.55", "3", "h3", "0.42", "0.55"), sink)  # during the fetch
    rest_new = json.dumps(
        {
            "asset_id": X,
            "timestamp": "2003",
            "bids": [{"price": "0.42", "size": "5"}],
            "asks": [{"price": "0.60", "size": "10"}],
        }
    )
    stream.handle_raw(rest_new, sink, source="polymarket-rest")
    book = sink.books[f"polymarket:{X}"]
    assert not book.stale and book.best_ask.price == D("0.55")  # the 2005 change is not lost


def test_a_replayed_change_that_disagrees_with_the_venue_asks_for_another_resync():
    sink, stream = RecordingSink(), PolymarketBookStream([X])
    stream.handle_raw(
        _event("book", X, 3000, bids=[{"price": "0.40", "size": "10"}], asks=[{"price": "0.60", "size": "10"}]), sink
    )
    stream.handle_raw(_change(X, 2999, "BUY", "0.41", "1", "h1", "0.41", "0.60"), sink)  # out of order: resync
    stream.handle_raw(_change(X, 3005, "BUY", "0.45", "2", "h2", "0.47", "0.60"), sink)  # buffered; venue says 0.47
    rest = json.dumps(
        {
            "asset_id": X,
            "timestamp": "3001",
            "bids": [{"price": "0.40", "size": "10"}],
            "asks": [{"price": "0.60", "size": "10"}],
        }
    )
    assert stream.handle_raw(rest, sink, source="polymarket-rest") == [X]
    assert sink.books[f"polymarket:{X}"].stale and stream.stats["book_mismatch"] == 1


async def test_discovery_and_lookup_use_gammas_keyset_lists_never_the_retired_ones():
    from arbees_engine.adapters.http import RetryPolicy, make_client
    from arbees_engine.adapters.polymarket.rest import PolymarketRestVenue

    events = load_fixture("polymarket/gamma_events_sports_game_mlp_open.json")
    resolved = load_fixture("polymarket/gamma_market_sports_moneyline_resolved_cs2.json")
    sink = RecordingSink()
    async with FakePolymarketWs(_books()) as server:
        server.gamma_events, server.gamma_markets = events, [resolved]
        async with make_client(5.0) as client:
            venue = PolymarketRestVenue(server.rest_url, server.rest_url, client, policy=RetryPolicy(attempts=1))
            assert await venue.discover(sink) is True
            assert await venue.lookup(json.loads(resolved["clobTokenIds"])[0], sink)
    assert server.gamma_calls == {"/events/keyset": 1, "/markets/keyset": 1}
