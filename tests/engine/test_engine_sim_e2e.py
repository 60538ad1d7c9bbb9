"""End to end on the simulated venue with real PostgreSQL and Redis (issue 2, first test)."""

from __future__ import annotations

from decimal import Decimal

import asyncpg
from engine_harness import sim_engine, sim_settings

from arbees_engine.bus.client import BusClient
from arbees_engine.bus.messages import Removed
from arbees_engine.model.money import round_cent
from arbees_engine.ops.drive import drive_sim
from arbees_engine.pricing.base import logit


def _replay(events) -> dict[str, dict[str, object]]:
    state: dict[str, dict[str, object]] = {}
    for _eid, event in events:
        if isinstance(event, Removed):
            state.get(event.entity_kind, {}).pop(event.entity_id, None)
        elif event.kind in ("game", "quote", "signal", "position", "order", "bankroll"):
            state.setdefault(event.kind, {})[event.key] = event
    return state


async def _assert_signals_record_model_and_shrunk_probability(conn, base_weight: float) -> None:
    """Issue 5 §5: each edge signal stores the model's own P and the shrunk P it traded on, and the
    latter is the log-odds pool of the former with the stored mid at the stored weight."""
    rows = await conn.fetch("SELECT kind, model_prob, raw_model_prob, market_prob, market_weight FROM signals")
    edges = [r for r in rows if r["kind"] == "edge"]
    assert edges and all(r["raw_model_prob"] is None and r["market_weight"] == 0 for r in rows if r["kind"] == "arb")
    shrunk = 0
    for r in edges:
        assert r["raw_model_prob"] is not None and base_weight <= r["market_weight"] <= 1
        raw, mid, used, w = r["raw_model_prob"], r["market_prob"], r["model_prob"], r["market_weight"]
        if 0.02 < min(raw, mid, used) and max(raw, mid, used) < 0.98:
            pooled = (1 - w) * logit(raw) + w * logit(mid)
            assert abs(logit(used) - pooled) < 1e-3, r
            shrunk += abs(used - raw) > 1e-4
    assert shrunk >= 1  # the weight is not a no-op


async def test_sim_run_trades_settles_and_keeps_books(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    async with sim_engine(settings, seed=7) as (engine, world, store):

        def settled(e) -> bool:
            return any(p.settled for p in e.portfolio.positions(include_closed=True))

        ran = await drive_sim(engine, world, 90 * 60, until=settled)
        assert ran < 90 * 60, "no position settled within 90 simulated minutes"
        summary = engine.summary()
        executor = engine.executor
    assert summary["signals_by_decision"].get("executed", 0) >= 1
    assert summary["games_final"] >= 1
    assert summary["identity_ok"]

    conn = await asyncpg.connect(pg_dsn)
    try:
        stored_fills = await conn.fetchval("SELECT count(*) FROM fills")
        distinct = await conn.fetchval("SELECT count(DISTINCT fill_id) FROM fills")
        assert stored_fills == distinct == executor.fills
        bank = await conn.fetchrow("SELECT starting, realized_pnl, fees FROM bankroll WHERE id = 1")
        portfolio = engine.portfolio.bankroll
        assert bank["fees"] == portfolio.fees and bank["realized_pnl"] == portfolio.realized_pnl
        fills_fees = await conn.fetchval("SELECT coalesce(sum(fee), 0) FROM fills")
        assert round_cent(bank["starting"] + bank["realized_pnl"] - fills_fees) == round_cent(portfolio.equity)
        assert await conn.fetchval("SELECT count(*) FROM quotes") > 0  # sampled top of book is stored
        await _assert_signals_record_model_and_shrunk_probability(conn, settings.strategy.market_weight)
        settled = await conn.fetchval("SELECT count(*) FROM positions WHERE settled")
        assert settled >= 1
        assert Decimal(summary["realized_pnl"]) != 0
        for table, key in (("orders", "client_order_id"), ("fills", "fill_id")):
            missing = await conn.fetchval(
                f"SELECT count(*) FROM {table} t WHERE NOT EXISTS "
                f"(SELECT 1 FROM audit_log a WHERE a.entity LIKE '%' || t.{key} || '%')"
            )
            assert missing == 0, f"{missing} {table} rows without an audit row"
    finally:
        await conn.close()

    client = BusClient(redis_url, settings.instance)
    try:
        snap = await client.load_snapshot()
        events, after = [], "0-0"
        while batch := await client.read_events(after, block_ms=None, count=5000):
            events += batch
            after = batch[-1][0]
    finally:
        await client.close()
    assert after == snap.last_event_id
    replayed = _replay(events)
    for kind in ("game", "quote", "signal", "position", "order", "bankroll"):
        assert replayed.get(kind, {}) == snap.entities.get(kind, {}), f"replay differs for {kind}"
    assert Decimal(str(snap.entities["bankroll"]["bankroll"].equity)) == engine.portfolio.bankroll.equity
