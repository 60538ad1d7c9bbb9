"""Settlement state that must survive a restart (portfolio/settlement.py, migrations/0004): the feed's
expected result of a real venue's market, the count of markets the venue settled unlike the score
(desk header), and which markets settled today (the daily loss limit's hedge netting)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from test_engine_venue_settlement import GAME, MARKET, NOW, _audit_actions, _buy, _engine, _venue_says

from arbees_engine.model import GameStatus, Market, Outcome, Side, Venue
from arbees_engine.store import StoreUnavailable

POLY = Market("polymarket:NYK-TOKEN", Venue.POLYMARKET, "NYK-TOKEN", GAME.game_id, Outcome.AWAY, "NYK")


async def _restarted(store):
    """A started engine on `store`: its start restored the settlement state (Engine.restore)."""
    return await _engine(store)


@pytest.mark.parametrize("venue_result, mismatches", [("no", 1), ("yes", 0)])
async def test_a_restart_between_the_feeds_final_and_the_venue_result_still_compares_them(
    store, venue_result, mismatches
):
    first = await _engine(store)
    try:
        await _buy(first, MARKET, Side.YES, "0.60", 10)
        first.on_game_state(GAME.evolve(clock_s=0.0, status=GameStatus.FINAL))  # feed: NYK won, YES expected
        await first.settle_queue()
    finally:
        await first.shutdown()
    row = await store.load_settlement_expectation(MARKET.market_id)
    assert row == "yes"

    second = await _engine(store)  # the feed never shows this game again
    try:
        assert second.settlement.expected == {}
        await _venue_says(second, venue_result)
        settlement = second.settlement
        assert second.portfolio.position(MARKET.market_id, Side.YES).settled
        assert second.input_rejections["settlement:venue_result_differs"] == mismatches
        assert settlement.mismatches == mismatches == second.status_view().counts["settlement_mismatches"]
        assert ("settlement_mismatch" in await _audit_actions(second, store)) is bool(mismatches)
        assert await store.load_settlement_expectation(MARKET.market_id) is None  # resolved
    finally:
        await second.shutdown()

    third = await _restarted(store)
    try:  # the desk header's count is the store's: it survives the restart; per-run rejections do not
        assert third.status_view().counts["settlement_mismatches"] == mismatches
        assert third.input_rejections["settlement:venue_result_differs"] == 0
    finally:
        await third.shutdown()


async def test_an_expectation_the_store_refused_is_counted_and_still_compared_in_the_same_run(store, monkeypatch):
    engine = await _engine(store)
    try:

        async def down(*_args):
            raise StoreUnavailable("PostgreSQL unavailable: test")

        monkeypatch.setattr(store, "save_settlement_expectation", down)
        await _buy(engine, MARKET, Side.YES, "0.60", 10)
        engine.on_game_state(GAME.evolve(clock_s=0.0, status=GameStatus.FINAL))
        await engine.settle_queue()
        assert engine.input_rejections["settlement:expectation_not_stored"] == 1
        assert engine.settlement.expected == {MARKET.market_id: "yes"}
        monkeypatch.undo()
        await _venue_says(engine, "no")
        assert engine.input_rejections["settlement:venue_result_differs"] == 1
        assert engine.settlement.mismatches == 1 == await store.count_settlement_mismatches()
    finally:
        await engine.shutdown()


async def _set_ledger_time(store, at) -> None:
    async with store.db.acquire() as conn:  # the ledger's clock is the database's; the test moves it
        await conn.execute("UPDATE bankroll_ledger SET created_at = $1", at)


async def test_after_a_restart_only_a_leg_settled_today_lets_its_open_pair_offset_the_days_loss(store):
    first = await _engine(store)
    try:
        await _buy(first, MARKET, Side.YES, "0.60", 10, n=1)
        await _buy(first, POLY, Side.NO, "0.30", 10, n=2)  # the hedge on the other venue
        await _venue_says(first, "no")  # Kalshi resolved first: the YES leg lost $6
    finally:
        await first.shutdown()

    await _set_ledger_time(store, NOW)  # settled today
    second = await _restarted(store)
    try:
        portfolio = second.portfolio
        portfolio.mark(POLY.market_id, D("0.20"))  # NO marked at 0.80: +$5 while it waits for its venue
        assert portfolio.day_net_pnl(NOW) == D("-6.14")  # −$6 and two $0.07 fees
        assert portfolio.day_pnl_for_loss_limit(NOW) == D("-6.14") + D("5.00")
    finally:
        await second.shutdown()

    await _set_ledger_time(store, NOW - timedelta(days=1))  # settled yesterday
    third = await _restarted(store)
    try:
        portfolio = third.portfolio
        portfolio.mark(POLY.market_id, D("0.20"))
        assert portfolio.day_net_pnl(NOW) == D("0")
        assert portfolio.day_pnl_for_loss_limit(NOW) == D("0")  # yesterday's leg does not loosen today
    finally:
        await third.shutdown()
