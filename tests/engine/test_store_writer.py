"""The background store writer: ordered, each job exactly once, even when drain() and run() race."""

from __future__ import annotations

import asyncio

import pytest

from arbees_engine.runtime.writer import StoreWriter


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
