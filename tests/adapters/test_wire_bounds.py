"""The shared bounds (adapters/wire.py, model.bounds.bounded_number): every number, string, list and
nesting level from a venue is bounded before arithmetic, refused with a stable reason, fast."""

from __future__ import annotations

import time
from decimal import Decimal as D

import pytest

from arbees_engine.adapters.wire import (
    MAX_JSON_DEPTH,
    ParseError,
    check_depth,
    decode_json,
    need_list,
    need_str,
    price,
    size,
    size_change,
    text,
    to_int,
)
from arbees_engine.model import BookError, BookLevel, BookUpdate, BookUpdateKind, OrderBook
from arbees_engine.model.bounds import MAX_BOOK_LEVELS, MAX_LEVEL_CONTRACTS
from arbees_engine.model.depth import walk, whole_contracts

HUGE = ["1e1000000", "1e10000000", "9e999999", "-1e1000000", 10**4000, "1" * 100, float("inf"), float("nan"), "NaN"]


@pytest.mark.parametrize("value", HUGE + ["-1", -1, "1e10", 10**9 + 1, "0.1234567", [1], {"a": 1}, True, None, "x"])
def test_sizes_outside_bounds_are_bad_size_at_once(value) -> None:
    started = time.perf_counter()
    with pytest.raises(ParseError) as exc:
        size(value)
    assert exc.value.reason == "bad_size" and time.perf_counter() - started < 0.01


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("444.32", D("444.32")),
        (10**9, MAX_LEVEL_CONTRACTS),
        ("0", D(0)),
        ("1.2500000000", D("1.250000")),
        (3.5, D("3.5")),
    ],
)
def test_sizes_within_bounds_are_exact(value, expected) -> None:
    assert size(value) == expected


def test_prices_deltas_ints_strings_lists() -> None:
    assert price("0.0800") == D("0.0800") and size_change("-12.5") == D("-12.5")
    for bad in ("1.7", "-0.01", "1e-1000000", "0.0000001"):
        with pytest.raises(ParseError, match="bad_price"):
            price(bad)
    with pytest.raises(ParseError, match="bad_size"):
        size_change("-1e1000000")
    assert to_int("26", "seq") == 26 and to_int(7.0, "seq") == 7
    for bad in ("9" * 100, 2**63, float("inf"), 1e300, "1e5", True):
        with pytest.raises(ParseError, match="bad_number"):
            to_int(bad, "seq")
    with pytest.raises(ParseError, match="too_long"):
        need_str({"id": "x" * 257}, "id")
    with pytest.raises(ParseError, match="too_long"):
        text("x" * 70_000, "title")
    with pytest.raises(ParseError, match="bad_field"):
        text({"nested": 1}, "title")
    with pytest.raises(ParseError, match="too_long"):
        need_list([0] * 10_001, "levels")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("[" * 100_000 + "]" * 100_000, "too_deep"),
        ("[" * 1_000_000, "too_deep"),
        ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), "too_deep"),
        ('{"a":' * 50_000 + "1" + "}" * 50_000, "too_deep"),
        ("[" + "9" * 5000 + "]", "bad_json"),
        (b"\xff\xfe", "bad_json"),
        ('{"a": [1, 2}', "bad_json"),
        ("", "bad_json"),
        (" " * (4 * 2**20 + 1), "too_long"),
    ],
)
def test_bodies_are_decoded_with_bounds(body, reason) -> None:
    started = time.perf_counter()
    with pytest.raises(ParseError) as exc:
        decode_json(body, "frame")
    assert exc.value.reason == reason and time.perf_counter() - started < 0.5


def test_nesting_is_counted_outside_strings_only() -> None:
    deep_text = '"' + "[" * 200 + '"'
    assert decode_json(f'{{"a": {deep_text}, "b": [[1]]}}', "frame") == {"a": "[" * 200, "b": [[1]]}
    assert decode_json('["\\"]]]]]]", [[[1]]]]', "frame") == ['"]]]]]]', [[[1]]]]
    nested = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    check_depth(nested)  # exactly the limit is fine
    assert decode_json('{"x": NaN}', "frame")["x"] != decode_json('{"x": NaN}', "frame")["x"]  # refused later, by price


def test_the_book_refuses_what_once_stalled_the_engine_and_caps_its_sides() -> None:
    book = OrderBook("kalshi:X")
    started = time.perf_counter()
    for bad in ("1e1000000", "1e10000000", str(10**9 + 1)):
        with pytest.raises(BookError):
            book.apply(BookUpdate("kalshi:X", (BookLevel(D("0.5"), D(bad)),), (), BookUpdateKind.SNAPSHOT))
    assert time.perf_counter() - started < 0.05 and book.stale and not book.bids
    with pytest.raises(BookError, match="decimal places"):
        book.apply(BookUpdate("kalshi:X", (BookLevel(D("0.1234567"), D(1)),), (), BookUpdateKind.SNAPSHOT))
    full = tuple(BookLevel(D(i) / 100_000, D(1)) for i in range(1, MAX_BOOK_LEVELS + 1))
    book.apply(BookUpdate("kalshi:X", full, (), BookUpdateKind.SNAPSHOT))
    with pytest.raises(BookError, match="levels"):
        book.apply(BookUpdate("kalshi:X", (BookLevel(D("0.99999"), D(1)),), (), BookUpdateKind.SET_LEVELS))
    assert len(book.bids) == MAX_BOOK_LEVELS  # unchanged by the refused delta
    assert whole_contracts(D("1e1000000")) == 10**9  # a level built elsewhere is capped, not expanded
    assert walk([BookLevel(D("0.5"), D("1e1000000"))], 5)[0].contracts == 5


@pytest.mark.parametrize("step", ["1e-1000000", "1e-7", "NaN", "9e999999"])
def test_a_kalshi_tick_step_out_of_bounds_refuses_the_grid_but_keeps_the_listing(step) -> None:
    from fixture_server import load_fixture

    from arbees_engine.adapters.kalshi.parse import parse_market_checked
    from arbees_engine.model.ticks import TICK_SCHEDULE_KEY, TICK_SCHEDULE_REFUSED

    market = dict(load_fixture("kalshi", "markets_open_two_tickers.json")["markets"][0])
    market["price_ranges"] = [{"start": "0", "end": "1", "step": step}]
    listing, rejections = parse_market_checked(market)
    assert [r.reason for r in rejections] == ["bad_tick"]
    assert listing.extra[TICK_SCHEDULE_KEY].startswith(TICK_SCHEDULE_REFUSED)
