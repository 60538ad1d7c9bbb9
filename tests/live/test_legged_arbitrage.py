"""An arbitrage stopped after its first leg filled (kill switch, no order intent stored) is booked as
executed and its naked first leg is audited, never labelled rejected or left 'approved'."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

from live_books import seed_book
from live_fake_kalshi_rest import FakeKalshiRest
from test_tick_grid_orders import LIVE, NYK, SAS, _kalshi_engine, _posts, _signal

from arbees_engine.adapters.kalshi.auth import KalshiSigner
from arbees_engine.adapters.kalshi.orders import KalshiOrderClient
from arbees_engine.model import Side
from arbees_engine.store import StoreUnavailable

ARB = ((f"kalshi:{SAS}", Side.YES, "0.55"), (f"kalshi:{NYK}", Side.NO, "0.40"))


def _after_first_send(engine, action) -> None:
    """Run `action()` once the first leg's order has been sent and booked (a kill or a store outage
    landing in the await between the legs)."""
    send = engine.executor._send

    async def send_then_act(order):
        filled = await send(order)
        action()
        return filled

    engine.executor._send = send_then_act


async def _run(rsa_key, between):
    """Execute the arbitrage on a live-Kalshi engine against the local fake venue; returns the engine,
    the orders POSTed and the audit lines (action, detail) the engine wrote."""
    with FakeKalshiRest(rsa_key.public_key(), liquidity=3) as server:
        client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE)
        engine = _kalshi_engine(client)
        seed_book(engine.registry, ARB[0][0], asks=[("0.55", "10")])  # a live arbitrage needs both legs' depth
        seed_book(engine.registry, ARB[1][0], bids=[("0.60", "10")])  # NO at 0.40 = the YES bid at 0.60
        audits: list[tuple[str, str]] = []
        engine.out.audit = lambda actor, action, entity="", detail="", store=True: audits.append((action, detail))
        between(engine)
        await engine.executor.execute(_signal("s1", *ARB))
        await client.aclose()
        return engine, _posts(server), audits


async def test_a_kill_between_the_legs_books_the_signal_executed_and_audits_the_naked_leg(rsa_key):
    engine, posts, audits = await _run(
        rsa_key, lambda e: _after_first_send(e, lambda: e.control.engage("test", "operator", datetime.now(UTC)))
    )
    signal = engine.signal_book.signals["s1"]
    assert posts == 1  # the hedge leg was never sent
    assert signal.decision.value == "executed" and signal.reason == "kill_switch before the next leg"
    legged = [detail for action, detail in audits if action == "arb_legged"]
    assert legged == ["3 contracts of the first leg are unhedged: kill_switch before the next leg"]


async def test_an_intent_that_cannot_be_stored_after_the_first_leg_is_not_a_rejection(rsa_key, store):
    await store.init_bankroll(D("1000"))

    async def intent_refused(order) -> None:
        raise StoreUnavailable("PostgreSQL unavailable: test")

    def store_down(engine):  # PostgreSQL is up for the first leg, down when the second leg's intent is written
        engine.store = store
        _after_first_send(engine, lambda: setattr(store, "insert_order_intent", intent_refused))

    engine, posts, audits = await _run(rsa_key, store_down)
    signal = engine.signal_book.signals["s1"]
    assert posts == 1 and len(await store.load_fills()) == 1  # the first leg's fill is booked
    assert signal.decision.value == "executed" and signal.reason == "store_unavailable before the next leg"
    assert ("arb_legged", "3 contracts of the first leg are unhedged: store_unavailable before the next leg") in audits
