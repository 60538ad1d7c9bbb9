"""The store writer against a real PostgreSQL: batches store the same rows as the single-row store
methods, a bad row costs only itself (counted, logged), and a network cut mid-batch loses nothing."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import asyncpg
import pytest
from harness import fresh_database
from pg_proxy import CuttingProxy
from structlog.testing import capture_logs

from arbees_engine.model import (
    Decision,
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
from arbees_engine.node.writer import StoreWriter
from arbees_engine.store import Store
from arbees_engine.store.batch import ack_job, audit_job, game_job, market_job, quote_job, signal_job

T0 = datetime(2026, 6, 13, 20, 0, tzinfo=UTC)
GAME = GameState(
    "espn:nba:0",
    Sport.BASKETBALL,
    League.NBA,
    Team("SAS", "San Antonio Spurs"),
    Team("NYK", "New York Knicks"),
    GameStatus.LIVE,
    0,
    0,
    1,
    720.0,
    1032.5,
    start_time=T0,
)
# Columns the database fills from its own clock or sequence: compared as "set or not", not by value.
VOLATILE = {"updated_at", "quote_id", "id", "ts", "decided_at", "received_at", "acked_at"}
TABLES = {
    "games": "game_id",
    "markets": "market_id",
    "quotes": "market_id, ts",
    "signals": "signal_id",
    "audit_log": "id",
    "commands": "command_id",
}


def _signal(n: int) -> Signal:
    return Signal(
        signal_id=f"sig-{n}",
        kind=SignalKind.EDGE,
        game_id=GAME.game_id,
        legs=(Leg(f"kalshi:M{n}", Venue.KALSHI, Side.YES, D("0.56"), 10),),
        model_prob=0.62,
        market_prob=0.555,
        edge=D("0.0426"),
        created_at=T0,
        stake_fraction=0.05,
        raw_model_prob=0.645,
        market_weight=0.25,
    )


def _operations() -> list[tuple[object, tuple]]:
    """(writer job, the same write as (Store method name, args)) in the order an engine makes them."""
    ops: list[tuple[object, tuple]] = []
    for g in range(3):
        market = Market(f"kalshi:M{g}", Venue.KALSHI, f"M{g}", f"espn:nba:{g}", Outcome.HOME, "SAS", f"game {g}")
        ops.append((market_job(market), ("upsert_market", market)))
        signal = _signal(g)
        ops.append((signal_job(signal), ("insert_signal", signal)))
        for minute in range(5):
            state = GAME.evolve(
                game_id=f"espn:nba:{g}",
                home_score=2 * minute,
                clock_s=600.0 - 60 * minute,
                pregame_home_prob=0.55 if g else None,
            )
            p_home = 0.4 + 0.03 * minute
            ops.append((game_job(state, p_home, "spread"), ("upsert_game", state, p_home, "spread")))
            bid = None if minute == 2 else D("0.55")
            quote = (
                market.market_id,
                T0 + timedelta(seconds=5 * minute),
                bid,
                D("0.57"),
                None if bid is None else D("100"),
                D("250.5"),
            )
            ops.append((quote_job(*quote), ("insert_quote", *quote)))
            ops.append(
                (
                    audit_job("engine", "tick", f"game:{g}", {"detail": str(minute)}),
                    ("audit", "engine", "tick", f"game:{g}", {"detail": str(minute)}),
                )
            )
        for version, decision in ((2, Decision.PENDING), (3, Decision.APPROVED), (4, Decision.EXECUTED)):
            signal = replace(signal, version=version, decision=decision, reason=f"v{version}")
            ops.append((signal_job(signal), ("update_signal", signal)))
    ack = {"command_id": "c1", "ok": True, "outcome": "done", "amount": D("1.25")}
    ops.append((ack_job("c1", "alice", "kill", {"reason": "x"}, T0, ack), ("ack_command", "c1", ack)))
    return ops


async def _dump(dsn: str) -> dict[str, list[dict]]:
    conn = await asyncpg.connect(dsn)
    try:
        out = {}
        for table, order in TABLES.items():
            rows = await conn.fetch(f"SELECT * FROM {table} ORDER BY {order}")
            out[table] = [{k: (v is None) if k in VOLATILE else v for k, v in dict(r).items()} for r in rows]
        return out
    finally:
        await conn.close()


@pytest.mark.parametrize("batch_rows,drain_every", [(1000, None), (7, None), (7, 5), (1, 3)])
async def test_batches_store_the_same_rows_as_the_single_row_methods(pg_server, pg_dsn, batch_rows, drain_every):
    ops = _operations()
    async with fresh_database(pg_server) as single_dsn:
        single = await Store.connect(single_dsn)
        batched = await Store.connect(pg_dsn)
        try:
            for store in (single, batched):
                await store.record_command("c1", "alice", "kill", {"reason": "x"}, T0)
            for _job, (method, *args) in ops:
                await getattr(single, method)(*args)
            writer = StoreWriter(lambda: batched, batch_rows=batch_rows)
            for n, (job, _call) in enumerate(ops, 1):
                writer.write(job)
                if drain_every and n % drain_every == 0:
                    await writer.drain()
            await writer.drain()
            expected, got = await _dump(single_dsn), await _dump(pg_dsn)
        finally:
            await single.close()
            await batched.close()
    assert got == expected
    assert len(got["quotes"]) == 15 and len(got["audit_log"]) == 15 and len(got["signals"]) == 3
    figures = writer.figures()
    assert figures["dropped"] == 0 and figures["backlog"] == 0
    assert figures["written"] + figures["coalesced"] == figures["submitted"] == len(ops)
    if drain_every is None:  # everything was queued at once: each game, signal collapses to its latest row
        assert writer.written_by_kind["game"] == 3 and writer.written_by_kind["signal"] == 3


async def test_a_bad_row_is_dropped_counted_and_logged_and_the_rest_of_its_batch_is_written(store):
    writer = StoreWriter(lambda: store)
    for n in range(10):
        bid = D("1.5") if n == 4 else D("0.50")  # quotes.bid CHECK (bid <= 1) refuses 1.5
        writer.write(quote_job("kalshi:M1", T0 + timedelta(seconds=n), bid, D("0.52"), D("10"), D("10")))
    writer.write(quote_job(12345, T0, D("0.5"), D("0.5"), None, None))  # type: ignore[arg-type] - not a str id
    writer.write(audit_job("engine", "after", "x", {}))
    writer.write(game_job(GAME, 0.5, "feed"))
    with capture_logs() as logs:
        await writer.drain()
    assert await store.count_rows("quotes") == 9
    assert await store.count_rows("audit_log") == 1 and await store.count_rows("games") == 1
    assert writer.dropped_by_kind == {"quote": 2} and writer.failed == 2 and writer.written == 11
    assert writer.ok and writer.backlog == 0
    dropped = [e for e in logs if e["event"] == "store.row_dropped"]
    assert len(dropped) == 2 and "Decimal('1.5')" in dropped[0]["row"] and "12345" in dropped[1]["row"]
    assert "CheckViolation" in dropped[0]["error"] or "check" in dropped[0]["error"].lower()


async def _until(condition, timeout_s: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def test_a_network_cut_in_the_middle_of_a_batch_loses_and_doubles_nothing(pg_server, pg_dsn):
    proxy = CuttingProxy(pg_server)
    await proxy.start()
    store = await Store.connect(proxy.dsn(pg_dsn), command_timeout_s=10)
    writer = StoreWriter(lambda: store)
    runner = None
    try:
        entities = [f"row-{n:03d}" for n in range(600)]
        entities[450] = "row-CUT-HERE"  # the proxy cuts the connection when this reaches the wire
        proxy.cut_on(b"row-CUT-HERE")
        for n, entity in enumerate(entities):
            writer.write(audit_job("engine", "tick", entity, {"n": n}))
            if n % 3 == 0:
                writer.write(quote_job("kalshi:M1", T0 + timedelta(seconds=n), D("0.5"), D("0.6"), D("1"), D("2")))
        runner = asyncio.create_task(writer.run())
        await proxy.cut.wait()
        await _until(lambda: not writer.ok)
        assert "PostgreSQL unreachable" in writer.reason and writer.backlog == 800  # the batch is kept
        await proxy.restore()
        await _until(lambda: writer.backlog == 0 and writer.ok)
        conn = await asyncpg.connect(pg_dsn)
        try:
            stored = [r["entity"] for r in await conn.fetch("SELECT entity FROM audit_log ORDER BY id")]
            quotes = await conn.fetchval("SELECT count(*) FROM quotes")
        finally:
            await conn.close()
        assert stored == entities, "audit rows lost, doubled or out of order"
        assert quotes == 200 and writer.dropped == 0 and writer.written == 800
    finally:
        if runner is not None:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
        await store.close()
        await proxy.close()


async def test_bad_rows_anywhere_in_a_large_batch_cost_only_themselves_and_keep_the_order(store):
    writer = StoreWriter(lambda: store)
    bad = {0, 57, 58, 433, 999}
    for n in range(1000):
        writer.write(audit_job(None if n in bad else "engine", "tick", f"row-{n:04d}", {}))  # actor NOT NULL
    await writer.drain()
    stored = [r["entity"] for r in reversed(await store.recent_audit(2000))]
    assert stored == [f"row-{n:04d}" for n in range(1000) if n not in bad]
    assert writer.dropped_by_kind == {"audit": len(bad)} and writer.written == 1000 - len(bad)


async def test_an_older_signal_version_never_overwrites_a_newer_one(store):
    writer = StoreWriter(lambda: store)
    newer = replace(_signal(1), version=3, decision=Decision.EXECUTED, reason="filled")
    writer.write(signal_job(newer))
    await writer.drain()
    writer.write(signal_job(replace(newer, version=2, decision=Decision.APPROVED, reason="auto")))  # arrives late
    await writer.drain()
    (stored,) = await store.load_signals()
    assert (stored.version, stored.decision, stored.reason) == (3, Decision.EXECUTED, "filled")
    assert writer.written == 2 and writer.dropped == 0
