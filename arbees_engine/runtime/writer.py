"""Background writer for rows the hot path must not wait on (games, markets, quotes, signals, audit, acks).

Jobs are typed rows (`store.batch.WriteJob`). The writer takes up to `batch_rows` queued jobs at a
time and stores them in one transaction, one `executemany` per kind (kinds in order of first
appearance, each kind's rows in queue order), so a batch costs a few round trips whatever its size.
A job with an awaitable (`submit(name, job)`) runs on its own, in queue order.

- Coalescing: a job with a key (game, market, signal, ack) that is still queued has its row replaced
  by a newer one for the same key (latest upsert wins; a superseded upsert is not a lost write).
- Bound: at `max_queue` jobs, `put()` waits for room; `write()` (hot path, never awaits) drops a job
  that cannot be coalesced, counted by kind and logged with the row. `ok` goes False long before,
  when the backlog passes `unhealthy_backlog` (back below half of it: ok again), so the risk gate
  refuses new positions while the store is behind (ARCHITECTURE.md).
- Outage (connection refused/reset, PostgreSQL shutting down): the batch is kept and retried with
  capped exponential backoff (tenacity); `ok` is False meanwhile.
- A bad row (the database rejects it): the batch is retried in halves, in order, down to single
  rows; the bad row is counted as dropped by kind and logged with the row; the rest are written.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, deque
from itertools import islice
from collections.abc import Awaitable, Callable

import structlog
from tenacity import AsyncRetrying, retry_if_exception, stop_never, wait_exponential

from ..store.batch import WriteJob
from ..store.errors import StoreUnavailable
from .latency import LatencyRecorder

log = structlog.get_logger(__name__)

Job = Callable[[], Awaitable[object]]
BATCH_ROWS = 5000  # jobs per transaction at most: a batch costs a few round trips whatever its size
# Server conditions that pass (retry the batch later) rather than a row the database refuses: lost
# connections, shutdowns, resources (disk full, out of memory, too many connections: SQLSTATE class
# 53), a read-only server (25006, a standby being promoted), serialization/deadlock (class 40).
# https://www.postgresql.org/docs/current/errcodes-appendix.html; names are asyncpg's classes.
_TRANSIENT = frozenset({
    "ConnectionDoesNotExistError", "InterfaceError", "CannotConnectNowError", "ConnectionFailureError",
    "TooManyConnectionsError", "AdminShutdownError", "CrashShutdownError", "InsufficientResourcesError",
    "DiskFullError", "OutOfMemoryError", "ReadOnlySQLTransactionError", "SerializationError",
    "DeadlockDetectedError",
})


def is_store_outage(exc: BaseException) -> bool:
    """True when a write failed because of the server or the network (keep the rows, retry later),
    False for a bad row (drop it, count it)."""
    return (isinstance(exc, (OSError, ConnectionError, asyncio.TimeoutError, StoreUnavailable))
            or type(exc).__name__ in _TRANSIENT)


class StoreWriter:
    """Ordered, batched, retried, bounded queue of store writes (see module docstring).

    `store`: callable returning the Store (read at write time; None only when no typed job is queued).
    `is_down(exc)`: True for an outage (retry), False for a bad row (drop it, count it).
    """

    def __init__(self, store: Callable[[], object] | None = None, *, max_queue: int = 200_000,
                 unhealthy_backlog: int = 10_000, batch_rows: int = BATCH_ROWS,
                 is_down: Callable[[BaseException], bool] | None = None) -> None:
        self._store = store or (lambda: None)
        self._jobs: deque[WriteJob] = deque()
        self._inflight: deque[WriteJob] = deque()  # taken off the queue, not yet committed
        self._queued: dict[tuple[str, str], WriteJob] = {}  # (kind, key) → its queued job, for coalescing
        self._wake, self._room = asyncio.Event(), asyncio.Event()
        self._turn = asyncio.Lock()  # run() and drain() may both consume: one batch at a time, once
        self.max_queue, self.unhealthy_backlog, self.batch_rows = max_queue, unhealthy_backlog, batch_rows
        self._is_down = is_down or is_store_outage
        self.submitted: Counter[str] = Counter()
        self.written_by_kind: Counter[str] = Counter()
        self.dropped_by_kind: Counter[str] = Counter()
        self.coalesced: Counter[str] = Counter()
        self.failed = 0  # rows the database rejected (also counted in dropped)
        self.backlog_peak = 0
        self.latency = LatencyRecorder()  # "store_write" (one batch's round trips), "store_lag" (queued → committed)
        self.down_reason = ""  # the outage's error while PostgreSQL is unreachable
        self.behind = False  # backlog over unhealthy_backlog

    # -- producers ----------------------------------------------------------------------------
    def write(self, job: WriteJob) -> None:
        """Queue `job` without waiting: coalesce it into a queued job with its key, else append it;
        at `max_queue` jobs a job that cannot be coalesced is dropped (counted by kind, logged)."""
        self.submitted[job.kind] += 1
        if job.key is not None:
            queued = self._queued.get((job.kind, job.key))
            if queued is not None:
                queued.row = job.row  # the newer state supersedes the queued one, in the queued one's place
                self.coalesced[job.kind] += 1
                return
        if self.backlog >= self.max_queue:
            self._drop(job, "queue_full")
            return
        job.queued_ns = time.perf_counter_ns()
        self._jobs.append(job)
        if job.key is not None:
            self._queued[(job.kind, job.key)] = job
        self._note_backlog()
        self._wake.set()

    async def put(self, job: WriteJob) -> None:
        """Queue `job`, waiting while the queue is full (for producers that can wait)."""
        while self.backlog >= self.max_queue and (job.key is None or (job.kind, job.key) not in self._queued):
            self._room.clear()
            await self._room.wait()
        self.write(job)

    def submit(self, name: str, job: Job) -> None:
        """Queue an arbitrary awaitable factory `job` (run alone, in order, retried on outage)."""
        self.write(WriteJob(name, call=job))

    # -- health and figures ---------------------------------------------------------------------
    @property
    def backlog(self) -> int:
        """Jobs not yet committed (queued plus the batch in flight)."""
        return len(self._jobs) + len(self._inflight)

    @property
    def ok(self) -> bool:
        """False while PostgreSQL is unreachable or the backlog is over `unhealthy_backlog`."""
        return not self.down_reason and not self.behind

    @property
    def reason(self) -> str:
        """Why the store is not ok ("" when it is)."""
        if self.down_reason:
            return f"PostgreSQL unreachable: {self.down_reason}"
        if self.behind:
            return f"store writer {self.backlog} rows behind (over {self.unhealthy_backlog})"
        return ""

    @property
    def written(self) -> int:
        """Rows committed."""
        return sum(self.written_by_kind.values())

    @property
    def dropped(self) -> int:
        """Rows lost: rejected by the database or refused by a full queue."""
        return sum(self.dropped_by_kind.values())

    def figures(self) -> dict:
        """Counters for status, summaries and the bench: rows submitted/written/dropped/coalesced
        (totals and by kind), backlog now and peak (jobs), write latency p50/p99 (ms)."""
        lat = self.latency.percentiles()
        out = {"submitted": sum(self.submitted.values()), "written": self.written, "dropped": self.dropped,
               "coalesced": sum(self.coalesced.values()), "failed": self.failed, "backlog": self.backlog,
               "backlog_peak": self.backlog_peak, "written_by_kind": dict(self.written_by_kind),
               "dropped_by_kind": dict(self.dropped_by_kind), "coalesced_by_kind": dict(self.coalesced)}
        for stage in ("store_write", "store_lag"):
            view = lat.get(stage)
            out[f"{stage}_p50_ms"] = view.p50_ms if view else None
            out[f"{stage}_p99_ms"] = view.p99_ms if view else None
        return out

    def _note_backlog(self) -> None:
        n = self.backlog
        self.backlog_peak = max(self.backlog_peak, n)
        if not self.behind and n > self.unhealthy_backlog:
            self.behind = True
            log.error("store.behind", backlog=n, threshold=self.unhealthy_backlog)
        elif self.behind and n <= self.unhealthy_backlog // 2:
            self.behind = False
            log.info("store.caught_up", backlog=n)
        if n < self.max_queue:
            self._room.set()

    def _drop(self, job: WriteJob, why: str, error: str = "") -> None:
        self.dropped_by_kind[job.kind] += 1
        log.error("store.row_dropped", kind=job.kind, why=why, error=error, row=repr(job.row or job.call)[:500],
                  dropped=self.dropped)

    # -- consumers ----------------------------------------------------------------------------
    async def drain(self) -> None:
        """Write until nothing is queued (shutdown, tests). Safe while `run()` is consuming too:
        each job is written exactly once, in order. Raises the outage's error (the batch is kept)."""
        while self.backlog:
            async with self._turn:
                if self.backlog:
                    await self._write_next()

    async def flush(self, timeout_s: float) -> dict:
        """drain(), retrying outages with backoff, for at most `timeout_s` seconds (shutdown).
        Returns {"rows": {kind: rows written}, "seconds", "left": jobs not written} and logs it."""
        started, before = time.perf_counter(), Counter(self.written_by_kind)
        try:
            await asyncio.wait_for(self._retrying(self.drain), timeout_s)
        except (asyncio.TimeoutError, Exception) as exc:  # noqa: BLE001 - reported with what is left
            log.error("store.drain_failed", error=repr(exc), backlog=self.backlog)
        rows = {k: n for k, n in (self.written_by_kind - before).items() if n}
        report = {"rows": rows, "seconds": round(time.perf_counter() - started, 3), "left": self.backlog}
        log.info("store.drained", **report, dropped=self.dropped)
        return report

    async def run(self) -> None:
        """Write batches until cancelled; outages are retried with capped backoff (0.2 s doubling to 5 s)."""
        while True:
            _raise_if_cancelling()
            if not self.backlog:
                self._wake.clear()
                await self._wake.wait()
            try:
                await self._retrying(self._write_one_batch)
            except Exception:  # noqa: BLE001 - a writer bug must not stop the writes; the batch is kept
                _raise_if_cancelling()
                log.exception("store.writer_failed", backlog=self.backlog)
                await asyncio.sleep(1.0)

    async def _write_one_batch(self) -> None:
        """One batch for run(). Shielded: cancelling run() (shutdown) never interrupts a transaction
        half way, which could leave it unknown whether it committed; drain() then waits for it."""
        await asyncio.shield(asyncio.ensure_future(self._write_locked()))

    async def _write_locked(self) -> None:
        async with self._turn:
            if self.backlog:
                await self._write_next()

    async def _retrying(self, step: Callable[[], Awaitable[None]]) -> None:
        retrying = AsyncRetrying(retry=retry_if_exception(self._outage), wait=wait_exponential(0.2, max=5.0),
                                 stop=stop_never, reraise=True)
        async for attempt in retrying:
            with attempt:
                _raise_if_cancelling()  # a driver may have absorbed the cancellation
                await step()

    def _outage(self, exc: BaseException) -> bool:
        return isinstance(exc, Exception) and self._is_down(exc)

    async def _write_next(self) -> None:
        """Write the batch in flight, else take the next one; raises an outage's error (batch kept)."""
        if not self._inflight:
            self._take()
        started = time.perf_counter_ns()
        oldest = min(job.queued_ns for job in self._inflight)
        try:
            if self._inflight[0].call is not None:
                await self._run_call(self._inflight[0])
            else:
                await self._write_rows()
        except Exception as exc:
            if self._is_down(exc):
                if not self.down_reason:
                    log.error("store.down", error=str(exc), backlog=self.backlog)
                self.down_reason = str(exc) or type(exc).__name__
            raise
        if self.down_reason:
            log.info("store.up", backlog=self.backlog)
            self.down_reason = ""
        self.latency.record("store_write", started)
        self.latency.record("store_lag", oldest)
        self._note_backlog()

    def _take(self) -> None:
        """Move the next batch from the queue to in-flight: one awaitable job, or up to batch_rows rows."""
        first = self._jobs.popleft()
        self._inflight.append(first)
        if first.call is None:
            while self._jobs and len(self._inflight) < self.batch_rows and self._jobs[0].call is None:
                self._inflight.append(self._jobs.popleft())
        for job in self._inflight:
            if job.key is not None:
                self._queued.pop((job.kind, job.key), None)  # a newer job for this key queues anew

    async def _run_call(self, job: WriteJob) -> None:
        try:
            await job.call()
        except Exception as exc:  # noqa: BLE001 - classify: outage (raise, keep) vs bad job (drop, count)
            if self._is_down(exc):
                raise
            self.failed += 1
            self._drop(job, "rejected", repr(exc))
        else:
            self.written_by_kind[job.kind] += 1
        self._inflight.popleft()

    async def _write_rows(self) -> None:
        """The in-flight batch in one transaction; if the database rejects it, halves of it in order,
        down to single rows, so a bad row costs only itself (and about 2·log2(batch) transactions)."""
        store = self._store()
        await self._write_prefix(store, len(self._inflight))

    async def _write_prefix(self, store, n: int) -> None:
        """Write the first `n` in-flight jobs; committed jobs leave in-flight at once, so an outage
        half way (raised) resumes after the last one committed."""
        jobs = list(islice(self._inflight, n))
        groups: dict[str, list[tuple]] = {}
        for job in jobs:
            groups.setdefault(job.kind, []).append(job.row)
        try:
            await store.write_batch(list(groups.items()))
        except Exception as exc:  # noqa: BLE001 - an outage is raised; anything else is a bad row somewhere
            if self._is_down(exc):
                raise
            if n == 1:
                self.failed += 1
                self._drop(jobs[0], "rejected", repr(exc))
                self._inflight.popleft()
                return
            log.warning("store.batch_rejected", rows=n, error=repr(exc))
            await self._write_prefix(store, n // 2)
            await self._write_prefix(store, n - n // 2)
            return
        for job in jobs:
            self.written_by_kind[job.kind] += 1
            self._inflight.popleft()


def _raise_if_cancelling() -> None:
    """Drivers can swallow a cancellation (see engine.cancel_and_wait): honour one still pending."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError()
