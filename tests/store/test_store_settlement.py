"""Settlement rows (migrations/0004, store/trading.py): the feed's expectation of a real venue's
market kept until the venue resolves it, the venue's result beside it, the count of markets
settled unlike the score, and the markets whose settlement ledger lines fall in a day window."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
import store_factories as f

from arbees_engine.model import Side
from arbees_engine.store import NotFoundError, StoreConstraintError
from arbees_engine.store.settlements import SettlementVerdict

GAME = "espn:nba:1"


async def test_an_expectation_is_kept_until_the_venue_resolves_and_then_counted_once(store):
    assert await store.save_settlement_expectation(f.MARKET_ID, GAME, "yes", f.T0)
    assert await store.save_settlement_expectation(f.MARKET_ID, GAME, "no", f.T0 + timedelta(hours=1))  # corrected
    assert await store.load_settlement_expectation(f.MARKET_ID) == "no"
    assert await store.count_settlement_mismatches() == 0
    await store.record_settlement_result(f.MARKET_ID, GAME, "no", "yes", f.T0 + timedelta(hours=2))
    assert await store.load_settlement_expectation(f.MARKET_ID) is None  # resolved: nothing awaits it
    assert await store.count_settlement_mismatches() == 1
    await store.record_settlement_result(f.MARKET_ID, GAME, "no", "no", f.T0 + timedelta(hours=3))  # replayed
    assert not await store.save_settlement_expectation(f.MARKET_ID, GAME, "yes", f.T0)  # too late to change
    assert await store.count_settlement_mismatches() == 1 and await store.count_rows("settlement_expectations") == 1
    async with store.db.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM settlement_expectations WHERE market_id = $1", f.MARKET_ID)
    assert (row["expected"], row["venue_result"], row["final_at"]) == ("no", "yes", f.T0)  # first final kept


async def test_a_result_without_a_stored_expectation_is_recorded_with_an_unknown_final_time(store):
    await store.record_settlement_result("kalshi:B", GAME, "yes", "void", f.T0)
    assert await store.count_settlement_mismatches() == 1
    async with store.db.acquire() as conn:
        assert await conn.fetchval("SELECT final_at FROM settlement_expectations") is None


@pytest.mark.parametrize("expected, result", [("maybe", None), ("yes", "scalar")])
async def test_unknown_expectations_and_results_are_refused(store, expected, result):
    with pytest.raises(StoreConstraintError):
        if result is None:
            await store.save_settlement_expectation(f.MARKET_ID, GAME, expected, f.T0)
        else:
            await store.record_settlement_result(f.MARKET_ID, GAME, expected, result, f.T0)
    assert await store.count_rows("settlement_expectations") == 0


async def test_settled_markets_since_reads_settlement_ledger_lines_in_the_window(store):
    await store.init_bankroll(D("1000"))
    closed = dict(contracts=0, cost=D("0"), settled=True)
    await store.book_settlement(
        [
            f.position(side=Side.YES, realized_pnl=D("6.00"), **closed),
            f.position(side=Side.NO, realized_pnl=D("-2.20"), **closed),
        ]
    )
    await store.book_settlement([f.position(market_id="polymarket:OLD", realized_pnl=D("1"), **closed)])
    await store.apply_bankroll_delta("settle:lost-today", D("-240"), D("0"))  # not a market's settlement
    await store.apply_bankroll_delta("fill:x", D("0"), D("0.07"))
    async with store.db.acquire() as conn:
        now = await conn.fetchval("SELECT now()")
        await conn.execute(
            "UPDATE bankroll_ledger SET created_at = $1 WHERE ref LIKE 'settle:polymarket:OLD:%'",
            now - timedelta(days=1),
        )
    since = now - timedelta(hours=1)
    settled = await store.settled_markets_since(since)
    assert list(settled) == [f.MARKET_ID] and settled[f.MARKET_ID] >= since  # "kalshi:…" keeps its colon
    assert set(await store.settled_markets_since(now - timedelta(days=2))) == {f.MARKET_ID, "polymarket:OLD"}


async def test_the_result_replaces_a_stale_stored_expectation_with_the_one_the_engine_compared(store):
    """The feed said yes (stored), corrected to no (that save failed), the venue resolved no: the
    engine saw no mismatch, so the store must not count one either."""
    assert await store.save_settlement_expectation(f.MARKET_ID, GAME, "yes", f.T0)
    await store.record_settlement_result(f.MARKET_ID, GAME, "no", "no", f.T0 + timedelta(hours=2))
    assert await store.count_settlement_mismatches() == 0


async def test_the_verdict_is_booked_in_the_settlement_transaction_or_not_at_all(store):
    closed = f.position(side=Side.YES, realized_pnl=D("6.00"), contracts=0, cost=D("0"), settled=True)
    verdict = SettlementVerdict(f.MARKET_ID, GAME, "no", "yes", f.T0)
    with pytest.raises(NotFoundError):  # no bankroll yet: the whole settlement rolls back
        await store.book_settlement([closed], verdict)
    assert await store.count_rows("settlement_expectations") == 0
    await store.init_bankroll(D("1000"))
    assert await store.book_settlement([closed], verdict)
    assert (
        await store.count_settlement_mismatches() == 1 and await store.load_settlement_expectation(f.MARKET_ID) is None
    )
