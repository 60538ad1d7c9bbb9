"""Tick sizes reach the order price: Kalshi tapered grids and Polymarket tick changes, through the
real engine (matcher, registry, executor) to the local fake Kalshi REST API and the paper broker.

Kalshi grids: https://docs.kalshi.com/getting_started/fixed_point_migration ("Price Level
Structures"); Polymarket `tick_size_change`: https://docs.polymarket.com/developers/CLOB/websocket/market-channel.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from live_fake_kalshi_rest import FakeKalshiRest
from live_fixtures import load_fixture

from arbees_engine.adapters.kalshi.auth import KalshiSigner
from arbees_engine.adapters.kalshi.broker import KalshiLiveBroker
from arbees_engine.adapters.kalshi.orders import LIVE_AUTHORIZATION_PHRASE, InvalidOrder, KalshiOrderClient
from arbees_engine.adapters.kalshi.parse import parse_market
from arbees_engine.adapters.polymarket.ws import PolymarketBookStream
from arbees_engine.adapters.registry import with_evidence
from arbees_engine.matching.matcher import Matcher
from arbees_engine.model import (
    BookLevel,
    GameState,
    GameStatus,
    League,
    Leg,
    MarketListing,
    Order,
    OrderStatus,
    Side,
    Signal,
    SignalKind,
    Sport,
    Team,
    Venue,
)
from arbees_engine.node.kernel import Engine
from arbees_engine.settings import Settings

LIVE = {"ARBEES_LIVE": "1", "ARBEES_LIVE_AUTHORIZATION": LIVE_AUTHORIZATION_PHRASE}
# Not LIVE on purpose: a live game would make every book update run the strategy.
GAME = GameState(
    "espn:nba:g5",
    Sport.BASKETBALL,
    League.NBA,
    Team("SA", "San Antonio Spurs"),
    Team("NY", "New York Knicks"),
    GameStatus.SCHEDULED,
    start_time=datetime(2026, 6, 14, 0, 30, tzinfo=UTC),
)
SAS, NYK = "KXNBAGAME-26JUN13NYKSAS-SAS", "KXNBAGAME-26JUN13NYKSAS-NYK"
TAPERED_RANGES = [
    {"start": "0.0000", "end": "0.1000", "step": "0.0010"},
    {"start": "0.1000", "end": "0.9000", "step": "0.0100"},
    {"start": "0.9000", "end": "1.0000", "step": "0.0010"},
]


def _engine() -> Engine:
    engine = Engine(Settings(database_url=None, redis_url=None), [], matcher=Matcher([GAME]))
    engine.registry.games[GAME.game_id] = GAME
    return engine


def _kalshi_engine(client: KalshiOrderClient) -> Engine:
    """SAS listed as tapered_deci_cent, NYK as recorded (linear_cent), both matched by the real matcher."""
    engine = _engine()
    recorded = {m["ticker"]: m for m in load_fixture("kalshi/markets_nba_game_settled.json")["markets"]}
    engine.on_listing(
        parse_market(
            dict(recorded[SAS], status="active", price_level_structure="tapered_deci_cent", price_ranges=TAPERED_RANGES)
        )
    )
    engine.on_listing(parse_market(dict(recorded[NYK], status="active")))
    assert {f"kalshi:{SAS}", f"kalshi:{NYK}"} <= set(engine.registry.markets)
    engine.live_brokers[Venue.KALSHI] = KalshiLiveBroker(client, engine.registry.markets)
    return engine


def _signal(sid: str, *legs: tuple[str, Side, str]) -> Signal:
    built = tuple(Leg(mid, Venue(mid.split(":")[0]), side, D(limit), 3) for mid, side, limit in legs)
    kind = SignalKind.ARB if len(built) > 1 else SignalKind.EDGE
    return Signal(sid, kind, GAME.game_id, built, 0.6, 0.5, D("0.05"), datetime.now(UTC))


def _posts(server: FakeKalshiRest) -> int:
    return sum(1 for method, _, _ in server.requests if method == "POST")


@pytest.mark.parametrize(
    ("side", "limit", "key", "sent"),
    [
        (Side.YES, "0.555", "yes_price_dollars", "0.5500"),  # middle band: whole cents, rounded down
        (Side.YES, "0.0555", "yes_price_dollars", "0.0550"),  # low tail: deci-cents
        (Side.YES, "0.9055", "yes_price_dollars", "0.9050"),  # high tail
        (Side.NO, "0.899", "no_price_dollars", "0.8900"),  # NO 0.899 = YES 0.101, in the cent band
    ],
)
async def test_a_tapered_kalshi_limit_is_sent_rounded_down_onto_its_band(rsa_key, side, limit, key, sent):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=3) as server:
        client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE)
        engine = _kalshi_engine(client)
        assert engine.registry.markets[f"kalshi:{SAS}"].tick == D("0.001")  # the column keeps "finest step"
        await engine.executor.execute(_signal("s1", (f"kalshi:{SAS}", side, limit)))
        order = next(iter(engine.executor.recent_orders.values()))
        assert server.orders[order.client_order_id][key] == sent
        assert order.limit_price == D(sent) and order.status is OrderStatus.FILLED
        assert engine.counts["limit_rounded_to_tick"] == 1
        await client.aclose()


async def test_an_on_grid_limit_goes_out_unchanged(rsa_key):
    with FakeKalshiRest(rsa_key.public_key()) as server:
        client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE)
        engine = _kalshi_engine(client)
        await engine.executor.execute(_signal("s1", (f"kalshi:{SAS}", Side.YES, "0.055")))
        order = next(iter(engine.executor.recent_orders.values()))
        assert server.orders[order.client_order_id]["yes_price_dollars"] == "0.0550"
        assert engine.counts["limit_rounded_to_tick"] == 0
        await client.aclose()


@pytest.mark.parametrize(
    ("legs", "code"),
    [
        (((f"kalshi:{NYK}", Side.YES, "0.004"),), "limit_off_tick_grid"),  # cent grid: nothing above $0 at or below
        (((f"kalshi:{SAS}", Side.YES, "0.55"), (f"kalshi:{NYK}", Side.NO, "0.009")), "limit_off_tick_grid"),
        # an arbitrage leg that would only need rounding (0.455 → 0.45 on the cent grid) is refused too:
        # rounded, it could miss after the first leg filled and leave that leg naked
        (((f"kalshi:{SAS}", Side.YES, "0.55"), (f"kalshi:{NYK}", Side.NO, "0.455")), "limit_off_tick_grid"),
        (((f"kalshi:{SAS}", Side.YES, "0.55"), ("kalshi:NOT-REGISTERED", Side.NO, "0.40")), "unknown_market"),
        (((f"kalshi:{SAS}", Side.YES, "0"),), "limit_out_of_range"),  # a $0 buy is no order
    ],
)
async def test_a_leg_with_no_grid_price_refuses_the_whole_signal_before_any_send(rsa_key, legs, code):
    with FakeKalshiRest(rsa_key.public_key()) as server:
        client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE)
        engine = _kalshi_engine(client)
        await engine.executor.execute(_signal("s1", *legs))
        signal = engine.signal_book.signals["s1"]
        assert signal.decision.value == "rejected" and signal.reason.startswith(f"{code}: ")
        assert engine.input_rejections[f"execution:{code}"] == 1
        assert _posts(server) == 0 and not engine.executor.recent_orders  # the good first leg never went
        await client.aclose()


async def test_the_order_client_never_rounds_a_price_it_cannot_write_exactly(rsa_key):
    with FakeKalshiRest(rsa_key.public_key()) as server:
        client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE)
        order = Order("c-1", "s-1", f"kalshi:{SAS}", Venue.KALSHI, Side.YES, D("0.55555"), 2, datetime.now(UTC))
        with pytest.raises(InvalidOrder):
            await client.place_ioc(order)  # "{:.4f}" would have sent 0.5556: more than we meant to pay
        assert order.status is OrderStatus.REJECTED and order.reason.startswith("invalid_price")
        broker = KalshiLiveBroker(client, {})
        again = Order("c-2", "s-1", f"kalshi:{SAS}", Venue.KALSHI, Side.YES, D("0.55555"), 2, datetime.now(UTC))
        assert await broker.execute(again, datetime.now(UTC)) == [] and again.status is OrderStatus.REJECTED
        assert server.requests == []
        await client.aclose()


def _polymarket_setup():
    """The engine with a Polymarket NBA market whose YES token is the recorded tick change's asset."""
    tick = load_fixture("polymarket/ws_tick_size_change.json")
    asset = tick["asset_id"]
    listing = with_evidence(
        MarketListing(
            Venue.POLYMARKET,
            asset,
            "nba-nyk-sas-2026-06-13",
            "Knicks vs. Spurs",
            "Spurs",
            "Knicks",
            slug="nba-nyk-sas-2026-06-13",
            tick=D(tick["old_tick_size"]),
            extra={"sports_market_type": "moneyline"},
        )
    )
    listings = {asset: listing}  # what PolymarketRestVenue.listings holds after discovery
    engine = _engine()
    engine.on_listing(listing)
    stream = PolymarketBookStream([asset], listings=listings)
    book = {
        "event_type": "book",
        "asset_id": asset,
        "market": tick["market"],
        "timestamp": "1739068041000",
        "bids": [{"price": "0.50", "size": "10"}],
        "asks": [{"price": "0.56", "size": "10"}],
    }
    stream.handle_raw(json.dumps(book), engine)
    return engine, stream, listings, tick


async def test_a_polymarket_tick_change_reaches_the_market_and_the_order_price():
    engine, stream, listings, tick = _polymarket_setup()
    market_id = f"polymarket:{tick['asset_id']}"
    assert engine.registry.markets[market_id].tick == D("0.01")
    executor = engine.executor
    await executor.execute(_signal("before", (market_id, Side.YES, "0.5555")))
    assert executor.recent_orders[next(reversed(executor.recent_orders))].limit_price == D("0.55")

    stream.handle_raw(json.dumps(tick), engine)  # the recorded 0.01 → 0.001 change
    assert engine.registry.markets[market_id].tick == D("0.001")
    assert listings[tick["asset_id"]].tick == D("0.001") and stream.stats["tick_updates"] == 1
    await executor.execute(_signal("after", (market_id, Side.YES, "0.5555")))
    assert executor.recent_orders[next(reversed(executor.recent_orders))].limit_price == D("0.555")
    stream.handle_raw(json.dumps(tick), engine)  # the same tick again: nothing to re-emit
    assert stream.stats["tick_updates"] == 1


@pytest.mark.parametrize("new_tick", ["NaN", "0", "-0.01", "1", "1.5", "0.003", "abc", None, True])
def test_a_malformed_tick_change_is_a_counted_rejection_not_a_crash(new_tick):
    engine, stream, listings, tick = _polymarket_setup()
    market_id = f"polymarket:{tick['asset_id']}"
    assert stream.handle_raw(json.dumps(dict(tick, new_tick_size=new_tick)), engine) == []
    assert engine.input_rejections["polymarket:bad_tick_size"] == 1 and stream.stats["bad_tick_size"] == 1
    assert engine.registry.markets[market_id].tick == D("0.01") and listings[tick["asset_id"]].tick == D("0.01")
    assert not engine.registry.books[market_id].stale  # a bad tick says nothing about the book


def test_a_tick_change_without_an_asset_is_rejected_and_an_unlisted_one_only_kept():
    engine, stream, _, tick = _polymarket_setup()
    stream.handle_raw(json.dumps({k: v for k, v in tick.items() if k != "asset_id"}), engine)
    assert engine.input_rejections["polymarket:bad_tick_size"] == 1
    stream.handle_raw(json.dumps(dict(tick, asset_id="999")), engine)
    assert stream.ticks["999"] == D("0.001") and stream.stats["tick_unlisted"] == 1


def test_a_book_with_a_bad_tick_size_still_applies_its_levels():
    engine, stream, _, tick = _polymarket_setup()
    market_id = f"polymarket:{tick['asset_id']}"
    book = {
        "event_type": "book",
        "asset_id": tick["asset_id"],
        "timestamp": "1739068042000",
        "tick_size": "NaN",
        "bids": [{"price": "0.52", "size": "4"}],
        "asks": [{"price": "0.54", "size": "4"}],
    }
    stream.handle_raw(json.dumps(book), engine)
    assert engine.input_rejections["polymarket:bad_tick_size"] == 1
    assert engine.registry.books[market_id].best_bid == BookLevel(D("0.52"), D("4"))
    stream.handle_raw(json.dumps(dict(book, tick_size="0.001", timestamp="1739068043000")), engine)
    assert engine.registry.markets[market_id].tick == D("0.001")  # a book's current tick counts too
