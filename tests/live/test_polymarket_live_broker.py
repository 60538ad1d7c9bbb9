"""Live Polymarket execution through the engine's executor, against a local fake CLOB V2 server."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.metadata
import os
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from eth_account import Account
from live_fake_clob import FakeClob

from arbees_engine.adapters.kalshi.orders import LIVE_AUTHORIZATION_PHRASE
from arbees_engine.adapters.live import LiveVenueRefused, live_venues
from arbees_engine.adapters.polymarket.broker import PolymarketLiveBroker
from arbees_engine.adapters.polymarket.clob import (
    CLIENT_PACKAGE,
    CLIENT_VERSION,
    FundsError,
    OrderTerms,
    PolymarketOrderClient,
)
from arbees_engine.adapters.polymarket.credentials import (
    ApiCredentials,
    PolymarketCredentialError,
    api_credentials,
    read_private_key,
)
from arbees_engine.adapters.polymarket.heartbeat import HeartbeatKeeper
from arbees_engine.model import (
    FeeKind,
    FeeSchedule,
    GameState,
    GameStatus,
    League,
    Leg,
    Market,
    Order,
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

LIVE = {"ARBEES_LIVE": "kalshi,polymarket", "ARBEES_LIVE_AUTHORIZATION": LIVE_AUTHORIZATION_PHRASE}
KEY = "0x" + "4c" * 32  # a throwaway key: the fake CLOB's only account
ADDRESS = Account.from_key(KEY).address
YES, NO = "1111", "2222"
FEES = FeeSchedule(FeeKind.POLYMARKET, taker_rate=D("0.03"), exponent=1)
GAME = GameState(
    "espn:nba:1", Sport.BASKETBALL, League.NBA, Team("SAS", "Spurs"), Team("NYK", "Knicks"), GameStatus.LIVE
)


def _market(neg_risk: bool = False, min_size: int = 1) -> Market:
    return Market(
        f"polymarket:{YES}",
        Venue.POLYMARKET,
        YES,
        GAME.game_id,
        Outcome.HOME,
        "SAS",
        fees=FEES,
        no_token_id=NO,
        min_order_contracts=min_size,
        extra={"neg_risk": "true" if neg_risk else "false"},
    )


def _client(fake: FakeClob, **kw) -> PolymarketOrderClient:
    creds = ApiCredentials(fake.api_key, fake.api_secret, fake.api_passphrase)
    return PolymarketOrderClient(host=fake.url, private_key=KEY, credentials=creds, env=LIVE, timeout_s=5, **kw)


def _engine(client: PolymarketOrderClient, market: Market, heartbeat=None, **kw) -> Engine:
    engine = Engine(Settings(database_url=None, redis_url=None), [], **kw)
    engine.registry.games[GAME.game_id] = GAME
    engine.registry.add_market(market)
    engine.live_brokers[Venue.POLYMARKET] = PolymarketLiveBroker(
        client, engine.registry.markets, heartbeat, lambda code, detail: engine.out.reject("execution", code, detail)
    )
    return engine


def _signal(contracts: int, limit: str = "0.42", sid: str = "sig-pm-1") -> Signal:
    leg = Leg(f"polymarket:{YES}", Venue.POLYMARKET, Side.YES, D(limit), contracts)
    return Signal(sid, SignalKind.EDGE, GAME.game_id, (leg,), 0.5, 0.42, D("0.05"), datetime.now(UTC))


def test_the_official_client_is_the_pinned_version():
    assert CLIENT_PACKAGE == "py-clob-client-v2" and CLIENT_VERSION == "1.2.1"
    assert importlib.metadata.version(CLIENT_PACKAGE) == CLIENT_VERSION


def test_polymarket_live_needs_its_name_in_arbees_live_and_the_phrase():
    assert live_venues(LIVE) == {"kalshi", "polymarket"}
    assert live_venues({"ARBEES_LIVE": "1", "ARBEES_LIVE_AUTHORIZATION": LIVE_AUTHORIZATION_PHRASE}) == {"kalshi"}
    assert live_venues({"ARBEES_LIVE": "polymarket", "ARBEES_LIVE_AUTHORIZATION": "yes"}) == set()
    creds = ApiCredentials("k", "c2VjcmV0", "p")
    with pytest.raises(LiveVenueRefused):
        PolymarketOrderClient(host="http://127.0.0.1:9", private_key=KEY, credentials=creds, env={"ARBEES_LIVE": "1"})


async def test_a_fak_buy_fills_at_the_makers_prices_and_books_the_fee_charged():
    with FakeClob(ADDRESS) as fake:
        fake.asks[YES] = [(D("0.40"), D("3")), (D("0.42"), D("10"))]
        fake.fee_bps[YES] = 300
        client = _client(fake)
        assert await client.start(D("10")) == D("1000")
        engine = _engine(client, _market())
        await engine.executor.execute(_signal(5))
        order = next(iter(engine.executor.recent_orders.values()))
        assert not order.paper and order.status.value == "filled" and order.filled_contracts == 5
        assert order.venue_order_id in fake.orders and fake.orders[order.venue_order_id]["order_type"] == "FAK"
        position = engine.portfolio.position(f"polymarket:{YES}", Side.YES)
        price = (D("0.40") * 3 + D("0.42") * 2) / 5  # 3 at 0.40, 2 at 0.42: the makers' prices
        assert position.contracts == 5 and position.cost == D("2.04")
        assert position.fees == taker_fee(FEES, price, 5) > 0  # fee_rate_bps 300 at match time
        engine.portfolio.check_identity()


async def test_nothing_at_the_limit_kills_the_fak_and_a_small_order_is_never_sent():
    with FakeClob(ADDRESS) as fake:
        fake.asks[YES] = [(D("0.45"), D("10"))]
        engine = _engine(_client(fake), _market(min_size=5))
        await engine.executor.execute(_signal(3, sid="small"))
        order = next(iter(engine.executor.recent_orders.values()))
        assert order.status.value == "rejected" and order.reason.startswith("below_min_size")
        assert not [r for r in fake.requests if r[1] == "/order"]
        await engine.executor.execute(_signal(6, sid="nomatch"))
        order = list(engine.executor.recent_orders.values())[-1]
        assert order.status.value == "cancelled" and "FAK killed" in order.reason
        assert engine.portfolio.position(f"polymarket:{YES}", Side.YES) is None


async def test_the_neg_risk_flag_selects_the_exchange_the_order_is_signed_for():
    with FakeClob(ADDRESS, neg_risk={YES: True}) as fake:
        fake.asks[YES] = [(D("0.42"), D("10"))]
        wrong = _engine(_client(fake), _market(neg_risk=False))
        await wrong.executor.execute(_signal(2, sid="wrong"))
        order = next(iter(wrong.executor.recent_orders.values()))
        assert order.status.value == "rejected" and "invalid order signature" in order.reason
        right = _engine(_client(fake), _market(neg_risk=True))
        await right.executor.execute(_signal(2, sid="right"))
        assert next(iter(right.executor.recent_orders.values())).status.value == "filled"


async def test_no_pusd_or_no_allowance_stops_the_start_with_a_clear_error():
    with FakeClob(ADDRESS) as fake:
        fake.balance = "2500000"
        with pytest.raises(FundsError, match=r"pUSD balance \$2.5 .* below the \$10"):
            await _client(fake).start(D("10"))
        fake.balance, fake.allowances = "50000000", {}
        with pytest.raises(FundsError, match="no pUSD allowance for exchange_v2 0x"):
            await _client(fake).start(D("10"))


async def test_heartbeat_failure_halts_new_orders_and_the_venue_cancels_open_ones():
    with FakeClob(ADDRESS) as fake:
        fake.heartbeat_timeout_s = 0.3
        fake.asks[YES] = [(D("0.42"), D("10"))]
        client = _client(fake)
        keeper = HeartbeatKeeper(client.heartbeat, client.cancel_all, interval_s=60)
        engine = _engine(client, _market(), keeper)
        assert engine.status_view().trading["polymarket"].startswith("live halted: not started")
        assert await keeper.beat() and engine.status_view().trading["polymarket"] == "live"
        resting = Order("gtc-1", "s", f"polymarket:{YES}", Venue.POLYMARKET, Side.YES, D("0.30"), 4, datetime.now(UTC))
        terms = engine.live_brokers[Venue.POLYMARKET].terms(resting)
        reply = await client.post_order(client.signed_order(resting, terms), "GTC")  # rests below the ask
        assert fake.orders[reply["orderID"]]["status"] == "LIVE"

        fake.fail_heartbeats = True
        assert not await keeper.beat()
        assert await asyncio.to_thread(fake.cancelled.wait, 5)  # the venue's dead-man switch fired
        assert fake.orders[reply["orderID"]]["status"] == "CANCELED" and fake.heartbeat_cancels == 1
        assert engine.status_view().trading["polymarket"].startswith("live halted: heartbeat failed")
        assert engine.status_view().venue_states["polymarket"]["heartbeat"].startswith("heartbeat failed: HTTP 503")
        posts = len([r for r in fake.requests if r[1] == "/order"])
        await engine.executor.execute(_signal(2))
        order = next(iter(engine.executor.recent_orders.values()))
        assert order.status.value == "rejected" and order.reason.startswith("venue_halted")
        assert engine.status_view().rejections["execution:venue_halted"] == 1
        assert len([r for r in fake.requests if r[1] == "/order"]) == posts  # nothing sent

        fake.fail_heartbeats = False
        assert await keeper.beat()  # a good beat lifts the halt
        assert engine.status_view().venue_states == {"polymarket": {"heartbeat": "ok"}}
        await engine.executor.execute(_signal(2, sid="sig-pm-2"))
        assert list(engine.executor.recent_orders.values())[-1].status.value == "filled"


async def test_the_kill_switch_stops_heartbeats_and_cancels_open_orders():
    with FakeClob(ADDRESS) as fake:
        client = _client(fake)
        engine = Engine(Settings(database_url=None, redis_url=None), [])
        keeper = HeartbeatKeeper(
            client.heartbeat, client.cancel_all, interval_s=0.05, may_trade=lambda: engine.control.may_open_positions
        )
        task = asyncio.create_task(keeper.run())
        await keeper.wait_changed(5)
        assert keeper.beats >= 1 and not keeper.halted
        resting = Order("gtc-2", "s", f"polymarket:{YES}", Venue.POLYMARKET, Side.YES, D("0.30"), 4, datetime.now(UTC))
        reply = await client.post_order(client.signed_order(resting, OrderTerms(YES, D("0.01"), False)), "GTC")
        engine.control.engage("test", "operator", datetime.now(UTC))
        while not keeper.stopped_by_kill_switch:
            await keeper.wait_changed(5)
        beats = fake.heartbeats
        assert fake.orders[reply["orderID"]]["status"] == "CANCELED"  # cancel-all, not waiting for the timeout
        await keeper.wait_changed(5)
        assert fake.heartbeats == beats and keeper.halted.startswith("kill switch engaged")
        keeper.stop()
        await asyncio.wait_for(task, 5)


async def test_a_lost_reply_is_looked_up_by_the_order_hash():
    with FakeClob(ADDRESS) as fake:
        fake.asks[YES] = [(D("0.41"), D("10"))]
        fake.drop_next_post_response = True
        engine = _engine(_client(fake), _market())
        await engine.executor.execute(_signal(4))
        order = next(iter(engine.executor.recent_orders.values()))
        assert order.status.value == "filled" and order.venue_order_id in fake.orders
        assert engine.portfolio.position(f"polymarket:{YES}", Side.YES).contracts == 4
        assert len([r for r in fake.requests if r[1] == "/order"]) == 1  # looked up, never resent


async def test_restart_reconciles_by_order_id_and_books_each_fill_once(pg_dsn):
    from arbees_engine.store.store import Store

    store = await Store.connect(pg_dsn)
    try:
        with FakeClob(ADDRESS) as fake:
            fake.asks[YES] = [(D("0.40"), D("10"))]
            fake.fee_bps[YES] = 300
            client, market = _client(fake), _market()
            await store.upsert_game(GAME)
            await store.upsert_market(market)
            order = Order(
                "pm-crash-1", "sig-x", market.market_id, Venue.POLYMARKET, Side.YES, D("0.42"), 6, datetime.now(UTC)
            )
            await store.insert_order_intent(order)
            broker = PolymarketLiveBroker(client, {market.market_id: market})
            await client.post_order(client.signed_order(order, broker.terms(order)))  # sent; the engine died

            for _ in range(2):  # a restart, then a second one: nothing is booked twice
                engine = Engine(Settings(database_url=pg_dsn, redis_url=None), [], store=store)
                engine.live_brokers[Venue.POLYMARKET] = PolymarketLiveBroker(client, engine.registry.markets)
                await engine.restore()
                position = engine.portfolio.position(market.market_id, Side.YES)
                assert position is not None and position.contracts == 6 and position.cost == D("2.40")
                assert position.fees == taker_fee(FEES, D("0.40"), 6)
                assert await store.count_fills() == 1
                (stored,) = await store.load_orders()
                assert stored.status.value == "filled" and stored.venue_order_id in fake.orders
    finally:
        await store.close()


def test_api_credentials_are_created_once_into_a_0600_file_and_never_shown(tmp_path: Path):
    with FakeClob(ADDRESS) as fake:
        from py_clob_client_v2.client import ClobClient

        path = tmp_path / "pm" / "api-key.json"
        made = api_credentials(path, lambda: ClobClient(fake.url, 137, key=KEY).create_or_derive_api_key())
        assert made.api_key == fake.api_key and oct(path.stat().st_mode & 0o777) == "0o600"
        again = api_credentials(path, lambda: pytest.fail("an existing file is read, not re-created"))
        assert again == made and fake.api_secret not in repr(again) and fake.api_passphrase not in str(again)
        key_file = tmp_path / "pm" / "key"
        key_file.write_text(KEY)
        os.chmod(key_file, 0o644)
        with pytest.raises(PolymarketCredentialError, match="0600"):
            read_private_key(key_file)
        os.chmod(key_file, 0o600)
        assert read_private_key(key_file) == KEY


async def test_a_tick_size_change_after_the_send_does_not_lose_the_order():
    with FakeClob(ADDRESS) as fake:
        fake.asks[YES] = [(D("0.42"), D("10"))]
        client, market = _client(fake), _market()
        order = Order("pm-tick-1", "s", market.market_id, Venue.POLYMARKET, Side.YES, D("0.42"), 3, datetime.now(UTC))
        await client.post_order(
            client.signed_order(order, PolymarketLiveBroker(client, {market.market_id: market}).terms(order))
        )
        coarser = dataclasses.replace(market, tick=D("0.1"))  # tick_size_change: 0.42 is off the new grid
        fills = await PolymarketLiveBroker(client, {market.market_id: coarser}).reconcile(order, datetime.now(UTC))
        assert order.status.value == "filled" and sum(f.contracts for f in fills) == 3
