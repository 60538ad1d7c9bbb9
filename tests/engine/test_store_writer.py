"""The background store writer: ordered, each job exactly once (even when drain() and run() race),
coalescing, bounded with back-pressure, unhealthy when too far behind."""

from __future__ import annotations

import asyncio

import pytest

from arbees_engine.node.writer import StoreWriter
from arbees_engine.store.batch import WriteJob


async def test_drain_while_run_is_consuming_runs_every_job_once_in_order():
    writer, done, started, gate = StoreWriter(), [], asyncio.Event(), asyncio.Event()

    def job(n: int, wait: bool = False):
        async def run() -> None:
            if wait:
                started.set()
                await gate.wait()  # hold the head job so drain() arrives while run() is inside it
            done.append(n)

        return run

    writer.submit("first", job(1, wait=True))
    for n in (2, 3):
        writer.submit(f"job{n}", job(n))
    runner = asyncio.create_task(writer.run())
    await started.wait()
    drainer = asyncio.create_task(writer.drain())  # first to run once we yield: before run() resumes
    gate.set()
    await drainer
    runner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner
    assert done == [1, 2, 3] and writer.written == 3 and writer.backlog == 0


async def test_a_bad_row_is_counted_and_dropped_and_the_queue_moves_on():
    writer, done = StoreWriter(), []

    async def bad() -> None:
        raise ValueError("check constraint")

    async def good() -> None:
        done.append("good")

    writer.submit("bad", bad)
    writer.submit("good", good)
    await writer.drain()
    assert writer.failed == 1 and done == ["good"] and writer.ok


async def test_an_outage_keeps_the_job_and_marks_the_store_down():
    writer, attempts = StoreWriter(), []

    async def flaky() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise ConnectionError("refused")

    writer.submit("flaky", flaky)
    with pytest.raises(ConnectionError):
        await writer.drain()
    assert not writer.ok and writer.backlog == 1
    await writer.drain()
    assert writer.ok and writer.backlog == 0 and len(attempts) == 2


def _game(score: int):
    from datetime import UTC, datetime

    from arbees_engine.model import GameState, GameStatus, League, Sport, Team

    return GameState(
        "espn:nba:1",
        Sport.BASKETBALL,
        League.NBA,
        Team("SAS", "San Antonio Spurs"),
        Team("NYK", "New York Knicks"),
        GameStatus.LIVE,
        score,
        0,
        1,
        600.0,
        start_time=datetime(2026, 6, 13, 20, 0, tzinfo=UTC),
    )


async def test_a_queued_upsert_is_superseded_in_its_place_and_even_a_full_queue_takes_it(store):
    from arbees_engine.store.batch import audit_job, game_job

    writer = StoreWriter(lambda: store, max_queue=3)
    writer.write(game_job(_game(10), 0.5, "feed"))
    writer.write(audit_job("engine", "first", "", {}))
    writer.write(audit_job("engine", "second", "", {}))  # the queue is full now
    writer.write(game_job(_game(12), 0.6, "feed"))  # coalesced into the queued game: not a drop
    writer.write(audit_job("engine", "third", "", {}))  # cannot coalesce, but an audit row is never dropped
    await writer.drain()
    row = await store.load_game_row("espn:nba:1")
    assert row["home_score"] == 12 and row["model_p_home"] == 0.6
    assert writer.coalesced == {"game": 1} and writer.dropped_by_kind == {} and writer.written == 4
    assert [r["action"] for r in await store.recent_audit(10)] == ["third", "second", "first"]


async def test_a_full_queue_makes_put_wait_for_room_instead_of_dropping():
    writer, done, release = StoreWriter(max_queue=2), [], asyncio.Event()

    async def held() -> None:
        await release.wait()
        done.append("held")

    def job(name: str):
        async def run() -> None:
            done.append(name)

        return run

    writer.submit("held", held)
    writer.submit("second", job("second"))
    waiting = asyncio.create_task(writer.put(WriteJob("third", call=job("third"))))
    finished, _ = await asyncio.wait({waiting}, timeout=0.05)
    assert not finished and writer.backlog == 2  # blocked, not dropped
    runner = asyncio.create_task(writer.run())
    release.set()
    await waiting
    await writer.drain()
    runner.cancel()
    await asyncio.gather(runner, return_exceptions=True)
    assert done == ["held", "second", "third"] and writer.dropped == 0 and writer.backlog_peak == 2


async def test_a_backlog_over_the_threshold_is_unhealthy_until_it_is_back_under_half():
    writer = StoreWriter(unhealthy_backlog=4)

    async def noop() -> None:
        return None

    for n in range(5):
        writer.submit(f"job{n}", noop)
    assert not writer.ok and "5 rows behind" in writer.reason
    await writer._write_locked()
    await writer._write_locked()
    assert not writer.ok  # 3 left: over half the threshold
    await writer._write_locked()
    assert writer.ok and writer.reason == "" and writer.backlog == 2


async def test_the_run_summary_and_status_show_the_writers_figures_and_why_the_store_is_down():
    from arbees_engine.ops.summary import format_status, format_summary

    writer = StoreWriter(unhealthy_backlog=1)

    async def noop() -> None:
        return None

    for _ in range(3):
        writer.submit("audit", noop)
    behind = writer.reason
    report = await writer.flush(5.0)
    text = format_summary({"store_writer": {**writer.figures(), "drain": report}})
    assert "store rows written    3  audit=3" in text and "store rows dropped    0" in text
    assert "shutdown drain        3 rows in" in text and "left 0" in text
    engine = {
        "instance": "t",
        "mode": "auto",
        "kill_engaged": False,
        "kill_reason": "",
        "store_ok": False,
        "store_reason": behind,
        "bus_ok": True,
        "counts": {},
        "rejections": {},
        "latency": {},
    }
    status = format_status({"engine": engine, "heartbeat_age_s": 0.5, "games": [], "quotes": []})
    assert "store DOWN (store writer 3 rows behind (over 1))" in status
