"""Polymarket Gamma/CLOB parsing on the recorded fixtures, and PolymarketRestVenue.run locally."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest
from fixture_server import RecordingSink, Reply, gamma_routes, load_fixture, run_until, start_fixture_server

from arbees_engine.adapters.http import RetryPolicy, make_client
from arbees_engine.adapters.polymarket import (
    PolymarketRestVenue,
    book_timestamp,
    parse_book,
    parse_events,
    parse_market,
    parse_midpoint,
    parse_prices_history,
)
from arbees_engine.adapters.wire import ParseError
from arbees_engine.model import FeeKind, Venue

D = Decimal
NOW = datetime(2026, 11, 25, tzinfo=UTC)
FAST = RetryPolicy(attempts=4, initial_s=0.001, max_wait_s=0.01, jitter_s=0.001)
MLP_YES = "36280099875251751745818064964562734168278241751001325046514103806779905894113"
MLP_NO = "115043236841547229053095148912598253372531226174242957684364527866365709777227"


def test_gamma_sports_event_moneyline() -> None:
    listings, rejections = parse_events(load_fixture("polymarket", "gamma_events_sports_game_mlp_open.json"))
    assert rejections == [] and len(listings) == 2
    moneyline = listings[0]
    assert (moneyline.venue, moneyline.venue_market_id, moneyline.no_token_id) == (Venue.POLYMARKET, MLP_YES, MLP_NO)
    assert (moneyline.yes_label, moneyline.no_label) == ("St. Louis Shock", "Texas Ranchers")
    assert moneyline.teams == ("St. Louis Shock", "Texas Ranchers")
    assert moneyline.team_roles == {"St. Louis Shock": "home", "Texas Ranchers": "away"}
    assert (moneyline.event_id, moneyline.league_hint, moneyline.status) == ("mlp-stl-tex-2026-08-14", "mlp", "open")
    assert moneyline.extra["sports_market_type"] == "moneyline"
    assert moneyline.fees.kind is FeeKind.POLYMARKET and moneyline.fees.taker_rate == D("0.05")
    assert (moneyline.fees.exponent, moneyline.fees.maker_rate) == (1, D(0))
    assert (moneyline.tick, moneyline.best_bid, moneyline.best_ask) == (D("0.01"), D("0.06"), D("0.99"))
    assert moneyline.starts_at == datetime(2026, 8, 14, 21, 0, tzinfo=UTC)
    advance = listings[1]
    assert (advance.yes_label, advance.tick, advance.extra["sports_market_type"]) == (
        "STL",
        D("0.001"),
        "soccer_team_to_advance",
    )


def test_resolved_cs2_market_is_settled_yes() -> None:
    listing = parse_market(load_fixture("polymarket", "gamma_market_sports_moneyline_resolved_cs2.json"))
    assert (listing.status, listing.result) == ("settled", "yes")
    assert (listing.yes_label, listing.no_label) == ("FaZe", "illwill")
    assert listing.venue_market_id.startswith("8997234641708") and listing.no_token_id.startswith("9051095124829")
    assert listing.fees.taker_rate == D("0.03") and listing.extra["sports_market_type"] == "moneyline"


def test_negrisk_politics_market_carries_what_the_matcher_refuses_on() -> None:
    listing = parse_market(load_fixture("polymarket", "gamma_market_open_negrisk_politics.json"))
    assert (listing.status, listing.yes_label, listing.no_label) == ("open", "Yes", "No")
    assert listing.extra["sports_market_type"] == "" and listing.extra["neg_risk"] == "true"
    assert listing.teams == () and listing.league_hint == ""
    assert (listing.best_bid, listing.best_ask, listing.tick) == (D("0.232"), D("0.233"), D("0.001"))


def test_clob_rest_book_best_first() -> None:
    payload = load_fixture("polymarket", "clob_book_rest_negrisk_trimmed.json")
    book = parse_book(payload, "polymarket:x", NOW)
    assert [lv.price for lv in book.bids] == [D("0.005"), D("0.004"), D("0.003"), D("0.002"), D("0.001")]
    assert [lv.price for lv in book.asks] == [D("0.995"), D("0.996"), D("0.997"), D("0.998"), D("0.999")]
    assert book.asks[2].size == D("7.06") and book.is_snapshot
    assert book_timestamp(payload) == datetime.fromtimestamp(1781289337.944, UTC)


def test_ws_book_events() -> None:
    full = parse_book(load_fixture("polymarket", "ws_book_captured_2026_full.json"), "m")
    assert (full.bids[0].price, full.bids[0].size) == (D("0.07"), D("182528.55"))
    assert (full.asks[0].price, full.asks[0].size) == (D("0.08"), D("228198.28"))
    trimmed = parse_book(load_fixture("polymarket", "ws_book_2024_trimmed_middle_levels.json"), "m")
    assert (trimmed.bids[0].price, trimmed.asks[0].price) == (D("0.511"), D("0.514"))


def test_midpoint_and_prices_history() -> None:
    assert parse_midpoint(load_fixture("polymarket", "clob_midpoint.json")) == D("0.1515")
    history = parse_prices_history(load_fixture("polymarket", "clob_prices_history_stringified.json"))
    assert len(history) == 10 and history[5] == (datetime.fromtimestamp(1781283064, UTC), D("0.1505"))
    assert parse_prices_history({"history": [{"t": 1781282044, "p": 0.151}]})[0][1] == D("0.151")


@pytest.mark.parametrize(
    ("book", "reason"),
    [
        ({"bids": [{"price": "1.7", "size": "1"}]}, "bad_price"),
        ({"asks": [{"price": "NaN", "size": "1"}]}, "bad_price"),
        ({"bids": [{"price": "0.5", "size": "-2"}]}, "bad_size"),
        ({"bids": {"price": "0.5"}}, "not_list"),
        ({"bids": [["0.5", "1"]]}, "bad_level"),
        ({"event_type": "price_change", "bids": []}, "bad_event_type"),
    ],
)
def test_bad_books_raise_parse_error(book: dict, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_book(book, "m")
    assert info.value.reason == reason


def test_bad_gamma_markets_are_rejected_others_parse() -> None:
    events = load_fixture("polymarket", "gamma_events_sports_game_mlp_open.json")
    events[0]["markets"][1]["clobTokenIds"] = '["only-one'
    events.append({"id": "x"})
    listings, rejections = parse_events(events)
    assert [listing.venue_market_id for listing in listings] == [MLP_YES]
    assert [r.reason for r in rejections] == ["bad_field", "bad_event"]


def test_multi_outcome_market_is_not_binary() -> None:
    market = load_fixture("polymarket", "gamma_market_open_negrisk_politics.json")
    market["outcomes"] = '["A", "B", "C"]'
    with pytest.raises(ParseError) as info:
        parse_market(market)
    assert info.value.reason == "not_binary"


async def test_venue_discovers_moneylines_and_polls_books() -> None:
    routes = {
        **gamma_routes(load_fixture("polymarket", "gamma_events_sports_game_mlp_open.json")),
        f"/book?token_id={MLP_YES}": load_fixture("polymarket", "ws_book_captured_2026_full.json"),
    }
    sink = RecordingSink()
    with start_fixture_server(routes) as server:
        async with make_client(5.0) as client:
            venue = PolymarketRestVenue(server.url, server.url, client, poll_s=0.01, policy=FAST)
            await run_until(lambda: venue.run(sink), sink, lambda: len(sink.books) >= 2)
        assert server.hits("/events/keyset") == 1  # no next_cursor: no second page requested
        assert "tag_id=1" in server.requests[0] and "offset" not in server.requests[0]
        assert server.hits("/events") == server.hits("/markets") == 0  # the deprecated offset lists
    assert [listing.venue_market_id for listing in sink.listings] == [MLP_YES]  # team-to-advance skipped
    book = sink.books[0]
    assert book.market_id == f"polymarket:{MLP_YES}"
    assert (book.bids[0].price, book.asks[0].price) == (D("0.07"), D("0.08"))
    assert sink.rejections == []


async def test_venue_survives_bad_books_and_http_errors() -> None:
    good = load_fixture("polymarket", "clob_book_rest_negrisk_trimmed.json")
    sink = RecordingSink()
    with start_fixture_server() as server:
        server.route(
            "/events/keyset",
            Reply(500, ""),
            Reply(200, {"events": load_fixture("polymarket", "gamma_events_sports_game_mlp_open.json")}),
        )
        server.route(
            "/book",
            Reply(200, b'{"bids": [{"price": "0.'),
            Reply(503, "", {"Retry-After": "0"}),
            Reply(429, "", {"Retry-After": "0"}),
            Reply(200, {"bids": [{"price": "1.7", "size": "1"}]}),
            Reply(200, b'{"bids": [{"price": NaN, "size": "1"}]}'),
            Reply(200, {"asks": [{"price": "0.5", "size": "-1"}]}),
            Reply(200, {"bids": "none"}),
            Reply(200, good),
        )
        async with make_client(5.0) as client:
            venue = PolymarketRestVenue(server.url, server.url, client, poll_s=0.01, policy=FAST)
            await run_until(lambda: venue.run(sink), sink, lambda: len(sink.books) >= 1)
    assert sink.reasons("polymarket") == ["bad_json", "bad_price", "bad_price", "bad_size", "not_list"]
    assert len(sink.stale) == 5
    assert sink.books[0].bids[0].price == D("0.005")


async def test_failed_discovery_is_retried_without_waiting_for_the_discovery_interval() -> None:
    sink = RecordingSink()
    with start_fixture_server() as server:
        server.route(
            "/events/keyset",
            Reply(200, b"[{"),
            Reply(200, {"events": load_fixture("polymarket", "gamma_events_sports_game_mlp_open.json")}),
        )
        server.route("/book", load_fixture("polymarket", "ws_book_captured_2026_full.json"))
        async with make_client(5.0) as client:
            venue = PolymarketRestVenue(server.url, server.url, client, poll_s=0.01, discover_every_s=3600, policy=FAST)
            await run_until(lambda: venue.run(sink), sink, lambda: len(sink.books) >= 1)
        assert server.hits("/events/keyset") == 2
    assert sink.reasons("polymarket") == ["bad_json"] and len(sink.listings) == 1


async def test_gamma_keyset_pagination_follows_next_cursor_until_absent() -> None:
    events = load_fixture("polymarket", "gamma_events_sports_game_mlp_open.json")
    sink = RecordingSink()
    pages = {
        "/events/keyset": Reply(200, {"events": [], "next_cursor": "c1"}),  # a short page is not the last
        "/events/keyset?after_cursor=c1": Reply(200, {"events": events, "next_cursor": "c2"}),
        "/events/keyset?after_cursor=c2": Reply(200, {"events": []}),
    }
    with start_fixture_server(pages) as server:
        async with make_client(5.0) as client:
            venue = PolymarketRestVenue(server.url, server.url, client, page_size=1, policy=FAST)
            assert await venue.discover(sink) is True
        cursors = [dict(parse_qsl(urlsplit(r).query)).get("after_cursor") for r in server.requests]
        assert cursors == [None, "c1", "c2"] and all("limit=1" in r for r in server.requests)
    assert len(sink.listings) == 1


async def test_a_repeated_keyset_cursor_ends_the_round_incomplete() -> None:
    """Polymarket/agents#227: a server ignoring the cursor returns page 1 and the same cursor."""
    events = load_fixture("polymarket", "gamma_events_sports_game_mlp_open.json")
    sink = RecordingSink()
    with start_fixture_server({"/events/keyset": Reply(200, {"events": events, "next_cursor": "same"})}) as server:
        async with make_client(5.0) as client:
            venue = PolymarketRestVenue(server.url, server.url, client, policy=FAST)
            venue.listings["gone-token"] = kept = parse_events(events)[0][0]
            assert await venue.discover(sink) is False
        assert server.hits("/events/keyset") == 2
    assert sink.reasons("polymarket") == ["keyset_cursor_repeated"]
    assert venue.listings["gone-token"] is kept  # incomplete: nothing closed


def test_fee_schedule_is_parsed_and_enabled_fees_without_a_schedule_are_refused():
    from arbees_engine.adapters.polymarket.parse import NO_FEES, fee_schedule
    from arbees_engine.model import FeeKind

    assert fee_schedule({}) is NO_FEES and fee_schedule({"feesEnabled": False}) is NO_FEES
    fees = fee_schedule({"feesEnabled": True, "feeSchedule": {"rate": "0.03", "exponent": 1, "takerOnly": True}})
    assert (fees.kind, fees.taker_rate, fees.maker_rate) == (FeeKind.POLYMARKET, Decimal("0.03"), Decimal(0))
    with pytest.raises(ParseError, match="feeSchedule"):
        fee_schedule({"feesEnabled": True})
    with pytest.raises(ParseError):
        fee_schedule({"feesEnabled": True, "feeSchedule": {"rate": "1.5"}})


async def test_a_market_whose_event_closed_is_no_longer_polled() -> None:
    events = load_fixture("polymarket", "gamma_events_sports_game_mlp_open.json")
    sink = RecordingSink()
    with start_fixture_server() as server:
        server.route(  # the event closes: Gamma stops listing it
            "/events/keyset", Reply(200, {"events": events}), Reply(200, {"events": []})
        )
        async with make_client(5.0) as client:
            venue = PolymarketRestVenue(server.url, server.url, client, policy=FAST)
            assert await venue.discover(sink) and venue.listings[MLP_YES].status == "open"
            assert await venue.discover(sink)
            assert venue.listings[MLP_YES].status == "closed"
            assert (f"polymarket:{MLP_YES}", "no longer listed") in sink.stale
            await venue.poll_books(sink)
        assert server.hits("/book") == 0


def test_minimum_order_size_is_carried_from_gamma_to_the_market():
    from arbees_engine.adapters.polymarket.parse import parse_events

    listings, _ = parse_events(load_fixture("polymarket", "gamma_events_sports_game_mlp_open.json"))
    assert {listing.min_order_contracts for listing in listings} == {5}  # the fixture's orderMinSize: 5


def test_a_50_50_resolution_is_settled_split() -> None:
    raw = dict(
        load_fixture("polymarket", "gamma_market_sports_moneyline_resolved_cs2.json"), outcomePrices='["0.5", "0.5"]'
    )
    assert (parse_market(raw).status, parse_market(raw).result) == ("settled", "split")
    for status in ("proposed", "disputed"):  # the oracle has not settled it: closed, no result yet
        pending = parse_market(dict(raw, umaResolutionStatus=status))
        assert (pending.status, pending.result) == ("closed", None)
    still_open = dict(raw, closed=False, active=True, acceptingOrders=True)
    assert (parse_market(still_open).status, parse_market(still_open).result) == ("open", None)


async def test_lookup_finds_the_resolved_market_by_token_or_reports_nothing() -> None:
    from arbees_engine.adapters.polymarket.rest import PolymarketRestVenue

    resolved = load_fixture("polymarket", "gamma_market_sports_moneyline_resolved_cs2.json")
    token = json.loads(resolved["clobTokenIds"])[0]
    routes = {
        f"/markets/keyset?clob_token_ids={token}": Reply(200, {"markets": [resolved]}),
        "/markets/keyset?clob_token_ids=123": Reply(200, {"markets": []}),
        **{k: v for k, v in gamma_routes([]).items() if "keyset" not in k},  # the retired lists
    }
    with start_fixture_server(routes) as server:
        async with make_client(5.0) as client:
            venue = PolymarketRestVenue(server.url, server.url, client, policy=RetryPolicy(attempts=1))
            sink = RecordingSink()
            assert await venue.lookup(token, sink)
            assert not await venue.lookup("123", sink)  # not resolved yet: nothing pushed, nothing counted
    assert [(listing.venue_market_id, listing.result) for listing in sink.listings] == [
        (token, "yes")
    ] and sink.rejections == []
    assert all("closed=true" in r for r in server.requests) and server.hits("/markets") == 0


async def test_discovery_keeps_a_tick_the_market_channel_announced_after_gammas() -> None:
    """Gamma's orderPriceMinTickSize can lag a socket tick_size_change; a rediscovery must not put
    the coarser tick back (the executor would round limits onto the wrong grid)."""
    event = load_fixture("polymarket", "gamma_events_sports_game_mlp_open.json")
    sink = RecordingSink()
    with start_fixture_server(gamma_routes(event)) as server:
        async with make_client(5.0) as client:
            venue = PolymarketRestVenue(server.url, server.url, client, policy=FAST)
            assert await venue.discover(sink)
            gamma_tick = venue.listings[MLP_YES].tick
            venue.streamed_ticks = {MLP_YES: gamma_tick / 10}  # what PolymarketBookStream.ticks holds
            assert await venue.discover(sink)
    assert sink.listings[-1].tick == venue.listings[MLP_YES].tick == gamma_tick / 10
