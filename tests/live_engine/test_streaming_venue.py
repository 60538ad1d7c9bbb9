"""StreamingVenue in-process: subscriptions follow discovery (markets added and removed as games
open and close), the REST-polling fallback, and REST operations recorded with their responses."""

from __future__ import annotations

import asyncio
import contextlib
from decimal import Decimal

from fixture_server import RecordingSink, Reply, fixture, start_fixture_server
from live_engine_world import TOR, UTA, kalshi_books, kalshi_utator_markets
from live_fake_kalshi import FakeKalshiWs

from arbees_engine.adapters.capture import attach_capture, decode_op
from arbees_engine.adapters.composite import StreamingVenue
from arbees_engine.adapters.http import make_client
from arbees_engine.adapters.kalshi import KalshiRestVenue
from arbees_engine.adapters.kalshi.ws import KalshiBookStream
from arbees_engine.adapters.reconnect import ReconnectPolicy
from arbees_engine.adapters.recording import Recorder, read_records


def _one_market_closed() -> dict:
    payload = kalshi_utator_markets()
    payload["markets"] = [m for m in payload["markets"] if m["ticker"] == TOR]
    return payload


async def test_subscriptions_follow_discovery_and_closed_markets_are_dropped(tmp_path):
    """Round 1 lists TOR and UTA → both subscribed; round 2 lists only TOR → UTA unsubscribed
    (update_subscription delete_markets) and its book marked stale; a failed round drops nothing."""
    sink = RecordingSink()
    routes = {
        "/markets?series_ticker=KXNBAGAME": [
            Reply(200, kalshi_utator_markets()),
            Reply(200, _one_market_closed()),
            Reply(404, {"error": "gone"}),
        ]
    }
    async with FakeKalshiWs(kalshi_books()) as ws:
        with start_fixture_server(routes) as http, Recorder(tmp_path / "r.bin") as recorder:
            client = attach_capture(make_client(5.0))
            stream = KalshiBookStream([], url=ws.url, policy=ReconnectPolicy(initial_s=0.01, cap_s=0.1))
            venue = StreamingVenue(
                KalshiRestVenue(http.url, client, series_tickers=["KXNBAGAME"]), stream, recorder=recorder
            )
            task = asyncio.create_task(stream.run(sink))
            try:
                assert await venue.discover_round(sink) is True
                await sink.wait_for(lambda: {b.market_id for b in sink.books} >= {f"kalshi:{TOR}", f"kalshi:{UTA}"})
                assert venue.subscribed == {TOR, UTA}
                assert await venue.discover_round(sink) is True
                assert venue.subscribed == {TOR} and stream.tickers == {TOR}
                assert (f"kalshi:{UTA}", "unsubscribed") in sink.stale
                # Re-adding UTA makes the server send a fresh snapshot; it handles commands in order,
                # so once that snapshot is here the delete_markets before it has been processed.
                seen = len([b for b in sink.books if b.market_id == f"kalshi:{UTA}"])
                await venue.sync_subscriptions({UTA: "open"}, complete=False)
                await sink.wait_for(lambda: len([b for b in sink.books if b.market_id == f"kalshi:{UTA}"]) > seen)
                actions = [c["params"]["action"] for c in ws.commands if c["cmd"] == "update_subscription"]
                assert "delete_markets" in actions and actions[-1] == "add_markets"
                assert venue.subscribed == {TOR, UTA}
                await stream.remove_markets([UTA])
                venue.subscribed.discard(UTA)
                assert await venue.discover_round(sink) is False  # 404: incomplete, nothing dropped
                assert venue.subscribed == {TOR}
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                await client.aclose()
    ops = [decode_op(raw) for source, _, raw in read_records(tmp_path / "r.bin")[0] if source == "op"]
    assert [op["op"] for op in ops] == ["kalshi.discover"] * 3
    method, url, status, _headers, body = ops[0]["responses"][0]
    assert method == "GET" and "series_ticker=KXNBAGAME" in url and status == 200 and TOR.encode() in body
    assert ops[2]["responses"][0][2] == 404


async def test_without_a_stream_books_are_polled_over_rest(tmp_path):
    """Kalshi without credentials: the same venue polls GET /markets/{t}/orderbook instead."""
    sink = RecordingSink()
    routes = {
        "/markets?series_ticker=KXELONMARS": fixture("kalshi", "markets_open_two_tickers.json"),
        "/markets/KXELONMARS-99/orderbook": fixture("kalshi", "orderbook_fp_full_KXELONMARS-99.json"),
    }
    with start_fixture_server(routes) as http:
        async with make_client(5.0) as client:
            venue = StreamingVenue(KalshiRestVenue(http.url, client, series_tickers=["KXELONMARS"]), None, poll_s=0.05)
            assert venue.mode == "rest-poll"
            task = asyncio.create_task(venue.run(sink))
            try:
                await sink.wait_for(lambda: any(b.market_id == "kalshi:KXELONMARS-99" for b in sink.books))
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    book = next(b for b in sink.books if b.market_id == "kalshi:KXELONMARS-99")
    assert max(level.price for level in book.bids) == Decimal("0.08")  # the fixture's best yes bid
    assert http.hits("/markets/KXELONMARS-99/orderbook") >= 1
