"""Live Kalshi execution through the engine's executor, against a local fake Kalshi REST API."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

from live_fake_kalshi_rest import FakeKalshiRest

from arbees_engine.adapters.kalshi.auth import KalshiSigner
from arbees_engine.adapters.kalshi.broker import KalshiLiveBroker
from arbees_engine.adapters.kalshi.orders import LIVE_AUTHORIZATION_PHRASE, KalshiOrderClient
from arbees_engine.model import (
    KALSHI_FEES,
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
from arbees_engine.model.fees import taker_fee
from arbees_engine.node.kernel import Engine
from arbees_engine.settings import Settings

LIVE = {"ARBEES_LIVE": "1", "ARBEES_LIVE_AUTHORIZATION": LIVE_AUTHORIZATION_PHRASE}
MARKET = Market(
    "kalshi:KXNBAGAME-26JUN13NYKSAS-SAS",
    Venue.KALSHI,
    "KXNBAGAME-26JUN13NYKSAS-SAS",
    "espn:nba:1",
    Outcome.HOME,
    "SAS",
    fees=KALSHI_FEES,
)


def _engine(client: KalshiOrderClient) -> Engine:
    engine = Engine(Settings(database_url=None, redis_url=None), [])
    engine.registry.games["espn:nba:1"] = GameState(
        "espn:nba:1", Sport.BASKETBALL, League.NBA, Team("SAS", "Spurs"), Team("NYK", "Knicks"), GameStatus.LIVE
    )
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
        await engine.executor.execute(_signal(10))
        order = next(iter(engine.executor.recent_orders.values()))
        assert not order.paper and order.filled_contracts == 7 and order.venue_order_id
        assert server.orders[order.client_order_id]["yes_price_dollars"] == "0.4200"
        position = engine.portfolio.position(MARKET.market_id, Side.YES)
        assert position.contracts == 7 and position.cost == D("0.42") * 7
        assert position.fees == sum(D(f["fee_cost"]) for f in server.fills) == D("0.1194")  # the venue's fee
        engine.portfolio.check_identity()
        await client.aclose()


async def test_venue_refusal_is_an_unfilled_order_not_a_crash(rsa_key):
    with FakeKalshiRest(rsa_key.public_key()) as server:
        client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE, max_attempts=1)
        server.fail_429, server.retry_after = 5, "0"
        engine = _engine(client)
        await engine.executor.execute(_signal(5))
        order = next(iter(engine.executor.recent_orders.values()))
        assert order.status.value == "rejected" and "rate limited" in order.reason
        assert engine.portfolio.position(MARKET.market_id, Side.YES) is None
        assert engine.signal_book.signals["sig-live-1"].decision.value == "unfilled"
        await client.aclose()


async def test_restart_reconciles_an_order_sent_before_a_crash(rsa_key, pg_dsn):
    from arbees_engine.model import Order
    from arbees_engine.store.store import Store

    store = await Store.connect(pg_dsn)
    try:
        with FakeKalshiRest(rsa_key.public_key(), liquidity=4) as server:
            client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE)
            await store.upsert_game(
                GameState(
                    "espn:nba:1",
                    Sport.BASKETBALL,
                    League.NBA,
                    Team("SAS", "Spurs"),
                    Team("NYK", "Knicks"),
                    GameStatus.LIVE,
                )
            )
            await store.upsert_market(MARKET)
            order = Order(
                "arb-crash-1", "sig-x", MARKET.market_id, Venue.KALSHI, Side.YES, D("0.42"), 4, datetime.now(UTC)
            )
            await store.insert_order_intent(order)
            await client.place_ioc(order)  # reached the venue; the engine died before booking the fill

            engine = Engine(Settings(database_url=pg_dsn, redis_url=None), [], store=store)
            engine.live_brokers[Venue.KALSHI] = KalshiLiveBroker(client, engine.registry.markets)
            await engine.restore()
            position = engine.portfolio.position(MARKET.market_id, Side.YES)
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


async def test_a_gateway_error_after_the_order_was_placed_is_looked_up_not_booked_as_rejected(rsa_key):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=6) as server:
        client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE, max_attempts=1)
        server.gateway_error_after_create = True
        engine = _engine(client)
        await engine.executor.execute(_signal(10))
        order = next(iter(engine.executor.recent_orders.values()))
        assert order.status.value == "partial" and order.filled_contracts == 6
        assert engine.portfolio.position(MARKET.market_id, Side.YES).contracts == 6
        assert engine.signal_book.signals["sig-live-1"].decision.value == "executed"
        await client.aclose()


async def test_an_unknown_outcome_blocks_the_market_until_a_later_lookup_books_the_fills(rsa_key):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=4) as server:
        client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE, max_attempts=1)
        server.gateway_error_after_create, server.fail_gets = True, 10
        engine = _engine(client)
        executor = engine.executor
        await executor.execute(_signal(10))
        order = next(iter(executor.recent_orders.values()))
        assert order.status.value == "sent" and "outcome unknown" in order.reason
        assert engine.portfolio.position(MARKET.market_id, Side.YES) is None  # nothing booked blind
        assert list(executor.unresolved) == [order.client_order_id]
        assert engine.status_view().counts["orders_outcome_unknown"] == 1  # shown in status and on the desk
        again = Signal(
            "sig-live-2", SignalKind.EDGE, "espn:nba:1", _signal(3).legs, 0.5, 0.42, D("0.05"), datetime.now(UTC)
        )
        posts = sum(1 for m, p, _ in server.requests if m == "POST")
        await executor.execute(again)
        assert engine.signal_book.signals["sig-live-2"].reason.startswith("order_outcome_unknown")
        assert sum(1 for m, p, _ in server.requests if m == "POST") == posts  # nothing sent meanwhile
        await executor.resolve_unknown(order)  # the venue still fails the lookup: keep waiting, no crash
        assert list(executor.unresolved) == [order.client_order_id] and order.status.value == "sent"
        server.fail_gets = 0
        await executor.resolve_unknown(order)
        assert order.status.value == "partial" and not executor.unresolved
        assert engine.portfolio.position(MARKET.market_id, Side.YES).contracts == 4
        await client.aclose()


async def test_a_live_desk_never_pairs_a_real_leg_with_a_paper_one(rsa_key):
    with FakeKalshiRest(rsa_key.public_key()) as server:
        client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE)
        engine = _engine(client)
        legs = (
            Leg(MARKET.market_id, Venue.KALSHI, Side.YES, D("0.45"), 30),
            Leg("polymarket:123", Venue.POLYMARKET, Side.NO, D("0.50"), 30),
        )
        arb = Signal("arb-1", SignalKind.ARB, "espn:nba:1", legs, 1.0, 0.95, D("0.03"), datetime.now(UTC))
        await engine.executor.execute(arb)
        assert engine.signal_book.signals["arb-1"].decision.value == "rejected"
        assert engine.signal_book.signals["arb-1"].reason.startswith("venue_not_live")
        assert not [r for r in server.requests if r[0] == "POST"] and not engine.executor.recent_orders
        await client.aclose()


async def test_the_fee_kalshi_reports_on_a_fill_is_the_fee_booked(rsa_key):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=25) as server:
        server.fee_cost = "0.4200"  # the venue's own accounting (rounding refunded), not ceil(0.07·25·0.42·0.58) = 0.43
        client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE)
        engine = _engine(client)
        await engine.executor.execute(_signal(25))
        position = engine.portfolio.position(MARKET.market_id, Side.YES)
        assert position.fees == D("0.42") != taker_fee(KALSHI_FEES, D("0.42"), 25)
        await client.aclose()


def _game() -> GameState:
    return GameState(
        "espn:nba:1", Sport.BASKETBALL, League.NBA, Team("SAS", "Spurs"), Team("NYK", "Knicks"), GameStatus.LIVE
    )


async def _stored_world(store) -> None:
    await store.upsert_game(_game())
    await store.upsert_market(MARKET)


def _live_engine(pg_dsn: str, store, client: KalshiOrderClient) -> Engine:
    engine = Engine(Settings(database_url=pg_dsn, redis_url=None), [], store=store)
    engine.live_brokers[Venue.KALSHI] = KalshiLiveBroker(client, engine.registry.markets)
    return engine


async def test_a_restart_resolves_an_unknown_outcome_no_order_by_client_order_id(rsa_key, pg_dsn):
    """A V2 IOC buy of NO reaches the venue, its reply is a 502 and every lookup fails: the order is
    stored SENT (outcome unknown). After a crash, the next engine's restore looks it up by client
    order id and books the venue's two fills and fees once; a second restart books nothing again."""
    from arbees_engine.store.store import Store

    store = await Store.connect(pg_dsn)
    try:
        with FakeKalshiRest(rsa_key.public_key(), liquidity=5) as server:
            server.fill_sizes = [D("2")]
            client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE, max_attempts=1)
            await _stored_world(store)
            first = _live_engine(pg_dsn, store, client)
            await first.restore()
            first.registry.games["espn:nba:1"] = _game()
            first.registry.add_market(MARKET)
            server.gateway_error_after_create, server.fail_gets = True, 10
            leg = Leg(MARKET.market_id, Venue.KALSHI, Side.NO, D("0.55"), 8)
            await first.executor.execute(
                Signal("sig-no", SignalKind.EDGE, "espn:nba:1", (leg,), 0.5, 0.55, D("0.05"), datetime.now(UTC))
            )
            (stored,) = await store.load_orders()
            assert stored.status.value == "sent" and stored.side is Side.NO and await store.count_fills() == 0
            assert server.bodies[0]["side"] == "ask" and server.bodies[0]["price"] == "0.4500"

            server.fail_gets = 0  # the engine "crashed"; the venue answers again
            second = _live_engine(pg_dsn, store, client)
            await second.restore()
            position = second.portfolio.position(MARKET.market_id, Side.NO)
            assert position is not None and position.contracts == 5 and position.cost == D("0.55") * 5
            assert position.fees == sum(D(f["fee_cost"]) for f in server.fills) and len(server.fills) == 2
            (stored,) = await store.load_orders()
            assert stored.status.value == "partial" and stored.filled_contracts == 5
            assert await store.count_fills() == 2

            third = _live_engine(pg_dsn, store, client)
            await third.restore()
            assert await store.count_fills() == 2  # nothing booked twice
            assert third.portfolio.position(MARKET.market_id, Side.NO).contracts == 5
            await client.aclose()
    finally:
        await store.close()


async def test_a_restart_whose_lookup_fails_keeps_the_order_unknown_and_its_market_blocked(rsa_key, pg_dsn):
    """The venue is unreachable for lookups when the engine restarts: restore does not raise, the
    order stays SENT in the execution engine's unresolved orders (counted as
    recovered_live_orders_unknown), its market takes no new signal, and the retried lookup books
    the venue's fills once the venue answers again."""
    from arbees_engine.store.store import Store

    store = await Store.connect(pg_dsn)
    try:
        with FakeKalshiRest(rsa_key.public_key(), liquidity=5) as server:
            server.fill_sizes = [D("2")]
            client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE, max_attempts=1)
            await _stored_world(store)
            first = _live_engine(pg_dsn, store, client)
            await first.restore()
            first.registry.games["espn:nba:1"] = _game()
            first.registry.add_market(MARKET)
            server.gateway_error_after_create, server.fail_gets = True, 10
            leg = Leg(MARKET.market_id, Venue.KALSHI, Side.YES, D("0.55"), 8)
            await first.executor.execute(
                Signal("sig-yes", SignalKind.EDGE, "espn:nba:1", (leg,), 0.6, 0.55, D("0.05"), datetime.now(UTC))
            )
            (stored,) = await store.load_orders()
            assert stored.status.value == "sent"

            server.fail_gets = 1000  # still unreachable at the restart
            second = _live_engine(pg_dsn, store, client)
            await second.restore()  # must not raise
            assert list(second.executor.unresolved) == [stored.client_order_id]
            assert second.counts["recovered_live_orders_unknown"] == 1
            assert await store.count_fills() == 0
            second.registry.games["espn:nba:1"] = _game()
            bodies = len(server.bodies)
            await second.executor.execute(
                Signal("sig-again", SignalKind.EDGE, "espn:nba:1", (leg,), 0.6, 0.55, D("0.05"), datetime.now(UTC))
            )
            assert len(server.bodies) == bodies  # the market is blocked while the order is unknown

            server.fail_gets = 0
            await second.executor.resolve_unknown(second.executor.unresolved[stored.client_order_id])
            assert not second.executor.unresolved
            assert await store.count_fills() == 2
            assert second.portfolio.position(MARKET.market_id, Side.YES).contracts == 5
            await client.aclose()
    finally:
        await store.close()
