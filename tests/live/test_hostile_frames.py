"""Hostile frames over a real local websocket: each is counted, none drops the connection (on main
each of these raised out of the parser and cost a reconnect), and the book stays exact."""

from __future__ import annotations

import json

from live_fake_kalshi import FakeKalshiWs
from live_fake_polymarket import FakePolymarketWs
from live_sink import RecordingSink
from test_kalshi_ws import A, B
from test_kalshi_ws import _books as kalshi_books
from test_kalshi_ws import in_sync as kalshi_in_sync
from test_kalshi_ws import running as kalshi_running
from test_polymarket_ws import X, Y
from test_polymarket_ws import _books as polymarket_books
from test_polymarket_ws import in_sync as polymarket_in_sync
from test_polymarket_ws import running as polymarket_running

from arbees_engine.adapters.kalshi.ws import KalshiBookStream
from arbees_engine.adapters.polymarket.ws import PolymarketBookStream


def _kalshi_hostile(sid: int, seq: int) -> list[str]:
    def delta(**msg) -> str:
        return json.dumps(
            {
                "type": "orderbook_delta",
                "sid": sid,
                "seq": seq,
                "msg": {"market_ticker": A, "side": "yes", "price_dollars": "0.42", "delta_fp": "1", **msg},
            }
        )

    return [
        delta(delta_fp="1e1000000"),  # once: int() in the depth walk, 78 s
        delta(delta_fp="9e999999"),  # once: decimal.Overflow when added to the level
        delta(price_dollars=float("nan")),
        delta(market_ticker={"nested": ["ticker"]}),
        "[" * 100_000,  # once: RecursionError
        json.dumps({"type": "orderbook_delta", "sid": sid, "seq": float("inf"), "msg": {}}),  # once: OverflowError
        json.dumps({"type": "subscribed", "id": 99, "msg": "not an object"}),
        json.dumps({"type": "ticker", "msg": {"market_ticker": "x" * 100_000}}),
    ]


async def test_kalshi_hostile_frames_are_counted_and_the_connection_stays_up():
    sink = RecordingSink()
    async with FakeKalshiWs(kalshi_books()) as server:
        async with kalshi_running(server, [A, B], sink) as stream:
            await sink.wait_for(kalshi_in_sync(sink, server, A))
            hostile = _kalshi_hostile(server.book_sid(A), server.next_seq(A))
            for raw in hostile:
                await server.send_raw(raw)
            await server.send_raw(
                json.dumps({"type": "error", "id": 5, "msg": "a string, not an object"})
            )  # once: AttributeError
            await server.delta(A, "yes", "0.42", "2")  # the real next seq still applies
            await sink.wait_for(kalshi_in_sync(sink, server, A))
    assert server.connections == 1 and stream.policy.disconnects == 0
    assert stream.stats["malformed"] == len(hostile) and stream.stats["venue_error_None"] == 1
    assert stream.stats["seq_gap"] == 0 and stream.stats["resyncs"] == 0
    assert not [reason for _, reason, _ in sink.rejects if reason.startswith("bad_frame")]
    sink.assert_no_update_while_stale()


async def test_polymarket_hostile_frames_are_counted_and_the_connection_stays_up():
    sink = RecordingSink()
    async with FakePolymarketWs(polymarket_books()) as server:
        async with polymarket_running(server, [X, Y], sink) as stream:
            await sink.wait_for(polymarket_in_sync(sink, server, X, Y))
            hostile = [
                json.dumps(
                    {"event_type": "book", "asset_id": X, "bids": [{"price": "0.5", "size": "1e1000000"}], "asks": []}
                ),
                "[" * 100_000,
                json.dumps(
                    {"event_type": "price_change", "asset_id": Y, "price_changes": 5}
                ),  # once: TypeError in except
                json.dumps(
                    {
                        "event_type": "price_change",
                        "timestamp": "1e400",
                        "price_changes": [{"asset_id": Y, "price": "0.2", "size": "1", "side": "BUY"}],
                    }
                ),
                json.dumps({"event_type": "tick_size_change", "asset_id": X, "new_tick_size": "1e-1000000"}),
            ]
            for raw in hostile:
                await server.send_raw(raw)
            await server.change(Y, "BUY", "0.11", "2")  # a real change after the hostile ones
            await sink.wait_for(lambda: server.rest_calls >= 1 and polymarket_in_sync(sink, server, X, Y)())
    assert server.connections == 1 and stream.policy.disconnects == 0
    assert stream.stats["malformed"] == 4 and stream.stats["bad_tick_size"] == 1
    assert not [reason for _, reason, _ in sink.rejects if reason.startswith("bad_frame")]
    sink.assert_no_update_while_stale()


class _BuggyKalshi(KalshiBookStream):
    """A stream whose dispatch has a bug the bounds cannot foresee."""

    def _dispatch(self, frame, sink, received_at):
        raise RuntimeError("a bug")


class _BuggyPolymarket(PolymarketBookStream):
    def _event(self, ev, sink, received_at):
        raise ZeroDivisionError("a bug")


def test_an_unforeseen_exception_is_counted_by_type_at_the_boundary():
    sink = RecordingSink()
    assert _BuggyKalshi([A]).handle_raw('{"type": "ok"}', sink) == []
    polymarket = _BuggyPolymarket([X])
    polymarket.books[X] = {"bids": {}, "asks": {}}
    polymarket._awaiting.discard(X)
    assert polymarket.handle_raw(json.dumps({"event_type": "book", "asset_id": X}), sink) == [X]  # stale, resync
    assert [reason for _, reason, _ in sink.rejects] == ["bad_frame:RuntimeError", "bad_frame:ZeroDivisionError"]
