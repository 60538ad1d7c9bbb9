"""Kalshi parsing on the recorded fixtures, and KalshiRestVenue.run against a local server."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fixture_server import RecordingSink, Reply, load_fixture, run_until, start_fixture_server

from arbees_engine.adapters.http import RetryPolicy, make_client
from arbees_engine.adapters.kalshi import (
    KalshiRestVenue,
    book_from_sides,
    event_date,
    parse_event,
    parse_markets,
    parse_orderbook,
    parse_trades,
)
from arbees_engine.adapters.wire import ParseError
from arbees_engine.model import OrderBook, Side, Venue

D = Decimal
NOW = datetime(2026, 11, 25, tzinfo=UTC)
FAST = RetryPolicy(attempts=4, initial_s=0.001, max_wait_s=0.01, jitter_s=0.001)
NBA_CURSOR = "CgwIiJue0QYQiLDBjQISG0tYTkJBR0FNRS0yNkpVTjEzTllLU0FTLU5ZSw"


def series_payload(ticker: str, fee_type: str = "quadratic_with_maker_fees", multiplier: float = 1) -> dict:
    """GET /series/{ticker} shaped as SDK kalshi-typescript 3.30.0 `GetSeriesResponse` (synthetic:
    no recorded series payload exists; required fields of `Series` present)."""
    return {
        "series": {
            "ticker": ticker,
            "frequency": "custom",
            "title": ticker,
            "category": "Sports",
            "categories": ["Sports"],
            "tags": [],
            "settlement_sources": [],
            "contract_url": "",
            "contract_terms_url": "",
            "fee_type": fee_type,
            "fee_multiplier": multiplier,
            "additional_prohibitions": [],
        }
    }


def test_settled_nba_game_markets() -> None:
    listings, cursor, rejections = parse_markets(load_fixture("kalshi", "markets_nba_game_settled.json"))
    assert rejections == [] and cursor == NBA_CURSOR
    by_ticker = {m.venue_market_id: m for m in listings}
    nyk = by_ticker["KXNBAGAME-26JUN13NYKSAS-NYK"]
    assert (nyk.venue, nyk.event_id, nyk.yes_label, nyk.status, nyk.result) == (
        Venue.KALSHI,
        "KXNBAGAME-26JUN13NYKSAS",
        "New York",
        "settled",
        "yes",
    )
    assert nyk.title == "Game 5: New York at San Antonio Winner?"
    assert nyk.rules.startswith("If New York wins the Game 5")
    assert nyk.tick == D("0.01") and nyk.league_hint == "KXNBAGAME"
    assert nyk.extra["event_date"] == "2026-06-13"
    assert nyk.closes_at == datetime(2026, 6, 14, 3, 31, 47, tzinfo=UTC)
    sas = by_ticker["KXNBAGAME-26JUN13NYKSAS-SAS"]
    assert (sas.yes_label, sas.result) == ("San Antonio", "no")


def test_event_adds_series_and_competition() -> None:
    listings, rejections = parse_event(load_fixture("kalshi", "event_nba_game_settled.json"))
    assert rejections == [] and len(listings) == 2
    assert listings[0].extra["competition"] == "Pro Basketball (M)"
    assert listings[0].extra["event_sub_title"] == "NYK at SAS (Jun 13)"


def test_open_markets_tick_and_top_of_book() -> None:
    listings, cursor, _ = parse_markets(load_fixture("kalshi", "markets_open_two_tickers.json"))
    assert cursor is None
    elon, colonize = listings
    assert (elon.status, elon.tick, elon.best_bid, elon.best_ask) == ("open", D("0.01"), D("0.08"), D("0.12"))
    assert (colonize.tick, colonize.best_bid, colonize.best_ask) == (D("0.001"), D("0.163"), D("0.195"))


def test_mlb_orderbook_fp_yes_bids_and_asks_from_no_bids() -> None:
    book = parse_orderbook(load_fixture("kalshi", "orderbook_fp_mlb_depth5.json"), "kalshi:MLB", NOW)
    assert book.is_snapshot and book.received_at == NOW
    assert book.bids[0].price == D("0.70") and book.bids[0].size == D("359.00")
    assert book.asks[0].price == D("0.71") and book.asks[0].size == D("80390.47")  # 1 − 0.29
    assert [lv.price for lv in book.asks] == [D("0.71"), D("0.72"), D("0.73"), D("0.74"), D("0.75")]


def test_full_book_matches_listing_top_of_book() -> None:
    book = parse_orderbook(load_fixture("kalshi", "orderbook_fp_full_KXELONMARS-99.json"), "kalshi:KXELONMARS-99")
    listing = parse_markets(load_fixture("kalshi", "markets_open_two_tickers.json"))[0][0]
    assert (book.bids[0].price, book.asks[0].price) == (listing.best_bid, listing.best_ask) == (D("0.08"), D("0.12"))
    assert book.asks[0].size == D("1967.33")
    ob = OrderBook("kalshi:KXELONMARS-99")
    ob.apply(book)
    assert ob.best_ask_for(Side.NO).price == D("0.92")  # NO ask = 1 − best YES bid


def test_legacy_cents_and_absent_sides() -> None:
    book = parse_orderbook({"orderbook": {"yes": [[8, 444], [7, 10]], "no": None}}, "m")
    assert (book.bids[0].price, book.bids[0].size, book.asks) == (D("0.08"), D("444"), ())
    empty = parse_orderbook({"orderbook_fp": {}}, "m")
    assert empty.bids == () and empty.asks == ()


@pytest.mark.parametrize(
    ("book", "reason"),
    [
        ({"orderbook_fp": {"yes_dollars": [["1.7", "10"]]}}, "bad_price"),
        ({"orderbook_fp": {"yes_dollars": [["NaN", "10"]]}}, "bad_price"),
        ({"orderbook_fp": {"yes_dollars": [[float("nan"), "10"]]}}, "bad_price"),
        ({"orderbook_fp": {"no_dollars": [["0.5", "-3"]]}}, "bad_size"),
        ({"orderbook_fp": {"yes_dollars": "0.5"}}, "not_list"),
        ({"orderbook_fp": {"yes_dollars": [0.5]}}, "bad_level"),
        ({"orderbook": {"yes": [[170, 1]]}}, "bad_price"),
        ({"something": {}}, "missing_field"),
        ([], "not_object"),
    ],
)
def test_bad_books_raise_parse_error(book: object, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_orderbook(book, "m")
    assert info.value.reason == reason


def test_bad_market_is_rejected_others_parse() -> None:
    payload = load_fixture("kalshi", "markets_open_two_tickers.json")
    payload["markets"][0]["yes_bid_dollars"] = "1.7"
    payload["markets"].append({"ticker": "X"})
    listings, _, rejections = parse_markets(payload)
    assert [m.venue_market_id for m in listings] == ["KXCOLONIZEMARS-50"]
    assert [r.reason for r in rejections] == ["bad_price", "missing_field"]


def test_trades() -> None:
    trades, rejections = parse_trades(load_fixture("kalshi", "trades_KXELONMARS-99.json"))
    assert rejections == [] and len(trades) == 3
    assert (trades[0].yes_price, trades[0].count, trades[0].taker_side) == (D("0.1000"), D("9.40"), "yes")
    assert trades[2].taker_side == "no"


def test_event_date_from_ticker() -> None:
    assert event_date("KXNBAGAME-26JUN13NYKSAS") == "2026-06-13"
    assert event_date("KXELONMARS-99") == ""


def kalshi_routes() -> dict:
    return {
        "/markets?series_ticker=KXNBAGAME": load_fixture("kalshi", "markets_nba_game_settled.json"),
        f"/markets?series_ticker=KXNBAGAME&cursor={NBA_CURSOR}": load_fixture(
            "kalshi", "markets_open_two_tickers.json"
        ),
        "/events/KXNBAGAME-26JUN13NYKSAS": load_fixture("kalshi", "event_nba_game_settled.json"),
        "/markets/KXELONMARS-99/orderbook": load_fixture("kalshi", "orderbook_fp_full_KXELONMARS-99.json"),
        "/markets/KXCOLONIZEMARS-50/orderbook": load_fixture("kalshi", "orderbook_fp_mlb_depth5.json"),
        "/series/KXNBAGAME": series_payload("KXNBAGAME", multiplier=0.5),
        "/series/KXELONMARS": series_payload("KXELONMARS", "quadratic"),
        "/series/KXCOLONIZEMARS": series_payload("KXCOLONIZEMARS"),
    }


async def test_venue_discovers_with_pagination_and_polls_open_books() -> None:
    sink = RecordingSink()
    with start_fixture_server(kalshi_routes()) as server:
        async with make_client(5.0) as client:
            venue = KalshiRestVenue(
                server.url, client, ["KXNBAGAME"], ["KXNBAGAME-26JUN13NYKSAS"], poll_s=0.01, policy=FAST
            )
            await run_until(lambda: venue.run(sink), sink, lambda: len(sink.books) >= 4)
        assert f"/markets?series_ticker=KXNBAGAME&limit=200&status=open&cursor={NBA_CURSOR}" in server.requests
        assert server.hits("/markets/KXNBAGAME-26JUN13NYKSAS-NYK/orderbook") == 0  # settled: no book
    tickers = [m.venue_market_id for m in sink.listings]
    assert set(tickers) == {
        "KXNBAGAME-26JUN13NYKSAS-SAS",
        "KXNBAGAME-26JUN13NYKSAS-NYK",
        "KXELONMARS-99",
        "KXCOLONIZEMARS-50",
    }
    assert len(tickers) == 6  # 4 from /markets pages, 2 again from /events
    books = {b.market_id: b for b in sink.books}
    assert set(books) == {"kalshi:KXELONMARS-99", "kalshi:KXCOLONIZEMARS-50"}
    assert (books["kalshi:KXELONMARS-99"].bids[0].price, books["kalshi:KXELONMARS-99"].asks[0].price) == (
        D("0.08"),
        D("0.12"),
    )
    assert all(b.is_snapshot for b in sink.books) and sink.rejections == []
    fees = {m.venue_market_id: (m.fees.taker_rate, m.fees.maker_rate) for m in sink.listings}
    assert fees["KXNBAGAME-26JUN13NYKSAS-SAS"] == (D("0.035"), D("0.00875"))  # multiplier 0.5
    assert fees["KXELONMARS-99"] == (D("0.07"), D("0"))  # "quadratic": no maker fees
    assert fees["KXCOLONIZEMARS-50"] == (D("0.07"), D("0.0175"))
    assert server.hits("/series/KXNBAGAME") == 1  # once per discovery round


async def test_unpriced_series_fees_keep_the_general_schedule_and_are_counted() -> None:
    routes = kalshi_routes()
    routes["/series/KXELONMARS"] = series_payload("KXELONMARS", "flat")
    del routes["/series/KXCOLONIZEMARS"]
    sink = RecordingSink()
    with start_fixture_server(routes) as server:
        async with make_client(5.0) as client:
            venue = KalshiRestVenue(server.url, client, ["KXNBAGAME"], policy=FAST)
            await venue.discover(sink)
    assert sorted(sink.reasons("kalshi")) == ["bad_series_fees", "http_404"]
    elon = next(m for m in sink.listings if m.venue_market_id == "KXELONMARS-99")
    assert (elon.fees.taker_rate, elon.fees.maker_rate) == (D("0.07"), D("0.0175"))


async def test_venue_survives_bad_books_and_http_errors() -> None:
    good = load_fixture("kalshi", "orderbook_fp_full_KXELONMARS-99.json")
    routes = {"/markets?series_ticker=KXELONMARS": load_fixture("kalshi", "markets_open_two_tickers.json")}
    sink = RecordingSink()
    with start_fixture_server(routes) as server:
        server.route(
            "/markets/KXELONMARS-99/orderbook",
            Reply(200, b'{"orderbook_fp": {"yes_dollars": [["0.08"'),
            Reply(500, "x"),
            Reply(429, "", {"Retry-After": "0"}),
            Reply(200, {"orderbook_fp": {"yes_dollars": [["1.7", "10"]]}}),
            Reply(200, b'{"orderbook_fp": {"yes_dollars": [[NaN, "10"]]}}'),
            Reply(200, {"orderbook_fp": {"yes_dollars": [["0.5", "-1"]]}}),
            Reply(200, {"orderbook_fp": {"yes_dollars": {"0.5": "1"}}}),
            Reply(200, good),
        )
        async with make_client(5.0) as client:
            venue = KalshiRestVenue(server.url, client, ["KXELONMARS"], poll_s=0.01, policy=FAST)
            await run_until(
                lambda: venue.run(sink), sink, lambda: any(b.market_id == "kalshi:KXELONMARS-99" for b in sink.books)
            )
    elon_reasons = [r for _, r, d in sink.rejections if "KXELONMARS-99" in d]
    assert elon_reasons == ["bad_json", "bad_price", "bad_price", "bad_size", "not_list"]
    assert [m for m, _ in sink.stale].count("kalshi:KXELONMARS-99") == 5
    elon_books = [b for b in sink.books if b.market_id == "kalshi:KXELONMARS-99"]
    assert elon_books[0].bids[0].price == D("0.08") and elon_books[0].asks[0].price == D("0.12")


def test_ws_snapshot_messages_reuse_book_from_sides() -> None:
    frames = load_fixture("kalshi", "ws_demo_subscribed_and_empty_snapshot.json")
    empty = book_from_sides(frames[2]["msg"], "kalshi:KXBTCD", NOW, seq=frames[2]["seq"])
    assert (empty.bids, empty.asks, empty.seq, empty.is_snapshot) == ((), (), 1, True)
    snapshot = load_fixture("kalshi", "synthetic", "SYNTHETIC_ws_orderbook_snapshot_fp.json")["msg"]
    book = book_from_sides(snapshot, "kalshi:KXBTC", NOW)
    assert (book.bids[0].price, book.asks[0].price, book.asks[0].size) == (D("0.42"), D("0.44"), D("17.00"))


async def test_repeated_cursor_stops_pagination_and_failed_event_is_reported() -> None:
    page = load_fixture("kalshi", "markets_open_two_tickers.json")
    page["cursor"] = "same"
    sink = RecordingSink()
    routes = {"/markets": page, "/series/KXELONMARS": series_payload("KXELONMARS")}
    routes["/series/KXCOLONIZEMARS"] = series_payload("KXCOLONIZEMARS")
    with start_fixture_server(routes) as server:
        async with make_client(5.0) as client:
            venue = KalshiRestVenue(server.url, client, ["KXELONMARS"], ["KXNOPE-1"], policy=FAST)
            assert await venue.discover(sink) is False  # /events/KXNOPE-1 → 404
        assert server.hits("/markets") == 2  # first page, then "same" once; not forever
    assert sink.reasons("kalshi") == ["http_404"] and len(sink.listings) == 4


def test_top_of_book_accepts_numbers_and_legacy_cents() -> None:
    payload = load_fixture("kalshi", "markets_open_two_tickers.json")
    payload["markets"][0]["yes_bid_dollars"] = 0.08
    del payload["markets"][1]["yes_ask_dollars"]
    payload["markets"][1]["yes_ask"] = 20
    elon, colonize = parse_markets(payload)[0]
    assert elon.best_bid == D("0.08") and colonize.best_ask == D("0.20")


def test_ticker_allowlist_for_urls() -> None:
    with pytest.raises(ValueError):
        KalshiRestVenue("http://127.0.0.1:1", None, ["../admin"])  # type: ignore[arg-type]


async def test_a_market_that_drops_out_of_a_complete_discovery_is_closed_and_no_longer_polled() -> None:
    both = load_fixture("kalshi", "markets_open_two_tickers.json")
    both["cursor"] = ""
    kept, gone = both["markets"][0]["ticker"], both["markets"][1]["ticker"]
    one = {**both, "markets": both["markets"][:1]}
    sink = RecordingSink()
    with start_fixture_server() as server:
        server.route("/markets", Reply(200, both), Reply(200, one))
        async with make_client(5.0) as client:
            venue = KalshiRestVenue(server.url, client, ["KXELONMARS"], policy=FAST)
            assert await venue.discover(sink) and venue.listings[gone].status == "open"
            assert await venue.discover(sink)  # the venue no longer lists `gone`
            assert venue.listings[gone].status == "closed" and venue.listings[kept].status == "open"
            assert (f"kalshi:{gone}", "no longer listed") in sink.stale
            await venue.poll_books(sink)
            assert server.hits(f"/markets/{gone}/orderbook") == 0 and server.hits(f"/markets/{kept}/orderbook") == 1


@pytest.mark.parametrize(
    "status, result, expected",
    [
        ("finalized", "yes", ("settled", "yes")),
        ("finalized", "void", ("settled", "void")),
        ("determined", "yes", ("closed", None)),  # can still be disputed and amended
        ("disputed", "no", ("closed", None)),
        ("finalized", "scalar", ("settled", None)),
    ],
)
def test_only_a_finalized_result_counts(status, result, expected) -> None:
    from arbees_engine.adapters.kalshi.parse import parse_market

    raw = dict(load_fixture("kalshi", "markets_nba_game_settled.json")["markets"][1], status=status, result=result)
    raw.pop("settlement_value_dollars", None)
    listing = parse_market(raw)
    assert (listing.status, listing.result) == expected


async def test_lookup_pushes_one_market_and_counts_failures() -> None:
    nyk = load_fixture("kalshi", "markets_nba_game_settled.json")["markets"][1]
    routes = {
        f"/markets/{nyk['ticker']}": Reply(200, {"market": nyk}),
        "/markets/KXGONE-1": Reply(404, {}),
        "/markets/KXBAD-1": Reply(200, {"market": {"ticker": "KXBAD-1"}}),
    }
    with start_fixture_server(routes) as server:
        async with make_client(5.0) as client:
            venue, sink = KalshiRestVenue(server.url, client, policy=FAST), RecordingSink()
            assert await venue.lookup(nyk["ticker"], sink)
            assert [(listing.venue_market_id, listing.status, listing.result) for listing in sink.listings] == [
                (nyk["ticker"], "settled", "yes")
            ]
            assert not await venue.lookup("KXGONE-1", sink) and not await venue.lookup("KXBAD-1", sink)
            assert not await venue.lookup("../etc/passwd", sink)
    reasons = [r[1] for r in sink.rejections]
    assert reasons == ["http_404", "missing_field", "bad_ticker"] and len(sink.listings) == 1
