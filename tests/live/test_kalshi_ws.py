"""KalshiBookStream against a local Kalshi-protocol websocket server, with injected faults."""

from __future__ import annotations

import asyncio
import contextlib
import json
from decimal import Decimal as D

from live_fake_kalshi import FakeKalshiWs
from live_fixtures import load_fixture
from live_sink import RecordingSink

from arbees_engine.adapters.kalshi.auth import KalshiSigner
from arbees_engine.adapters.kalshi.ws import KalshiBookStream
from arbees_engine.adapters.reconnect import ReconnectPolicy

A, B = "KXNBAGAME-26JUN13NYKSAS-SAS", "KXNBAGAME-26JUN13NYKSAS-NYK"


def _books():
    return {
        A: {"yes": {D("0.35"): D("200"), D("0.42"): D("13")}, "no": {D("0.54"): D("400"), D("0.56"): D("17")}},
        B: {"yes": {D("0.40"): D("10")}, "no": {}},
    }


@contextlib.asynccontextmanager
async def running(server: FakeKalshiWs, tickers, sink, **kw):
    kw.setdefault("policy", ReconnectPolicy(initial_s=0.01, cap_s=0.2))
    stream = KalshiBookStream(tickers, url=server.url, **kw)
    task = asyncio.create_task(stream.run(sink))
    try:
        yield stream
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def in_sync(sink, server, ticker):
    return lambda: sink.yes_view(f"kalshi:{ticker}") == server.yes_view(ticker)


async def test_signed_snapshot_then_deltas_fixed_point(rsa_key):
    sink = RecordingSink()
    signer = KalshiSigner("kid", rsa_key)
    async with FakeKalshiWs(_books(), public_key=rsa_key.public_key()) as server:
        async with running(server, [A, B], sink, signer=signer) as stream:
            await sink.wait_for(in_sync(sink, server, A))
            book = sink.books[f"kalshi:{A}"]
            assert book.best_bid.price == D("0.42") and book.best_ask.price == D("0.44")  # 1 − 0.56
            await server.delta(A, "yes", "0.42", "50")
            await server.delta(A, "no", "0.56", "-17")  # removes the level → YES ask 0.44 gone
            await server.delta(B, "no", "0.50", "7")
            await sink.wait_for(lambda: in_sync(sink, server, A)() and in_sync(sink, server, B)())
            assert sink.books[f"kalshi:{A}"].bids[D("0.42")] == D("63")  # absolute, not the delta
            assert D("0.44") not in sink.books[f"kalshi:{A}"].asks
            removal = [u for u in sink.updates if u.asks and u.asks[0].price == D("0.44")]
            assert removal[-1].asks[0].size == 0
            assert server.rejected_handshakes == 0 and stream.stats["seq_gap"] == 0
            subs = [c for c in server.commands if c["cmd"] == "subscribe"]
            assert {c["params"]["channels"][0] for c in subs} == {"orderbook_delta", "ticker"}


async def test_legacy_cent_fields_and_empty_snapshot():
    sink = RecordingSink()
    books = _books()
    books[B] = {"yes": {}, "no": {}}  # empty book: side arrays absent, as in the demo capture
    async with FakeKalshiWs(books, legacy=True) as server:
        async with running(server, [A, B], sink):
            await sink.wait_for(lambda: in_sync(sink, server, A)() and in_sync(sink, server, B)())
            await server.delta(B, "yes", "0.10", "5")
            await server.delta(A, "no", "0.54", "-100")
            await sink.wait_for(lambda: in_sync(sink, server, A)() and in_sync(sink, server, B)())
            assert sink.books[f"kalshi:{A}"].asks[D("0.46")] == D("300")


def test_recorded_demo_frames_parse_including_empty_snapshot():
    sink = RecordingSink()
    ticker = "KXBTCD-26AUG2017-T73749.99"
    stream = KalshiBookStream([ticker, "KXBTC-25MAR15-B100000"])
    for frame in load_fixture("kalshi/ws_demo_subscribed_and_empty_snapshot.json"):
        stream.handle_raw(json.dumps(frame), sink)
    assert sink.updates[-1].market_id == f"kalshi:{ticker}" and sink.updates[-1].bids == ()
    # Synthetic fp snapshot + delta on the same sid continue the sequence (seq 1 → 2).
    snap = load_fixture("kalshi/synthetic/SYNTHETIC_ws_orderbook_snapshot_fp.json")
    delta = load_fixture("kalshi/synthetic/SYNTHETIC_ws_orderbook_delta_fp.json")
    stream.handle_raw(
        json.dumps({"type": "subscribed", "id": 9, "msg": {"channel": "orderbook_delta", "sid": 1}}), sink
    )
    stream.handle_raw(json.dumps(snap), sink)
    stream.handle_raw(json.dumps(delta), sink)
    book = sink.books["kalshi:KXBTC-25MAR15-B100000"]
    assert book.bids == {D("0.35"): D("200.00"), D("0.42"): D("63.00")}
    assert book.asks == {D("0.46"): D("400.00"), D("0.44"): D("17.00")}
    stream.handle_raw(json.dumps(load_fixture("kalshi/ws_ticker_prod_capture_legacy_fields.json")), sink)
    assert stream.stats["ticker"] == 1 and not sink.rejects


async def test_gap_duplicate_swap_and_malformed_frames_are_counted_and_healed():
    sink = RecordingSink()
    async with FakeKalshiWs(_books()) as server:
        async with running(server, [A, B], sink) as stream:
            await sink.wait_for(in_sync(sink, server, A))
            await server.delta(A, "yes", "0.42", "1", fault="duplicate")
            await server.delta(A, "yes", "0.30", "9", fault="gap")
            await sink.wait_for(lambda: stream.stats["resyncs"] == 1 and in_sync(sink, server, A)())
            await server.swapped_deltas(A, ("no", "0.54", "-10"), ("yes", "0.35", "5"))
            await sink.wait_for(lambda: stream.stats["resyncs"] == 2 and in_sync(sink, server, A)())
            sid, seq = server.book_sid(A), server.next_seq(A)
            await server.send_raw("{not json")
            await server.send_raw("[1, 2]")
            bad_price = {"market_ticker": A, "price_dollars": "1.7", "delta_fp": "1", "side": "yes"}
            await server.send_raw(json.dumps({"type": "orderbook_delta", "sid": sid, "seq": seq, "msg": bad_price}))
            await server.delta(A, "yes", "0.42", "2")  # real seq n still applies after the bad one
            await server.delta(B, "yes", "0.40", "-10")
            await sink.wait_for(lambda: in_sync(sink, server, A)() and in_sync(sink, server, B)())
    assert stream.stats["stale_seq"] == 1  # the duplicate
    assert stream.stats["seq_gap"] == 2  # the skipped seq and the swapped pair
    assert stream.stats["malformed"] == 3 and stream.stats["resyncs"] == 2
    assert {r[1] for r in sink.rejects} >= {"stale_seq", "seq_gap", "malformed"}
    assert [e[2] for e in sink.events if e[0] == "stale"].count("seq_gap") == 4  # A and B, twice
    sink.assert_no_update_while_stale()


async def test_drop_reconnects_resubscribes_and_marks_stale_meanwhile():
    sink = RecordingSink()
    async with FakeKalshiWs(_books()) as server:
        async with running(server, [A, B], sink) as stream:
            await sink.wait_for(in_sync(sink, server, A))
            await server.drop()
            await sink.wait_for(lambda: ("stale", f"kalshi:{A}", "disconnected") in sink.events)
            server.apply(A, "yes", D("0.42"), D("100"))  # changes while we are away
            await sink.wait_for(lambda: in_sync(sink, server, A)() and in_sync(sink, server, B)())
            await server.delta(A, "no", "0.60", "3")
            await sink.wait_for(in_sync(sink, server, A))
    assert server.connections == 2 and stream.policy.disconnects >= 1
    assert len(stream.policy.reconnect_times) == 1
    sink.assert_no_update_while_stale()


async def test_add_and_remove_markets_while_connected():
    sink = RecordingSink()
    async with FakeKalshiWs(_books()) as server:
        async with running(server, [A], sink) as stream:
            await sink.wait_for(in_sync(sink, server, A))
            await server.subscribed.wait()
            await stream.add_markets([B])
            await sink.wait_for(in_sync(sink, server, B))
            await stream.remove_markets([A])
            assert ("stale", f"kalshi:{A}", "unsubscribed") in sink.events
            await server.delta(B, "yes", "0.41", "4")
            await sink.wait_for(in_sync(sink, server, B))
            actions = [c["params"]["action"] for c in server.commands if c["cmd"] == "update_subscription"]
            assert actions.count("add_markets") == 2 and actions.count("delete_markets") == 2
            assert all(A not in s["tickers"] for subs in server.conns.values() for s in subs.values())


async def test_slow_consumer_with_tiny_queue_keeps_exact_book():
    sink = RecordingSink()
    async with FakeKalshiWs(_books()) as server:
        async with running(server, [A], sink, max_queue=1) as stream:
            await sink.wait_for(in_sync(sink, server, A))
            for i in range(300):
                await server.delta(A, "yes" if i % 2 else "no", f"0.{10 + i % 40}", 1 + i % 3)
            await sink.wait_for(in_sync(sink, server, A), timeout=10)
    assert stream.stats["book_updates"] == 301 and stream.stats["seq_gap"] == 0


async def test_expired_signature_is_refused_and_never_crashes(rsa_key):
    sink = RecordingSink()
    old = KalshiSigner("kid", rsa_key, clock_ms=lambda: 1_000_000_000_000)  # 2001: expired
    async with FakeKalshiWs(_books(), public_key=rsa_key.public_key()) as server:
        async with running(server, [A], sink, signer=old) as stream:
            await server.wait_rejections(3)
    assert stream.policy.disconnects >= 2 and not sink.updates  # the 3rd may still be in flight


def test_app_level_ping_error_and_unknown_frames_never_raise():
    sink = RecordingSink()
    stream = KalshiBookStream([A])
    assert stream.handle_raw('{"type": "ping"}', sink) == [{"type": "pong"}]
    assert (
        stream.handle_raw('{"id": 3, "type": "error", "msg": {"code": 8, "msg": "Unknown channel name"}}', sink) == []
    )
    assert stream.handle_raw('{"type": "brand_new_thing"}', sink) == []
    for bad in ("null", "7", '{"type": "orderbook_delta"}', b"\xff\xfe"):
        assert stream.handle_raw(bad, sink) == []
    assert stream.stats["venue_error_8"] == 1 and stream.stats["unknown_type"] == 1
    assert stream.stats["malformed"] == 4 and not sink.updates


async def test_starting_empty_then_adding_markets_subscribes():
    sink = RecordingSink()
    async with FakeKalshiWs(_books()) as server:
        async with running(server, [], sink) as stream:
            await stream.add_markets([A])  # may run before or after the socket opens
            await sink.wait_for(in_sync(sink, server, A))
            await stream.add_markets([B])
            await sink.wait_for(lambda: in_sync(sink, server, A)() and in_sync(sink, server, B)())
    assert stream.stats["malformed"] == 0


def test_a_refused_subscribe_is_sent_again_a_bounded_number_of_times():
    sink = RecordingSink()
    stream = KalshiBookStream(["KXA-1"])
    book_cmd = next(c for c in stream._subscribe_all() if c["params"]["channels"] == ["orderbook_delta"])
    refused_id, retries = book_cmd["id"], []
    for _ in range(5):
        error = {"type": "error", "id": refused_id, "msg": {"code": 8, "msg": "Internal error"}}
        commands = stream.handle_raw(json.dumps(error), sink)
        retries.append(len(commands))
        if commands:
            assert commands[0]["cmd"] == "subscribe" and commands[0]["params"]["channels"] == ["orderbook_delta"]
            refused_id = commands[0]["id"]
    assert retries == [1, 1, 1, 0, 0]  # MAX_SUBSCRIBE_RETRIES, then it waits for the next reconnect
    assert stream.stats["venue_error_8"] == 5
