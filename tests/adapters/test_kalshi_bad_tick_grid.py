"""A Kalshi market with malformed `price_ranges` stays listed (status, result: settlement needs it),
its grid is refused (counted `bad_tick`, TICK_SCHEDULE_REFUSED under TICK_SCHEDULE_KEY) and it is
listed on the `price_level_structure` grid or $0.01. On the recorded finalized NBA game fixture."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from fixture_server import RecordingSink, Reply, load_fixture, start_fixture_server
from test_kalshi_tick_schedule import MALFORMED_RANGES

from arbees_engine.adapters.http import RetryPolicy, make_client
from arbees_engine.adapters.kalshi import KalshiRestVenue, parse_event, parse_markets
from arbees_engine.adapters.kalshi.parse import parse_market, parse_market_checked
from arbees_engine.model import Market, Outcome, Venue
from arbees_engine.model.ticks import TICK_SCHEDULE_KEY, TICK_SCHEDULE_REFUSED, TickError, price_grid

FAST = RetryPolicy(attempts=2, initial_s=0.001, max_wait_s=0.01, jitter_s=0.001)
SAS, NYK = "KXNBAGAME-26JUN13NYKSAS-SAS", "KXNBAGAME-26JUN13NYKSAS-NYK"
BROKEN = MALFORMED_RANGES


def _settled(ranges: object, **changes: object) -> dict:
    """The recorded finalized markets page with NYK's `price_ranges` replaced."""
    payload = load_fixture("kalshi", "markets_nba_game_settled.json")
    for market in payload["markets"]:
        if market["ticker"] == NYK:
            market.update(price_ranges=ranges, **changes)
    return payload


def _nyk(payload: dict) -> dict:
    return next(m for m in payload["markets"] if m["ticker"] == NYK)


@pytest.mark.parametrize("ranges", BROKEN)
def test_a_finalized_market_with_a_broken_grid_keeps_its_result_and_the_rejection_is_counted(ranges):
    listings, _, rejections = parse_markets(_settled(ranges))
    by_ticker = {m.venue_market_id: m for m in listings}
    assert set(by_ticker) == {SAS, NYK}  # not dropped: its position must still settle
    nyk = by_ticker[NYK]
    assert (nyk.status, nyk.result) == ("settled", "yes") and by_ticker[SAS].result == "no"
    assert [r.reason for r in rejections] == ["bad_tick"]
    assert NYK in rejections[0].detail and "orders refused" in rejections[0].detail
    assert nyk.extra[TICK_SCHEDULE_KEY].startswith(TICK_SCHEDULE_REFUSED)
    assert nyk.tick == D("0.01")  # the recorded linear_cent structure


@pytest.mark.parametrize(
    ("structure", "tick"),
    [
        ("deci_cent", "0.001"),
        ("tapered_deci_cent", "0.001"),
        ("linear_cent", "0.01"),
        (None, "0.01"),
        ("new_kind", "0.01"),
    ],
)
def test_the_listing_falls_back_to_the_structure_grid_or_a_cent(structure, tick):
    listing, rejections = parse_market_checked(_nyk(_settled(BROKEN[0], price_level_structure=structure)))
    assert listing.tick == D(tick) and [r.reason for r in rejections] == ["bad_tick"]
    assert parse_market(_nyk(_settled(BROKEN[0], price_level_structure=structure))) == listing


def test_the_refused_grid_stops_trading_whatever_the_market_tick():
    listing = parse_market(_nyk(_settled(BROKEN[0])))
    market = Market(f"kalshi:{NYK}", Venue.KALSHI, NYK, "g", Outcome.AWAY, "NY", tick=listing.tick)
    with pytest.raises(TickError, match="rejected"):
        price_grid(market, listing)


def test_a_good_grid_is_not_marked():
    listing, rejections = parse_market_checked(_nyk(load_fixture("kalshi", "markets_nba_game_settled.json")))
    assert rejections == [] and not listing.extra[TICK_SCHEDULE_KEY].startswith(TICK_SCHEDULE_REFUSED)


def test_an_event_payload_keeps_the_market_too():
    payload = load_fixture("kalshi", "event_nba_game_settled.json")
    markets = payload["markets"] if payload.get("markets") is not None else payload["event"]["markets"]
    markets[0]["price_ranges"] = BROKEN[0]
    listings, rejections = parse_event(payload)
    assert len(listings) == 2 and [r.reason for r in rejections] == ["bad_tick"]
    assert listings[0].result in ("yes", "no")


async def test_the_settlement_lookup_pushes_the_listing_and_counts_the_broken_grid():
    nyk = _nyk(_settled(BROKEN[0]))
    sink = RecordingSink()
    with start_fixture_server({f"/markets/{NYK}": Reply(200, {"market": nyk})}) as server:
        async with make_client(5.0) as client:
            assert await KalshiRestVenue(server.url, client, policy=FAST).lookup(NYK, sink)
    assert [(m.venue_market_id, m.status, m.result) for m in sink.listings] == [(NYK, "settled", "yes")]
    assert [(source, reason) for source, reason, _ in sink.rejections] == [("kalshi", "bad_tick")]
