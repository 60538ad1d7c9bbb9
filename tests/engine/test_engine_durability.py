"""Nothing booked is lost when PostgreSQL goes away: a fill and a settlement that fall inside an
outage are retried until the store is back, reach memory only once committed, and are paid (not
voided) after a restart; a position a crash left open on a finished simulated game is paid at
restart (store/durable.py, portfolio/settlement.py, node/recovery.py)."""

from __future__ import annotations

import asyncio
from decimal import Decimal as D

import asyncpg
from engine_harness import sim_engine, sim_settings
from ledger_invariants import violations

from arbees_engine.model import GameStatus, Side
from arbees_engine.node.tasks import cancel_and_wait
from arbees_engine.ops import embedded_server as embedded
from arbees_engine.ops.drive import drive_sim
from arbees_engine.ops.embedded import EmbeddedPostgres
from arbees_engine.store.migrate import migrate


async def _until(condition, what: str, timeout_s: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, f"{what} not reached within {timeout_s} s"
        await asyncio.sleep(0.05)


async def _restart_on_same_port(pg: EmbeddedPostgres, monkeypatch) -> None:
    """Start the stopped server again where the engine's pool expects it (its DSN's port)."""
    port = pg.port
    monkeypatch.setattr(embedded, "free_port", lambda: port)
    await asyncio.to_thread(pg.start)
    monkeypatch.undo()


async def _memory_matches_store(engine, store) -> None:
    """The engine's positions and bankroll equal the store's, and the ledger invariants hold."""
    portfolio = engine.portfolio
    stored = {
        (p.market_id, p.side): (p.contracts, p.cost, p.realized_pnl, p.fees, p.settled)
        for p in await store.load_positions()
    }
    held = {
        (p.market_id, p.side): (p.contracts, p.cost, p.realized_pnl, p.fees, p.settled)
        for p in portfolio.positions(include_closed=True)
    }
    assert held == stored
    bank, kept = portfolio.bankroll, await store.load_bankroll()
    assert (bank.realized_pnl, bank.fees) == (kept.realized_pnl, kept.fees)
    conn = await asyncpg.connect(engine.settings.database_url)
    try:
        assert await violations(conn) == []
    finally:
        await conn.close()


def _expected_realized(engine, market_id: str) -> D:
    """What settling `market_id` on its game's final score pays, less its cost (dollars)."""
    market = engine.registry.markets[market_id]
    winner = engine.registry.games[market.game_id].winner
    total = D(0)
    for side in (Side.YES, Side.NO):
        pos = engine.portfolio.position(market_id, side)
        if pos is not None:
            won = (winner == market.outcome.value) is (side is Side.YES)
            total += (pos.contracts if won else 0) - pos.cost
    return total


async def test_a_fill_and_a_settlement_inside_postgres_outages_are_kept_and_paid_after_a_restart(
    redis_url, tmp_path, monkeypatch
):
    pg = EmbeddedPostgres(tmp_path / "pg")
    pg.start()
    try:
        dsn = await pg.create_database("outage")
        await migrate(dsn)
        settings = sim_settings(dsn, redis_url)
        async with sim_engine(settings, seed=7) as (engine, world, store):
            await _fill_inside_an_outage(engine, world, store, pg, monkeypatch)
            await _memory_matches_store(engine, store)
            market_id, realized = await _settlement_inside_an_outage(engine, world, pg, monkeypatch)
            await _memory_matches_store(engine, store)
        async with sim_engine(settings, seed=8) as (again, _world, store):  # a restart on the same database
            positions = [again.portfolio.position(market_id, side) for side in (Side.YES, Side.NO)]
            assert all(p is None or p.settled for p in positions)
            assert sum(p.realized_pnl for p in positions if p is not None) == realized  # paid, not voided
            assert again.counts["recovered_positions_voided"] == 0
            await _memory_matches_store(again, store)
    finally:
        pg.stop()


async def _fill_inside_an_outage(engine, world, store, pg, monkeypatch) -> None:
    """The server stops just before the first fill is booked: the fill is retried, stays out of
    memory until the server is back, then is booked once, with its order's filled count."""
    book_fill = store.book_fill
    seen: dict[str, object] = {}

    async def stop_server_then_book(fill, position):
        if not seen:
            seen["fill"] = fill
            pg.stop()
        return await book_fill(fill, position)

    monkeypatch.setattr(store, "book_fill", stop_server_then_book)

    async def restart_after_retries() -> None:
        await _until(lambda: engine.counts["store_retries"] >= 3, "fill retries")
        fill = seen["fill"]
        assert not engine.portfolio.has_fill(fill.fill_id), "the fill reached memory before the store"
        assert engine.executor.fills == 0
        await _restart_on_same_port(pg, monkeypatch)

    restarter = asyncio.create_task(restart_after_retries())
    await drive_sim(engine, world, 30 * 60, until=lambda e: e.executor.fills >= 1)
    await restarter
    fill = seen["fill"]
    assert engine.portfolio.has_fill(fill.fill_id)
    [order] = [o for o in await store.load_orders() if o.client_order_id == fill.client_order_id]
    assert order.filled_contracts == sum(f.contracts for f in await store.load_fills(fill.client_order_id)) > 0
    assert order.status.value in ("filled", "partial")


async def _settlement_inside_an_outage(engine, world, pg, monkeypatch) -> tuple[str, D]:
    """The server is down when a game with a position ends: the settlement waits (counted in the
    status), memory keeps the position open, and once the server is back it is paid."""
    await _until(lambda: engine.writer.backlog == 0, "the writer's backlog after the first outage")
    portfolio = engine.portfolio
    held = {p.market_id for p in portfolio.positions()}
    assert held, "no open position to settle"
    realized_before = portfolio.bankroll.realized_pnl
    pg.stop()
    settlement = engine.settlement
    await drive_sim(engine, world, 6 * 3600, until=lambda e: bool(settlement.pending))
    assert settlement.pending, "no game with a position ended during the outage"
    [market_id] = list(settlement.pending)[:1]
    assert engine.status_view().counts["settlements_awaiting_store"] == len(settlement.pending)
    assert not portfolio.is_settled(market_id) and portfolio.bankroll.realized_pnl == realized_before
    game = engine.registry.games[engine.registry.markets[market_id].game_id]
    assert game.status is GameStatus.FINAL
    expected = _expected_realized(engine, market_id)
    await _until(lambda: settlement.retries >= 2, "settlement retries")
    await _restart_on_same_port(pg, monkeypatch)
    await _until(lambda: not settlement.pending, "the settlement once the store is back")
    assert portfolio.is_settled(market_id)
    realized = sum(
        p.realized_pnl for side in (Side.YES, Side.NO) if (p := portfolio.position(market_id, side)) is not None
    )
    assert realized == expected
    await _until(lambda: engine.writer.backlog == 0, "the writer's backlog after the second outage")
    return market_id, realized


async def test_a_crash_after_a_simulated_game_ended_pays_its_position_at_restart(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    async with sim_engine(settings, seed=7) as (engine, world, store):
        await drive_sim(engine, world, 30 * 60, until=lambda e: e.executor.fills >= 1)
        [market_id] = sorted({p.market_id for p in engine.portfolio.positions()})[:1]
        market = engine.registry.markets[market_id]
        game = engine.registry.games[market.game_id]
        await cancel_and_wait(engine._tasks)  # a crash: the loop stops, nothing is settled
        engine._tasks = []
        await engine.writer.drain()  # what the store writer had taken before the crash
        final = game.evolve(status=GameStatus.FINAL, clock_s=0.0, home_score=game.home_score + 50)
        await store.upsert_game(final)  # the game's final score reached the store, its settlement did not
        engine.registry.games[game.game_id] = final
        expected = _expected_realized(engine, market_id)
    async with sim_engine(settings, seed=8) as (again, _world, _store):
        positions = [p for side in (Side.YES, Side.NO) if (p := again.portfolio.position(market_id, side)) is not None]
        assert positions and all(p.settled for p in positions)
        assert sum(p.realized_pnl for p in positions) == expected != 0
        assert again.counts["recovered_settlements_paid"] >= 1
