"""Polymarket book hashes on the recorded real market-channel sequences (../shared/fixtures/polymarket).

The recomputation is py-clob-client-v2's own `generate_orderbook_summary_hash` (the version
installed by pyproject's pin `py-clob-client-v2>=1.2.1,<2`; checked on 1.2.1).
"""

from __future__ import annotations

import json
from decimal import Decimal as D

from live_fixtures import load_fixture
from live_sink import RecordingSink
from py_clob_client_v2.utilities import generate_orderbook_summary_hash, parse_raw_orderbook_summary

from arbees_engine.adapters.polymarket.book_hash import HashContext, book_hash
from arbees_engine.adapters.polymarket.frames import book_side
from arbees_engine.adapters.polymarket.ws import PolymarketBookStream

BURST = "polymarket/ws_price_change_burst_with_hashes_2026.json"


def _burst():
    events = load_fixture(BURST)
    return events, events[0]["asset_id"]


def test_book_hash_is_the_official_clients_on_both_recorded_books():
    """Our call equals the client's function on the client's own parse of the same book."""
    for book in (load_fixture("polymarket/ws_book_captured_2026_full.json"), _burst()[0][0]):
        ctx = HashContext(book["market"], "5", book["tick_size"], False, book["last_trade_price"])
        levels = {"bids": book_side(book["bids"], "bids"), "asks": book_side(book["asks"], "asks")}
        ours = book_hash(ctx, book["asset_id"], book["timestamp"], levels)
        raw = {**book, "min_order_size": "5", "neg_risk": False}
        assert ours == generate_orderbook_summary_hash(parse_raw_orderbook_summary(raw)) == book["hash"]


def test_captured_book_hash_is_learned_from_the_snapshot():
    book = load_fixture("polymarket/ws_book_captured_2026_full.json")
    stream = PolymarketBookStream([book["asset_id"]])
    stream.handle_raw(json.dumps(book), RecordingSink())
    assert stream.stats["hash_learned"] == 1 and stream.stats["hash_unverifiable"] == 0
    assert stream.hashes.contexts[book["asset_id"]].min_order_size == "5"


def test_recorded_burst_reproduces_47_of_49_change_hashes_and_the_closing_book():
    events, yes = _burst()
    sink, stream = RecordingSink(), PolymarketBookStream([yes])
    resyncs = [stream.handle_raw(json.dumps(ev), sink) for ev in events]
    assert resyncs == [[]] * len(events)  # no resync: the crossing trade's two mid-states are tolerated
    assert (stream.stats["hash_ok"], stream.stats["hash_mid_trade"], stream.stats["hash_mismatch"]) == (47, 2, 0)
    assert stream.stats["hash_learned"] == 2  # the opening and the closing book (trade price 0.301 learned)
    assert stream.hashes.contexts[yes].last_trade_price == "0.301"
    closing = events[-1]
    view = sink.yes_view(f"polymarket:{yes}")
    assert view == (book_side(closing["bids"], "bids"), book_side(closing["asks"], "asks"))
    assert not sink.books[f"polymarket:{yes}"].stale and not sink.rejects


def _below_top(events, yes) -> int:
    """Index of a YES change strictly below the top of the book at it and at the next event (a
    bid under the best bid, or an ask over the best ask), so the best bid/ask cannot reveal it."""
    for i in range(2, len(events) - 2):
        ch, nxt = (next(c for c in events[j]["price_changes"] if c["asset_id"] == yes) for j in (i, i + 1))
        p = D(ch["price"])
        if ch["side"] == "BUY" and all(p < D(c["best_bid"]) for c in (ch, nxt)):
            return i
        if ch["side"] == "SELL" and all(p > D(c["best_ask"]) for c in (ch, nxt)):
            return i
    raise AssertionError("no change below the top in the burst")


def _first_resync_after_drop(events, yes, dropped: int, *, verify: bool):
    """Replay with event `dropped` lost; (index of the first event that resyncs, reason), or None."""
    sink, stream = RecordingSink(), PolymarketBookStream([yes])
    for i, ev in enumerate(events):
        if i == dropped:
            continue
        if not verify:
            stream.hashes.contexts.clear()  # as before: only the venue's best bid/ask is checked
        if stream.handle_raw(json.dumps(ev), sink):
            return i, sink.events[-1]
    return None


def test_a_dropped_change_below_the_top_is_caught_at_the_next_event():
    events, yes = _burst()
    dropped = _below_top(events, yes)
    index, stale = _first_resync_after_drop(events, yes, dropped, verify=True)
    assert index == dropped + 1 and stale == ("stale", f"polymarket:{yes}", "hash_mismatch")
    # Without the hash the best bid/ask check lets the phantom level through 43 more events, and
    # only the crossing trade's crossed mid-state (a false alarm, not the drop) marks the book stale.
    index, stale = _first_resync_after_drop(events, yes, dropped, verify=False)
    assert (dropped, index, stale[2]) == (3, 47, "book_mismatch")


def test_a_dropped_change_counts_and_rejects_once():
    events, yes = _burst()
    dropped = _below_top(events, yes)
    sink, stream = RecordingSink(), PolymarketBookStream([yes])
    for ev in events[:dropped]:
        assert stream.handle_raw(json.dumps(ev), sink) == []
    assert stream.handle_raw(json.dumps(events[dropped + 1]), sink) == [yes]
    assert stream.stats["hash_mismatch"] == 1 and stream.stats["book_mismatch"] == 0
    assert [r[1] for r in sink.rejects] == ["hash_mismatch"]
    assert stream.stats["delta_while_stale"] == 0
    stream.handle_raw(json.dumps(events[dropped + 2]), sink)  # buffered until the resync snapshot
    assert stream.stats["delta_while_stale"] == 1
