"""A live Kalshi order whose outcome is unknown keeps counting against the game limit (at limit ×
contracts) until it is reconciled; a Polymarket signal on the same outcome cannot slip past it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from live_fake_kalshi_rest import FakeKalshiRest

from arbees_engine.adapters.kalshi.auth import KalshiSigner
from arbees_engine.adapters.kalshi.broker import KalshiLiveBroker
from arbees_engine.adapters.kalshi.orders import LIVE_AUTHORIZATION_PHRASE, KalshiOrderClient
from arbees_engine.model import (
    KALSHI_FEES,
    BookLevel,
    BookUpdate,
    BookUpdateKind,
    FeeKind,
    FeeSchedule,
    GameState,
    GameStatus,
    League,
    Leg,
    Market,
    Outcome,
    Side,
    Signal,
    SignalKind,
    Sport,
    Team,
    Venue,
)
from arbees_engine.node.kernel import Engine
from arbees_engine.settings import RiskLimits, Settings

LIVE = {"ARBEES_LIVE": "1", "ARBEES_LIVE_AUTHORIZATION": LIVE_AUTHORIZATION_PHRASE}
GAME = "espn:nba:1"
KALSHI = Market(
    "kalshi:KXNBAGAME-26JUN13NYKSAS-SAS",
    Venue.KALSHI,
    "KXNBAGAME-26JUN13NYKSAS-SAS",
    GAME,
    Outcome.HOME,
    "SAS",
    fees=KALSHI_FEES,
)
POLY = Market(
    "polymarket:sas-yes",
    Venue.POLYMARKET,
    "sas-yes",
    GAME,
    Outcome.HOME,
    "SAS",
    fees=FeeSchedule(FeeKind.POLYMARKET, D("0.05"), D("0"), 1),
)


def _engine(client: KalshiOrderClient) -> Engine:
    engine = Engine(Settings(database_url=None, redis_url=None, limits=RiskLimits(max_game_exposure=D("100"))), [])
    engine.registry.games[GAME] = GameState(
        GAME, Sport.BASKETBALL, League.NBA, Team("SAS", "Spurs"), Team("NYK", "Knicks"), GameStatus.LIVE
    )
    engine.registry.game_seen_at[GAME] = engine.clock()
    for market in (KALSHI, POLY):
        engine.registry.add_market(market)
    engine.registry.books[POLY.market_id].apply(
        BookUpdate(
            POLY.market_id,
            (BookLevel(D("0.48"), D("500")),),
            (BookLevel(D("0.50"), D("500")),),
            BookUpdateKind.SNAPSHOT,
            1,
            engine.clock(),
        )
    )
    engine.live_brokers[Venue.KALSHI] = KalshiLiveBroker(client, engine.registry.markets)
    return engine


def _signal(signal_id: str, market: Market, price: str, contracts: int) -> Signal:
    leg = Leg(market.market_id, market.venue, Side.YES, D(price), contracts)
    return Signal(signal_id, SignalKind.EDGE, GAME, (leg,), 0.6, float(price), D("0.05"), datetime.now(UTC))


@pytest.mark.parametrize(("liquidity", "poly_ok_after"), [(120, False), (0, True)], ids=["filled", "never_filled"])
async def test_a_timed_out_kalshi_order_counts_against_the_game_until_reconciled(rsa_key, liquidity, poly_ok_after):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=liquidity) as server:
        client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE, max_attempts=1)
        server.gateway_error_after_create, server.fail_gets = True, 10  # placed, then every lookup fails
        engine = _engine(client)
        trader, executor = engine.trader, engine.executor
        poly = _signal("sig-poly", POLY, "0.50", 100)  # $50.00 worst case
        assert trader.check(poly).ok  # alone it fits the $100 game limit

        await executor.execute(_signal("sig-kalshi", KALSHI, "0.42", 120))  # $50.40 worst case, outcome unknown
        (order,) = executor.unresolved.values()
        assert order.status.value == "sent" and engine.portfolio.exposure_by_game(GAME) == 0  # nothing booked
        verdict = trader.check(poly)  # $50.40 + $50.00 > $100
        assert not verdict.ok and verdict.reason == "game_exposure"

        server.fail_gets = 0
        await executor.resolve_unknown(order)
        assert not executor.unresolved
        assert engine.portfolio.exposure_by_game(GAME) == D("0.42") * liquidity  # what the venue really filled
        assert trader.check(poly).ok is poly_ok_after  # now held (still refused) or released
        await client.aclose()
