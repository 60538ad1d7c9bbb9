"""A live cross-venue arbitrage (Kalshi YES + Polymarket NO) on the local fake Kalshi and fake CLOB:
the same result as a paper desk on the same books, both legs' depth checked before the first, and
the legged policy (unwind at a bounded loss, or hold and alert) when the second leg fails."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

from eth_account import Account
from live_books import seed_book
from live_fake_clob import FakeClob
from live_fake_kalshi_rest import FakeKalshiRest

from arbees_engine.adapters.kalshi.auth import KalshiSigner
from arbees_engine.adapters.kalshi.broker import KalshiLiveBroker
from arbees_engine.adapters.kalshi.orders import LIVE_AUTHORIZATION_PHRASE, KalshiOrderClient
from arbees_engine.adapters.polymarket.broker import PolymarketLiveBroker
from arbees_engine.adapters.polymarket.clob import PolymarketOrderClient
from arbees_engine.adapters.polymarket.credentials import ApiCredentials
from arbees_engine.execution.legs import LeggedPolicy
from arbees_engine.model import (
    KALSHI_FEES,
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
from arbees_engine.settings import Settings

LIVE = {"ARBEES_LIVE": "kalshi,polymarket", "ARBEES_LIVE_AUTHORIZATION": LIVE_AUTHORIZATION_PHRASE}
KEY = "0x" + "6e" * 32
GAME = GameState(
    "espn:nba:7", Sport.BASKETBALL, League.NBA, Team("SAS", "Spurs"), Team("NYK", "Knicks"), GameStatus.SCHEDULED
)
KALSHI = Market("kalshi:KX-SAS", Venue.KALSHI, "KX-SAS", GAME.game_id, Outcome.HOME, "SAS", fees=KALSHI_FEES)
PM_FEES = FeeSchedule(FeeKind.POLYMARKET, taker_rate=D("0.03"), exponent=1)
POLY = Market(
    "polymarket:7001", Venue.POLYMARKET, "7001", GAME.game_id, Outcome.HOME, "SAS", fees=PM_FEES, no_token_id="7002"
)
LEGS = (
    Leg(KALSHI.market_id, Venue.KALSHI, Side.YES, D("0.55"), 10),
    Leg(POLY.market_id, Venue.POLYMARKET, Side.NO, D("0.40"), 10),
)


def _desk(polymarket_no_depth: str = "10", **strategy) -> Engine:
    engine = Engine(Settings(database_url=None, redis_url=None, strategy=strategy), [])
    engine.registry.games[GAME.game_id] = GAME
    for market in (KALSHI, POLY):
        engine.registry.add_market(market)
    seed_book(engine.registry, KALSHI.market_id, asks=[("0.55", "10")])
    seed_book(engine.registry, POLY.market_id, bids=[("0.60", polymarket_no_depth)])  # NO ask 0.40
    return engine


def _go_live(engine: Engine, rsa_key, kalshi: FakeKalshiRest, clob: FakeClob) -> KalshiOrderClient:
    kalshi_client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=kalshi.base_url, env=LIVE)
    creds = ApiCredentials(clob.api_key, clob.api_secret, clob.api_passphrase)
    pm_client = PolymarketOrderClient(host=clob.url, private_key=KEY, credentials=creds, env=LIVE)
    engine.live_brokers[Venue.KALSHI] = KalshiLiveBroker(kalshi_client, engine.registry.markets)
    engine.live_brokers[Venue.POLYMARKET] = PolymarketLiveBroker(pm_client, engine.registry.markets)
    return kalshi_client


def _arb(sid: str = "arb-1") -> Signal:
    return Signal(sid, SignalKind.ARB, GAME.game_id, LEGS, 1.0, 0.95, D("0.05"), datetime.now(UTC))


def _book(engine: Engine) -> dict:
    positions = {(p.market_id, p.side): (p.contracts, p.cost, p.fees) for p in engine.portfolio.positions()}
    bank = engine.portfolio.bankroll
    return {"positions": positions, "available": bank.available, "fees": bank.fees}


def _audits(engine: Engine) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    engine.out.audit = lambda actor, action, entity="", detail="", store=True: seen.append((action, detail))
    return seen


async def test_a_paper_desk_and_a_live_desk_trade_the_same_arbitrage_with_the_same_result(rsa_key):
    paper = _desk()
    await paper.executor.execute(_arb())
    with FakeKalshiRest(rsa_key.public_key(), liquidity=10) as kalshi, FakeClob(Account.from_key(KEY).address) as clob:
        clob.asks["7002"], clob.fee_bps["7002"] = [(D("0.40"), D("10"))], 300  # 3% at match time, as on paper
        kalshi.fee_cost = "0.1800"  # the venue charges its schedule, rounded up to the cent, as on paper
        live = _desk()
        client = _go_live(live, rsa_key, kalshi, clob)
        await live.executor.execute(_arb())
        await client.aclose()
    assert all(not o.paper for o in live.executor.recent_orders.values())
    assert _book(live) == _book(paper)
    assert _book(live)["positions"] == {
        (KALSHI.market_id, Side.YES): (10, D("5.50"), D("0.18")),  # ceil(0.07·10·0.55·0.45) = 0.18
        (POLY.market_id, Side.NO): (10, D("4.00"), D("0.072")),  # 10·0.03·0.40·0.60
    }
    assert live.signal_book.signals["arb-1"].decision.value == "executed" and not live.status_view().naked_exposure


async def test_both_legs_depth_is_checked_before_the_first_leg_is_sent(rsa_key):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=10) as kalshi, FakeClob(Account.from_key(KEY).address) as clob:
        live = _desk(polymarket_no_depth="4")  # the book shows 4 NO at 0.40, the arbitrage needs 10
        client = _go_live(live, rsa_key, kalshi, clob)
        await live.executor.execute(_arb())
        await client.aclose()
        assert not kalshi.requests and not clob.requests  # nothing sent on either venue
    signal = live.signal_book.signals["arb-1"]
    assert signal.decision.value == "rejected" and signal.reason.startswith("insufficient_depth: polymarket:7001 no")
    assert live.input_rejections["execution:insufficient_depth"] == 1


async def test_a_failed_second_leg_is_unwound_at_a_bounded_loss(rsa_key):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=20) as kalshi, FakeClob(Account.from_key(KEY).address) as clob:
        live = _desk(legged_policy="unwind", legged_unwind_max_loss="0.02")  # the venue's NO asks are gone
        assert live.executor.legging.policy is LeggedPolicy.UNWIND
        client = _go_live(live, rsa_key, kalshi, clob)
        audits = _audits(live)
        await live.executor.execute(_arb())
        await client.aclose()
        unwind = [o for o in kalshi.orders.values() if o["outcome_side"] == "no"]
    assert len(unwind) == 1 and unwind[0]["no_price_dollars"] == "0.4700"  # 1 − 0.55 + 0.02
    positions = _book(live)["positions"]
    assert positions[(KALSHI.market_id, Side.YES)][0] == positions[(KALSHI.market_id, Side.NO)][0] == 10
    counts = live.status_view().counts
    assert counts["legged_arbs"] == counts["legged_unwinds"] == 1 and counts["legged_unwind_contracts"] == 10
    assert ("arb_legged", "10 contracts of the first leg are unhedged") in audits
    assert any(a == "arb_unwound" and d.startswith("10 of 10 flattened by no at ≤0.47") for a, d in audits)
    assert not live.status_view().naked_exposure  # flat: nothing left naked


async def test_a_failed_second_leg_is_held_alerted_and_shown_until_closed(rsa_key):
    with FakeKalshiRest(rsa_key.public_key(), liquidity=20) as kalshi, FakeClob(Account.from_key(KEY).address) as clob:
        live = _desk(legged_policy="hold")
        client = _go_live(live, rsa_key, kalshi, clob)
        audits = _audits(live)
        await live.executor.execute(_arb())
        await client.aclose()
        assert [o["outcome_side"] for o in kalshi.orders.values()] == ["yes"]  # no unwind sent
    status = live.status_view()
    assert status.counts["legged_arbs"] == status.counts["legged_holds"] == 1
    assert status.naked_exposure["arb-1"].startswith("10 YES kalshi:KX-SAS ≤$0.55 since ")
    assert any(a == "arb_held" and "10 YES kalshi:KX-SAS" in d for a, d in audits)
    live.portfolio.settle(KALSHI.market_id, yes_won=True)  # the position closes at settlement
    assert not live.status_view().naked_exposure
