"""Live Kalshi execution through the engine's executor, against a local fake Kalshi REST API."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

from arbees_engine.adapters.kalshi.auth import KalshiSigner
from arbees_engine.adapters.kalshi.broker import KalshiLiveBroker
from arbees_engine.adapters.kalshi.orders import LIVE_AUTHORIZATION_PHRASE, KalshiOrderClient
from arbees_engine.execution.fees import taker_fee
from arbees_engine.model import (
    KALSHI_FEES, GameState, GameStatus, Leg, League, Market, Outcome, Side, Signal, SignalKind, Sport, Team, Venue,
)
from arbees_engine.runtime.engine import Engine
from arbees_engine.settings import Settings
from live_fake_kalshi_rest import FakeKalshiRest

LIVE = {"ARBEES_LIVE": "1", "ARBEES_LIVE_AUTHORIZATION": LIVE_AUTHORIZATION_PHRASE}
MARKET = Market("kalshi:KXNBAGAME-26JUN13NYKSAS-SAS", Venue.KALSHI, "KXNBAGAME-26JUN13NYKSAS-SAS",
                "espn:nba:1", Outcome.HOME, "SAS", fees=KALSHI_FEES)


def _engine(client: KalshiOrderClient) -> Engine:
    engine = Engine(Settings(database_url=None, redis_url=None), [])
    engine.registry.games["espn:nba:1"] = GameState("espn:nba:1", Sport.BASKETBALL, League.NBA, Team("SAS", "Spurs"),
                                                     Team("NYK", "Knicks"), GameStatus.LIVE)
    engine.registry.add_market(MARKET)
    engine.live_brokers[Venue.KALSHI] = KalshiLiveBroker(client, engine.registry.markets)
    return engine


def _signal(contracts: int) -> Signal:
    leg = Leg(MARKET.market_id, Venue.KALSHI, Side.YES, D("0.42"), contracts)
    return Signal("sig-live-1", SignalKind.EDGE, "espn:nba:1", (leg,), 0.5, 0.42, D("0.05"), datetime.now(UTC))


async def test_executor_sends_live_ioc_and_books_the_venue_fills(rsa_key):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=7) as server:
        client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE)
        engine = _engine(client)
        await engine.desk.executor.execute(_signal(10))
        order = next(iter(engine.desk.executor.recent_orders.values()))
        assert not order.paper and order.filled_contracts == 7 and order.venue_order_id
        assert server.orders[order.client_order_id]["yes_price_dollars"] == "0.4200"
        position = engine.desk.portfolio.position(MARKET.market_id, Side.YES)
        assert position.contracts == 7 and position.cost == D("0.42") * 7
        assert position.fees == taker_fee(KALSHI_FEES, D("0.42"), 7)
        engine.desk.portfolio.check_identity()
        await client.aclose()


async def test_venue_refusal_is_an_unfilled_order_not_a_crash(rsa_key):
    with FakeKalshiRest(rsa_key.public_key()) as server:
        client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE, max_attempts=1)
        server.fail_429, server.retry_after = 5, "0"
        engine = _engine(client)
        await engine.desk.executor.execute(_signal(5))
        order = next(iter(engine.desk.executor.recent_orders.values()))
        assert order.status.value == "rejected" and "rate limited" in order.reason
        assert engine.desk.portfolio.position(MARKET.market_id, Side.YES) is None
        assert engine.desk.signals["sig-live-1"].decision.value == "unfilled"
        await client.aclose()


async def test_restart_reconciles_an_order_sent_before_a_crash(rsa_key, pg_dsn):
    from arbees_engine.model import Order
    from arbees_engine.store.store import Store

    store = await Store.connect(pg_dsn)
    try:
        with FakeKalshiRest(rsa_key.public_key(), liquidity=4) as server:
            client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE)
            await store.upsert_game(GameState("espn:nba:1", Sport.BASKETBALL, League.NBA, Team("SAS", "Spurs"),
                                              Team("NYK", "Knicks"), GameStatus.LIVE))
            await store.upsert_market(MARKET)
            order = Order("arb-crash-1", "sig-x", MARKET.market_id, Venue.KALSHI, Side.YES, D("0.42"), 4,
                          datetime.now(UTC))
            await store.insert_order_intent(order)
            await client.place_ioc(order)  # reached the venue; the engine died before booking the fill

            engine = Engine(Settings(database_url=pg_dsn, redis_url=None), [], store=store)
            engine.live_brokers[Venue.KALSHI] = KalshiLiveBroker(client, engine.registry.markets)
            await engine.restore()
            position = engine.desk.portfolio.position(MARKET.market_id, Side.YES)
            assert position is not None and position.contracts == 4
            assert await store.count_fills() == 1
            (stored,) = await store.load_orders()
            assert stored.status.value == "filled" and stored.filled_contracts == 4

            again = Engine(Settings(database_url=pg_dsn, redis_url=None), [], store=store)  # a second restart
            again.live_brokers[Venue.KALSHI] = KalshiLiveBroker(client, again.registry.markets)
            await again.restore()
            assert await store.count_fills() == 1  # nothing booked twice
            await client.aclose()
    finally:
        await store.close()
