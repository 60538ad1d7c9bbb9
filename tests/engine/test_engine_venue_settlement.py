"""Real venues' markets settle on the venue's own result (portfolio/settlement.py): looked up at the
venue (recorded Kalshi and Polymarket payloads served on 127.0.0.1), compared with the feed's
final score, stored with the ledger, and never settled from the feed alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest
from fixture_server import GAMMA_DEPRECATION, Reply, start_fixture_server

from arbees_engine.adapters.composite import StreamingVenue
from arbees_engine.adapters.http import make_client
from arbees_engine.adapters.kalshi import KalshiRestVenue
from arbees_engine.adapters.kalshi.parse import parse_market
from arbees_engine.adapters.polymarket.rest import PolymarketRestVenue
from arbees_engine.adapters.registry import with_evidence
from arbees_engine.matching.matcher import Matcher
from arbees_engine.model import (
    Fill,
    GameState,
    GameStatus,
    League,
    Market,
    MarketListing,
    Order,
    Outcome,
    Side,
    Sport,
    Team,
    Venue,
)
from arbees_engine.node.kernel import Engine
from arbees_engine.settings import Settings

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
NOW = datetime(2026, 6, 14, 3, 0, tzinfo=UTC)
NYK = "KXNBAGAME-26JUN13NYKSAS-NYK"
GAME = GameState(
    game_id="espn:nba:1",
    sport=Sport.BASKETBALL,
    league=League.NBA,
    home=Team("SAS", "San Antonio Spurs"),
    away=Team("NYK", "New York Knicks"),
    status=GameStatus.LIVE,
    period=4,
    clock_s=30.0,
    home_score=100,
    away_score=104,
    start_time=NOW,
)
MARKET = Market(f"kalshi:{NYK}", Venue.KALSHI, NYK, GAME.game_id, Outcome.AWAY, "NYK")


def _kalshi_market(ticker: str) -> dict:
    markets = json.loads((FIXTURES / "kalshi" / "markets_nba_game_settled.json").read_text())["markets"]
    return next(m for m in markets if m["ticker"] == ticker)


def _polymarket_resolved() -> dict:
    return json.loads((FIXTURES / "polymarket" / "gamma_market_sports_moneyline_resolved_cs2.json").read_text())


async def _engine(store, adapters=()) -> Engine:
    engine = Engine(
        Settings(database_url="postgresql://unused", redis_url=None, instance="test"),
        list(adapters),
        store=store,
        clock=lambda: NOW,
        matcher=Matcher(),
    )
    await engine.start(with_adapters=False)
    return engine


@pytest.fixture
async def engine(store):
    """A started engine on this test's store, with no venue adapters; shut down after the test."""
    started = await _engine(store)
    try:
        yield started
    finally:
        await started.shutdown()


async def _buy(engine: Engine, market: Market, side: Side, price: str, contracts: int, n: int = 1) -> None:
    """An order intent in the store, then its fill through the executor (store, ledger, portfolio)."""
    engine.on_market(market)
    await engine.store.insert_order_intent(
        Order(f"o{n}", f"s{n}", market.market_id, market.venue, side, D(price), contracts, NOW)
    )
    assert await engine.executor.apply_fill(
        Fill(f"f{n}", f"o{n}", market.market_id, market.venue, side, D(price), contracts, D("0.07"), NOW)
    )


async def _venue_says(engine: Engine, result: str, status: str = "settled") -> None:
    engine.on_listing(
        with_evidence(
            MarketListing(
                Venue.KALSHI,
                NYK,
                "KXNBAGAME-26JUN13NYKSAS",
                "New York vs San Antonio",
                "New York",
                status=status,
                result=result,
            )
        )
    )
    await engine.settle_queue()


async def _audit_actions(engine: Engine, store) -> list[str]:
    await engine.writer.drain()
    return [row["action"] for row in await store.recent_audit(200)]


async def test_the_feed_alone_never_settles_a_real_market_and_the_venue_result_does(engine, store):
    await _buy(engine, MARKET, Side.YES, "0.60", 10)
    engine.on_game_state(GAME)
    engine.on_game_state(GAME.evolve(clock_s=0.0, status=GameStatus.FINAL))
    await engine.settle_queue()
    position = engine.portfolio.position(MARKET.market_id, Side.YES)
    assert not position.settled and position.contracts == 10
    assert engine.settlement.expected == {MARKET.market_id: "yes"}
    assert engine.settlement.awaiting() == [MARKET.market_id]
    determined = parse_market(dict(_kalshi_market(NYK), status="determined"))  # can still be disputed
    engine.on_listing(determined)
    await engine.settle_queue()
    assert not engine.portfolio.position(MARKET.market_id, Side.YES).settled
    await _venue_says(engine, "yes")
    position = engine.portfolio.position(MARKET.market_id, Side.YES)
    assert position.settled and position.realized_pnl == D("4.00")
    assert engine.settlement.awaiting() == [] and engine.settlement.mismatches == 0
    engine.portfolio.check_identity()
    stored = {(p.market_id, p.side): p for p in await store.load_positions()}
    assert stored[(MARKET.market_id, Side.YES)].settled
    assert (await store.load_bankroll()).realized_pnl == D("4.00")
    assert "settlement_awaiting_venue" in await _audit_actions(engine, store)


async def test_a_venue_result_that_differs_from_the_feed_is_booked_counted_and_audited(engine, store):
    await _buy(engine, MARKET, Side.YES, "0.60", 10)
    engine.on_game_state(GAME.evolve(clock_s=0.0, status=GameStatus.FINAL))  # feed: NYK won
    await engine.settle_queue()
    await _venue_says(engine, "no")  # the venue resolved NO
    position = engine.portfolio.position(MARKET.market_id, Side.YES)
    assert position.settled and position.realized_pnl == D("-6.00")
    assert engine.input_rejections["settlement:venue_result_differs"] == 1
    assert engine.settlement.mismatches == 1
    assert "settlement_mismatch" in await _audit_actions(engine, store)


@pytest.mark.parametrize("result, yes_pnl, no_pnl", [("void", "0.00", "0.00"), ("split", "-1.00", "1.50")])
async def test_void_returns_cost_and_a_50_50_pays_half_a_dollar_a_side(engine, store, result, yes_pnl, no_pnl):
    await _buy(engine, MARKET, Side.YES, "0.60", 10, n=1)
    await _buy(engine, MARKET, Side.NO, "0.35", 10, n=2)
    await _venue_says(engine, result)  # the venue resolves before the feed's final: it still wins
    portfolio = engine.portfolio
    assert portfolio.position(MARKET.market_id, Side.YES).realized_pnl == D(yes_pnl)
    assert portfolio.position(MARKET.market_id, Side.NO).realized_pnl == D(no_pnl)
    assert portfolio.bankroll.open_cost == D("0") and portfolio.is_settled(MARKET.market_id)
    portfolio.check_identity()


async def test_an_unknown_venue_result_is_counted_and_the_position_stays_open(engine, store):
    await _buy(engine, MARKET, Side.YES, "0.60", 10)
    await _venue_says(engine, "scalar")
    assert engine.input_rejections["settlement:venue_result_unknown"] == 1
    assert engine.portfolio.position(MARKET.market_id, Side.YES).contracts == 10


async def test_after_a_restart_positions_on_unlisted_markets_are_looked_up_and_settled(store):
    cs2 = _polymarket_resolved()
    faze = json.loads(cs2["clobTokenIds"])[0]
    poly = Market(f"polymarket:{faze}", Venue.POLYMARKET, faze, "espn:cs2:1", Outcome.HOME, "FAZE")
    first = await _engine(store)
    try:
        await _buy(first, MARKET, Side.YES, "0.60", 10, n=1)
        await _buy(first, poly, Side.NO, "0.30", 5, n=2)
    finally:
        await first.shutdown()
    routes = {
        f"/kalshi/markets/{NYK}": Reply(200, {"market": _kalshi_market(NYK)}),
        "/gamma/markets/keyset?closed=true": Reply(200, {"markets": [cs2]}),
        "/gamma/markets": Reply(200, [cs2], GAMMA_DEPRECATION),  # retired: must not be called
    }
    with start_fixture_server(routes) as server:
        async with make_client(5.0) as client:
            kalshi = StreamingVenue(KalshiRestVenue(f"{server.url}/kalshi", client))
            polymarket = StreamingVenue(PolymarketRestVenue(f"{server.url}/gamma", f"{server.url}/clob", client))
            engine = await _engine(store, [kalshi, polymarket])
            try:
                assert engine.registry.markets == {}  # this run has not listed them: settled markets are not
                assert engine.settlement.awaiting() == sorted([MARKET.market_id, poly.market_id])
                tasks = engine.settlement.request_lookups()
                assert len(tasks) == 2 and engine.settlement.request_lookups() == []  # once a minute
                for task in tasks:
                    assert await task is True
                await engine.settle_queue()
                portfolio = engine.portfolio
                assert portfolio.position(MARKET.market_id, Side.YES).realized_pnl == D("4.00")  # NYK finalized yes
                assert portfolio.position(poly.market_id, Side.NO).realized_pnl == D("-1.50")  # FaZe won: NO lost
                assert engine.settlement.settled_by_venue == 2 and engine.settlement.awaiting() == []
                assert engine.registry.watched == {}  # settled lookups are not shown as unmatched markets
                portfolio.check_identity()
            finally:
                await engine.shutdown()
        assert server.hits(f"/kalshi/markets/{NYK}") == 1 and server.hits("/gamma/markets/keyset") == 1
        assert server.hits("/gamma/markets") == 0
        assert f"clob_token_ids={faze}" in next(r for r in server.requests if r.startswith("/gamma/markets/keyset"))


async def test_lookups_back_off_while_the_venue_has_no_result_and_stop_at_shutdown(store):
    open_market = dict(_kalshi_market(NYK), status="active", result="")
    clock = {"now": NOW}
    with start_fixture_server({f"/markets/{NYK}": Reply(200, {"market": open_market})}) as server:
        async with make_client(5.0) as client:
            kalshi = StreamingVenue(KalshiRestVenue(server.url, client))
            engine = Engine(
                Settings(database_url="postgresql://unused", redis_url=None, instance="test"),
                [kalshi],
                store=store,
                clock=lambda: clock["now"],
            )
            await engine.start(with_adapters=False)
            try:
                await _buy(engine, MARKET, Side.YES, "0.60", 10)
                engine.on_game_state(GAME.evolve(clock_s=0.0, status=GameStatus.FINAL))
                await engine.settle_queue()
                made = []
                for seconds in (0, 30, 60, 100, 179, 180, 419, 420):  # due after 60, then 120, then 240 s
                    clock["now"] = NOW + timedelta(seconds=seconds)
                    for task in engine.settlement.request_lookups():
                        assert await task is True  # the venue answered: still open, nothing settles
                        made.append(seconds)
                assert made == [0, 60, 180, 420]
                assert not engine.portfolio.position(MARKET.market_id, Side.YES).settled
                clock["now"] = NOW + timedelta(seconds=900)
                pending = engine.settlement.request_lookups()
                assert len(pending) == 1
            finally:
                await engine.shutdown()  # cancels the lookup in flight, if it still is
            assert all(task.done() for task in pending) and engine.settlement._inflight == {}
