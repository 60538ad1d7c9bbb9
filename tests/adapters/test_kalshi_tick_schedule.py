"""Kalshi markets' price grids from `price_ranges` / `price_level_structure`, on the recorded
fixtures (https://docs.kalshi.com/getting_started/fixed_point_migration, "Price Level Structures")."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from fixture_server import load_fixture

from arbees_engine.adapters.kalshi import market_ticks, parse_markets
from arbees_engine.adapters.wire import ParseError
from arbees_engine.model.ticks import TICK_SCHEDULE_KEY, TICK_SCHEDULE_REFUSED, Rounding, TickSchedule

# The documented tapered_deci_cent ranges, in the wire shape of the fixtures' `price_ranges`.
TAPERED_RANGES = [
    {"start": "0.0000", "end": "0.1000", "step": "0.0010"},
    {"start": "0.1000", "end": "0.9000", "step": "0.0100"},
    {"start": "0.9000", "end": "1.0000", "step": "0.0010"},
]


def _open_markets() -> dict[str, dict]:
    return {m["ticker"]: m for m in load_fixture("kalshi", "markets_open_two_tickers.json")["markets"]}


def test_recorded_linear_and_deci_cent_markets_get_uniform_grids_from_their_ranges():
    markets = _open_markets()
    linear, deci = markets["KXELONMARS-99"], markets["KXCOLONIZEMARS-50"]
    assert market_ticks(linear) == TickSchedule.uniform(D("0.01")) and market_ticks(linear).finest == D("0.01")
    assert market_ticks(deci) == TickSchedule.uniform(D("0.001")) and market_ticks(deci).finest == D("0.001")
    assert market_ticks(linear).round_to_grid(D("0.555"), Rounding.DOWN) == D("0.55")
    assert market_ticks(deci).on_grid(D("0.555"))


def test_a_tapered_market_gets_three_bands_not_one_finest_tick():
    market = dict(
        _open_markets()["KXCOLONIZEMARS-50"], price_level_structure="tapered_deci_cent", price_ranges=TAPERED_RANGES
    )
    grid = market_ticks(market)
    assert [(r.start, r.end, r.step) for r in grid.ranges] == [
        (D("0"), D("0.1"), D("0.001")),
        (D("0.1"), D("0.9"), D("0.01")),
        (D("0.9"), D("1"), D("0.001")),
    ]
    assert grid.on_grid(D("0.055")) and not grid.on_grid(D("0.555")) and grid.on_grid(D("0.905"))
    assert market_ticks(market).finest == D("0.001")  # Market.tick keeps meaning "finest step"


def test_without_ranges_the_structure_name_gives_the_documented_grid():
    base = {k: v for k, v in _open_markets()["KXCOLONIZEMARS-50"].items() if k != "price_ranges"}
    from_ranges = market_ticks(dict(base, price_ranges=TAPERED_RANGES))
    assert market_ticks(dict(base, price_level_structure="tapered_deci_cent")) == from_ranges
    assert market_ticks(dict(base, price_level_structure="deci_cent")) == TickSchedule.uniform(D("0.001"))
    assert market_ticks(dict(base, price_level_structure="something_new")) == TickSchedule.uniform(D("0.01"))
    assert market_ticks(dict(base, price_level_structure="tapered_deci_cent", price_ranges=[])) == from_ranges


def test_the_ranges_win_over_the_structure_name():
    market = dict(_open_markets()["KXELONMARS-99"], price_level_structure="deci_cent")  # ranges say 0.01
    assert market_ticks(market) == TickSchedule.uniform(D("0.01"))


def test_listings_carry_the_grid_for_execution():
    payload = load_fixture("kalshi", "markets_open_two_tickers.json")
    payload["markets"][1].update(price_level_structure="tapered_deci_cent", price_ranges=TAPERED_RANGES)
    listings, _, rejections = parse_markets(payload)
    assert rejections == []
    linear, tapered = listings
    assert TickSchedule.from_text(linear.extra[TICK_SCHEDULE_KEY]) == TickSchedule.uniform(D("0.01"))
    assert TickSchedule.from_text(tapered.extra[TICK_SCHEDULE_KEY]) == market_ticks(payload["markets"][1])
    assert tapered.tick == D("0.001") and tapered.extra["price_level_structure"] == "tapered_deci_cent"


# `price_ranges` no grid can be built from (reused by test_kalshi_bad_tick_grid.py).
MALFORMED_RANGES = [
    [{"start": "0", "end": "1", "step": "0"}],
    [{"start": "0", "end": "1", "step": "-0.01"}],
    [{"start": "0", "end": "1", "step": "NaN"}],
    [{"start": "0", "end": "1.7", "step": "0.01"}],
    [{"start": "0", "end": "1"}],
    ["0.01"],
    {"start": "0", "end": "1", "step": "0.01"},
]


@pytest.mark.parametrize("ranges", MALFORMED_RANGES)
def test_malformed_ranges_are_a_counted_bad_tick_that_refuses_the_grid_not_the_listing(ranges):
    payload = load_fixture("kalshi", "markets_open_two_tickers.json")
    payload["markets"][0]["price_ranges"] = ranges
    with pytest.raises(ParseError) as info:
        market_ticks(payload["markets"][0])
    assert info.value.reason == "bad_tick"
    listings, _, rejections = parse_markets(payload)
    assert [m.venue_market_id for m in listings] == ["KXELONMARS-99", "KXCOLONIZEMARS-50"]
    assert listings[0].extra[TICK_SCHEDULE_KEY].startswith(TICK_SCHEDULE_REFUSED)  # price_grid refuses orders
    assert [r.reason for r in rejections] == ["bad_tick"] and "KXELONMARS-99" in rejections[0].detail
