"""No ack, audit row or signal is lost to a full queue or a shutdown with PostgreSQL down: a full
queue sheds quote samples first; rows left when the drain times out go to a 0600 journal that the
next start replays into the store before anything else."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from decimal import Decimal as D

import asyncpg
import pytest
from engine_harness import sim_engine, sim_settings
from pg_proxy import CuttingProxy
from test_store_writer import _game

from arbees_engine.node.writer import StoreWriter
from arbees_engine.ops.drive import drive_sim
from arbees_engine.store.batch import ack_job, audit_job, game_job, quote_job

T0 = datetime(2026, 6, 13, 20, 0, tzinfo=UTC)


async def test_a_full_queue_sheds_quote_samples_and_never_an_ack_or_audit_row(store):
    writer = StoreWriter(lambda: store, max_queue=3)
    writer.write(game_job(_game(10), 0.5, "feed"))
    writer.write(quote_job("kalshi:M", T0, D("0.55"), D("0.57"), D("10"), D("20")))
    writer.write(audit_job("engine", "first", "", {}))  # the queue is full now
    writer.write(ack_job("c1", "alice", "resume", {"reason": "x"}, T0, {"ok": True, "amount": D("1.25")}))
    writer.write(audit_job("engine", "resumed", "", {"by": "alice"}))  # no sample left: taken over the bound
    writer.write(quote_job("kalshi:M", T0, D("0.56"), D("0.58"), D("10"), D("20")))  # a sample: dropped
    await writer.drain()
    assert writer.dropped_by_kind == {"quote": 2} and writer.written == 4
    assert [r["action"] for r in await store.recent_audit(10)] == ["resumed", "first"]
    assert await store.db.pool.fetchval("SELECT ack->>'amount' FROM commands WHERE command_id = 'c1'") == "1.25"


async def _counts(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        return {
            "audit": await conn.fetchval("SELECT count(*) FROM audit_log WHERE action NOT LIKE '%.%'"),
            "quote": await conn.fetchval("SELECT count(*) FROM quotes"),
            "signal": await conn.fetchval("SELECT count(*) FROM signals"),
            "stop": await conn.fetchval("SELECT count(*) FROM audit_log WHERE action = 'stop'"),
        }
    finally:
        await conn.close()


@pytest.mark.slow
async def test_a_drain_timeout_with_postgres_down_journals_the_rows_and_the_next_start_replays_them(
    pg_server, pg_dsn, redis_url
):
    proxy = CuttingProxy(pg_server)
    await proxy.start()
    settings = sim_settings(proxy.dsn(pg_dsn), redis_url, store_drain_timeout_s=1.0)
    journal = settings.effective_store_journal()
    try:
        async with sim_engine(settings, seed=7) as (first, world, _store):
            await drive_sim(first, world, 10 * 60)
            proxy.cut_now()
            await drive_sim(first, world, 10 * 60)
            assert first.writer.backlog > 0
        drain = first.store_drain
        assert drain["left"] > 0 and drain["journaled"] == drain["left"] and first.writer.dropped == 0
        assert stat.S_IMODE(journal.stat().st_mode) == 0o600
        lines = [json.loads(line) for line in journal.read_text().splitlines()]
        assert len(lines) == drain["left"] and lines[-1]["row"][1] == "stop"  # the shutdown's own audit row
        await proxy.restore()
        stored = await _counts(pg_dsn)
        assert stored["stop"] == 0  # written nowhere but the journal yet
        async with sim_engine(settings, seed=8, n_games=1) as (second, _world, _store):
            assert second.writer.replayed == {k: v for k, v in first.writer.journaled.items() if v}
            assert not journal.exists()
            assert (await _counts(pg_dsn))["stop"] == 1  # replayed during start, before anything else
        after = await _counts(pg_dsn)
        assert after["stop"] == 2 and second.writer.dropped == 0  # the first engine's and the second's
        assert after["audit"] == first.writer.submitted["audit"] + second.writer.submitted["audit"]
        assert after["quote"] == first.writer.submitted["quote"] + second.writer.submitted["quote"]
    finally:
        await proxy.close()


async def test_rows_that_cannot_be_journaled_are_counted_as_dropped_and_an_unreplayed_journal_is_kept(tmp_path):
    journal = tmp_path / "instance" / "store-journal.jsonl"
    writer = StoreWriter(journal=journal)

    async def refused() -> None:
        raise ConnectionError("PostgreSQL is down")

    writer.submit("order", refused)  # an awaitable job: no row to journal
    writer.write(audit_job("engine", "stop", "test", {"n": D("1.5")}))
    report = await writer.flush(0.3)
    assert report["left"] == 2 and report["journaled"] == 1 and writer.dropped_by_kind == {"order": 1}
    later = StoreWriter(journal=journal)  # a second writer that never replayed the file keeps its rows
    later.submit("order", refused)
    later.write(ack_job("c2", "bob", "pause", {}, T0, {"ok": True}))
    await later.flush(0.3)
    kinds = [json.loads(line)["kind"] for line in journal.read_text().splitlines()]
    assert kinds == ["audit", "ack"] and stat.S_IMODE(journal.stat().st_mode) == 0o600
    from arbees_engine.store.journal import read_journal

    first, second = read_journal(journal)
    assert first.row == ("engine", "stop", "test", {"n": D("1.5")}) and second.row[4] == T0
