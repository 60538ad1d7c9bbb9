"""Background writer for rows the hot path must not wait on (games, markets, quotes, signals).

Jobs run in order on one task. While PostgreSQL is unreachable `ok` is False (the risk gate then
refuses new positions, ARCHITECTURE.md) and jobs stay queued, retried with capped backoff, so no
row is lost; the queue is bounded and an overflow is counted and logged, never silent.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)

Job = Callable[[], Awaitable[object]]


class StoreWriter:
    """Ordered, retried, bounded queue of store writes. `submit(job)` never blocks."""

    def __init__(self, max_queue: int = 100_000, is_down: Callable[[BaseException], bool] | None = None) -> None:
        self._jobs: deque[tuple[str, Job]] = deque()
        self._wake = asyncio.Event()
        self._turn = asyncio.Lock()  # run() and drain() may both consume: one job at a time, once
        self.max_queue = max_queue
        self.ok = True
        self.dropped = 0
        self.failed = 0
        self.written = 0
        self._is_down = is_down or (lambda exc: isinstance(exc, (OSError, ConnectionError)))

    def submit(self, name: str, job: Job) -> None:
        """Queue a write; counted as dropped (and logged) if the queue is full."""
        if len(self._jobs) >= self.max_queue:
            self.dropped += 1
            log.error("store.queue_full", job=name, dropped=self.dropped)
            return
        self._jobs.append((name, job))
        self._wake.set()

    @property
    def backlog(self) -> int:
        """Jobs waiting."""
        return len(self._jobs)

    async def drain(self) -> None:
        """Run queued jobs until the queue is empty (used at shutdown and in tests). Safe while
        `run()` is consuming too: each job still runs exactly once, in order."""
        while self._jobs:
            await self._run_one()

    async def _run_one(self) -> None:
        async with self._turn:
            if self._jobs:
                await self._run_head()

    async def _run_head(self) -> None:
        name, job = self._jobs[0]
        try:
            await job()
        except Exception as exc:  # noqa: BLE001 - classify: outage (retry) vs bad row (drop, count)
            if self._is_down(exc):
                if self.ok:
                    log.error("store.down", job=name, error=str(exc))
                self.ok = False
                raise
            self.failed += 1
            log.error("store.write_failed", job=name, error=repr(exc))
        self._jobs.popleft()
        self.written += 1
        if not self.ok:
            log.info("store.up")
        self.ok = True

    async def run(self) -> None:
        """Process jobs until cancelled."""
        delay = 0.2
        while True:
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # a driver may have absorbed the cancellation
                raise asyncio.CancelledError()
            if not self._jobs:
                self._wake.clear()
                await self._wake.wait()
            try:
                await self._run_one()
                delay = 0.2
            except Exception:  # noqa: BLE001 - store outage: back off, keep the job
                task = asyncio.current_task()
                if task is not None and task.cancelling():  # a driver may mask the cancellation
                    raise asyncio.CancelledError() from None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
