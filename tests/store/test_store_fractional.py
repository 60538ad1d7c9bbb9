"""Fractional contracts in the store (migrations/0006): 0.01 quantities round-trip exactly through
orders, fills, positions, signal legs and a market's contract step, survive a restart (a new Store
on the same database) with the ledger invariants holding, and a count finer than 0.01 is refused,
never rounded. The migration converts an existing database's integer rows in place."""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import replace
from decimal import Decimal as D
from pathlib import Path

import asyncpg
import pytest
import store_factories as f

from arbees_engine.model import Market, OrderStatus, Outcome, Venue
from arbees_engine.portfolio import Portfolio
from arbees_engine.store import Store, StoreConstraintError, migrate, migrations_dir

_spec = importlib.util.spec_from_file_location(
    "ledger_invariants", Path(__file__).resolve().parents[1] / "engine" / "ledger_invariants.py"
)
assert _spec is not None and _spec.loader is not None
ledger_invariants = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ledger_invariants)

FRACTIONAL = Market(f.MARKET_ID, Venue.KALSHI, f.MARKET_ID.split(":")[1], "espn:nba:1", Outcome.HOME, "SAS")


async def _book_two_fractional_fills(store: Store) -> Portfolio:
    """Order 2.51 YES; fills 2.50 @ 0.50 (fee 0.05) and 0.01 @ 0.52 (fee 0.01), booked as the
    executor does (preview the position, book fill + fee + position in one transaction)."""
    await store.init_bankroll(D("1000"))
    await store.insert_order_intent(f.order(contracts=D("2.51"), limit_price=D("0.52")))
    portfolio = Portfolio(D("1000"))
    for fill in (
        f.fill("fill-1", contracts=D("2.50"), price=D("0.50"), fee=D("0.05")),
        f.fill("fill-2", contracts=D("0.01"), price=D("0.52"), fee=D("0.01")),
    ):
        assert await store.book_fill(fill, portfolio.preview_fill(fill, "espn:nba:1"))
        portfolio.apply_fill(fill, "espn:nba:1", None)
    return portfolio


async def test_fractional_quantities_round_trip_through_a_restart_with_the_ledger_intact(pg_dsn) -> None:
    store = await Store.connect(pg_dsn)
    try:
        await store.upsert_game(f.game())
        await store.upsert_market(replace(FRACTIONAL, contract_step=D("0.01"), min_order_contracts=D("0.01")))
        await store.insert_signal(f.signal(legs=(replace(f.signal().legs[0], contracts=D("2.51")),)))
        await _book_two_fractional_fills(store)
        order = (await store.load_orders())[0]
        order.status = OrderStatus.FILLED
        await store.update_order(order)
    finally:
        await store.close()

    restarted = await Store.connect(pg_dsn)  # a new process: everything read back from PostgreSQL
    try:
        [order] = await restarted.load_orders()
        assert (order.contracts, order.filled_contracts, order.status) == (D("2.51"), D("2.51"), OrderStatus.FILLED)
        fills = sorted((x.fill_id, x.contracts, x.fee) for x in await restarted.load_fills())
        assert fills == [("fill-1", D("2.50"), D("0.05")), ("fill-2", D("0.01"), D("0.01"))]
        [position] = await restarted.load_positions()
        assert (position.contracts, position.cost, position.fees) == (D("2.51"), D("1.2552"), D("0.06"))
        [signal] = await restarted.load_signals()
        assert signal.legs[0].contracts == D("2.51")
        [market] = await restarted.load_markets()
        assert market.contract_step == D("0.01")
        portfolio = Portfolio(D("1000"))
        portfolio.restore([position], D("0"), D("0.06"))
        assert portfolio.settle(f.MARKET_ID, yes_won=True) == D("2.51") - D("1.2552")  # P&L exact
        conn = await asyncpg.connect(pg_dsn)
        try:
            assert await ledger_invariants.violations(conn) == []
        finally:
            await conn.close()
    finally:
        await restarted.close()


async def test_a_count_finer_than_a_hundredth_is_refused_not_rounded(store) -> None:
    with pytest.raises(StoreConstraintError):
        await store.insert_order_intent(f.order(contracts=D("2.505")))
    await store.insert_order_intent(f.order(contracts=D("3")))
    with pytest.raises(StoreConstraintError):
        await store.record_fill(f.fill(contracts=D("0.001")))
    with pytest.raises(StoreConstraintError):
        await store.upsert_position(f.position(contracts=D("1.234")))
    assert await store.count_fills() == 0


async def test_whole_markets_read_back_whole(store) -> None:
    await store.upsert_game(f.game())
    await store.upsert_market(FRACTIONAL)
    await store.insert_order_intent(f.order())
    await store.record_fill(f.fill())
    [market] = await store.load_markets()
    assert market.contract_step == D(1)
    [order] = await store.load_orders()
    assert (order.contracts, order.filled_contracts) == (10, 4) and str(order.contracts) == "10"


async def test_the_migration_converts_an_existing_database_with_rows(pg_server, tmp_path: Path) -> None:
    before = tmp_path / "before"
    before.mkdir()
    files = sorted(migrations_dir().glob("[0-9][0-9][0-9][0-9]_*.sql"))
    for path in files:
        if path.name < "0006":
            shutil.copy(path, before / path.name)
    dsn = await pg_server.create_database("arbees_fractional_migration")
    await migrate(dsn, before)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            """INSERT INTO markets (market_id, venue, venue_market_id, game_id, outcome, yes_team, title, tick,
                   fee_kind, taker_rate, maker_rate, fee_exponent)
               VALUES ($1, 'kalshi', 'T', 'espn:nba:1', 'home', 'SAS', '', 0.01, 'kalshi', 0.07, 0.0175, 1)""",
            f.MARKET_ID,
        )
        await conn.execute(
            """INSERT INTO orders (client_order_id, signal_id, market_id, venue, side, limit_price, contracts,
                   filled_contracts, status, created_at) VALUES ('c1', 's1', $1, 'kalshi', 'yes', 0.56, 10, 4,
                   'partial', now())""",
            f.MARKET_ID,
        )
        await conn.execute(
            """INSERT INTO fills (fill_id, client_order_id, market_id, venue, side, price, contracts, fee, filled_at)
               VALUES ('f1', 'c1', $1, 'kalshi', 'yes', 0.55, 4, 0.07, now())""",
            f.MARKET_ID,
        )
        assert await conn.fetchval("SELECT pg_typeof(contracts)::text FROM fills") == "integer"
    finally:
        await conn.close()

    assert await migrate(dsn) == ["0006_fractional_contracts.sql"]
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT pg_typeof(contracts)::text FROM fills") == "numeric"
        row = await conn.fetchrow("SELECT contracts, filled_contracts FROM orders")
        assert (row["contracts"], row["filled_contracts"]) == (D(10), D(4))
        assert await conn.fetchval("SELECT contract_step FROM markets") == D(1)
        await conn.execute(
            """INSERT INTO fills (fill_id, client_order_id, market_id, venue, side, price, contracts, fee, filled_at)
               VALUES ('f2', 'c1', $1, 'kalshi', 'yes', 0.55, 2.5, 0.05, now())""",
            f.MARKET_ID,
        )
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute("UPDATE orders SET contracts = 10.005")
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute("UPDATE markets SET contract_step = 0.5")
    finally:
        await conn.close()
