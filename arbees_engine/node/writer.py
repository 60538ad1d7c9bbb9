"""Background writer for rows the hot path must not wait on (games, markets, quotes, signals, audit, acks).

Jobs are typed rows (`store.batch.WriteJob`). The writer takes up to `batch_rows` queued jobs at a
time and stores them in one transaction, one `executemany` per kind (kinds in order of first
appearance, each kind's rows in queue order), so a batch costs a few round trips whatever its size.
A job with an awaitable (`submit(name, job)`) runs on its own, in queue order.

- Coalescing: a job with a key (game, market, signal, ack) that is still queued has its row replaced
  by a newer one for the same key (latest upsert wins; a superseded upsert is not a lost write).
- Bound: at `max_queue` jobs, `put()` waits for room; `write()` (hot path, never awaits) makes room
  for any other row by dropping the oldest queued quote sample (counted, logged); with no sample
  queued, acks, audit rows and signals are still taken (over the bound: they are never dropped) and
  any other row is dropped, counted by kind and logged with the row. `ok` goes False long before,
  when the backlog passes `unhealthy_backlog` (back below half of it: ok again), so the risk gate
  refuses new positions while the store is behind (ARCHITECTURE.md).
- Outage (connection refused/reset, PostgreSQL shutting down): the batch is kept and retried with
  capped exponential backoff (tenacity); `ok` is False meanwhile.
- A bad row (the database rejects it): the batch is retried in halves, in order, down to single
  rows; the bad row is counted as dropped by kind and logged with the row; the rest are written.
- Shutdown: rows still queued when `flush()` times out are written to the local journal
  (`journal`, store/journal.py) and counted as journaled; what cannot be journaled is counted as
  dropped and logged. `replay_journal()` (the next start, before anything else) writes them.
The queue's order, coalescing index and sample count live in write_queue.py; the policy is here.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from itertools import islice
from pathlib import Path

import structlog
from tenacity import AsyncRetrying, retry_if_exception, stop_never, wait_exponential

from ..store.batch import WriteJob
from ..store.errors import is_store_outage
from ..store.journal import journal_line, read_journal, split_journalable, write_journal
from ..telemetry.latency import LatencyRecorder
from .write_queue import SAMPLE_KINDS, WriteQueue

log = structlog.get_logger(__name__)

Job = Callable[[], Awaitable[object]]
KEPT_KINDS = frozenset({"ack", "audit", "signal"})  # never dropped for room: operator and decision records
BATCH_ROWS = 5000  # jobs per transaction at most: a batch costs a few round trips whatever its size


class StoreWriter:
    """Ordered, batched, retried, bounded queue of store writes (see module docstring).

    `store`: callable returning the Store (read at write time; None only when no typed job is queued).
    `is_down(exc)`: True for an outage (retry), False for a bad row (drop it, count it).
    `journal`: the JSON-lines file for rows a timed-out shutdown drain leaves (None: they are dropped).
    """

    def __init__(
        self,
        store: Callable[[], object] | None = None,
        *,
        max_queue: int = 200_000,
        unhealthy_backlog: int = 10_000,
        batch_rows: int = BATCH_ROWS,
        is_down: Callable[[BaseException], bool] | None = None,
        journal: Path | None = None,
    ) -> None:
        self._store = store or (lambda: None)
        self._queue = WriteQueue()  # queued jobs and the batch in flight (taken off, not yet committed)
        self._wake, self._room = asyncio.Event(), asyncio.Event()
        self._turn = asyncio.Lock()  # run() and drain() may both consume: one batch at a time, once
        self.max_queue, self.unhealthy_backlog, self.batch_rows = max_queue, unhealthy_backlog, batch_rows
        self._is_down = is_down or is_store_outage
        self.journal = journal
        self.journaled: Counter[str] = Counter()  # rows left at shutdown, kept in the journal
        self.replayed: Counter[str] = Counter()  # journal rows written back at start
        self._journal_loaded = False  # the journal's rows are in the queue: a new journal replaces it
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
        if self._queue.coalesce(job):  # the newer state supersedes the queued one, in the queued one's place
            self.coalesced[job.kind] += 1
            return
        if self.backlog >= self.max_queue and not self._make_room(job):
            self._drop(job, "queue_full")
            return
        job.queued_ns = time.perf_counter_ns()
        self._queue.append(job)
        self._note_backlog()
        self._wake.set()

    def _make_room(self, job: WriteJob) -> bool:
        """At max_queue: drop the oldest queued sample for `job` (not itself a sample); True when
        `job` may be queued (room made, or a KEPT_KINDS row, taken over the bound)."""
        if job.kind in SAMPLE_KINDS:
            return False
        sample = self._queue.shed_sample()
        if sample is not None:
            self._drop(sample, "queue_full_shed")
            return True
        return job.kind in KEPT_KINDS

    async def put(self, job: WriteJob) -> None:
        """Queue `job`, waiting while the queue is full (for producers that can wait)."""
        while self.backlog >= self.max_queue and not self._queue.holds_key(job):
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
        return len(self._queue)

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
        out = {
            "submitted": sum(self.submitted.values()),
            "written": self.written,
            "dropped": self.dropped,
            "coalesced": sum(self.coalesced.values()),
            "failed": self.failed,
            "backlog": self.backlog,
            "journaled": sum(self.journaled.values()),
            "replayed": sum(self.replayed.values()),
            "backlog_peak": self.backlog_peak,
            "written_by_kind": dict(self.written_by_kind),
            "dropped_by_kind": dict(self.dropped_by_kind),
            "coalesced_by_kind": dict(self.coalesced),
        }
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
        log.error(
            "store.row_dropped",
            kind=job.kind,
            why=why,
            error=error,
            row=repr(job.row or job.call)[:500],
            dropped=self.dropped,
        )

    # -- consumers ----------------------------------------------------------------------------
    async def drain(self) -> None:
        """Write until nothing is queued (shutdown, tests). Safe while `run()` is consuming too:
        each job is written exactly once, in order. Raises the outage's error (the batch is kept)."""
        while self.backlog:
            async with self._turn:
                if self.backlog:
                    await self._write_next()

    async def flush(self, timeout_s: float) -> dict:
        """drain(), retrying outages with backoff, for at most `timeout_s` seconds (shutdown); the
        jobs then left go to the journal (`_journal_left`). Returns {"rows": {kind: rows written},
        "seconds", "left": jobs not written, "journaled": rows of those kept in the journal} and logs it."""
        started, before = time.perf_counter(), Counter(self.written_by_kind)
        try:
            await asyncio.wait_for(self._retrying(self.drain), timeout_s)
        except (TimeoutError, Exception) as exc:  # noqa: BLE001 - reported with what is left
            log.error("store.drain_failed", error=repr(exc), backlog=self.backlog)
        rows = {k: n for k, n in (self.written_by_kind - before).items() if n}
        left = self.backlog
        journaled = self._journal_left() if left else 0
        report = {
            "rows": rows,
            "seconds": round(time.perf_counter() - started, 3),
            "left": left,
            "journaled": journaled,
        }
        log.info("store.drained", **report, dropped=self.dropped)
        return report

    def _journal_left(self) -> int:
        """Move every job not written (in flight, then queued) into the journal file, after the rows of
        a journal this writer has not replayed; returns the rows journaled. A job that cannot be
        journaled (an awaitable, no journal configured, the file cannot be written) is counted as
        dropped and logged. A batch cut off mid-transaction is journaled too: if it did commit, its
        upserts replay as no-ops, its audit rows twice."""
        kept, refused = split_journalable(self._queue.take_all())
        for job, error in refused:
            self._drop(job, "drain_timeout", error)
        try:
            if self.journal is None:
                raise OSError("no journal file configured")
            write_journal(self.journal, [journal_line(job) for job in kept], keep_existing=not self._journal_loaded)
        except OSError as exc:
            for job in kept:
                self._drop(job, "drain_timeout", f"not journaled: {exc!r}")
            return 0
        self._journal_loaded = True
        self.journaled.update(job.kind for job in kept)
        log.error(
            "store.journaled", rows=len(kept), path=str(self.journal), by_kind=dict(Counter(j.kind for j in kept))
        )
        return len(kept)

    async def replay_journal(self) -> int:
        """Write the journal's rows (a previous shutdown's, store/journal.py) ahead of anything queued,
        then delete the file; returns the rows replayed. Raises the outage's error (the file is kept,
        its rows stay queued) or JournalError for a corrupt file (kept for the operator)."""
        if self.journal is None:
            return 0
        jobs = read_journal(self.journal)
        self._journal_loaded = True
        now = time.perf_counter_ns()
        for job in jobs:
            job.queued_ns = now
        self._queue.prepend(jobs)  # a newer queued row keeps the key
        self._note_backlog()
        await self.drain()  # a row the database rejects is counted as dropped, like any other
        self.replayed.update(job.kind for job in jobs)
        self.journal.unlink(missing_ok=True)
        if jobs:
            log.warning(
                "store.journal_replayed",
                rows=len(jobs),
                path=str(self.journal),
                by_kind=dict(Counter(job.kind for job in jobs)),
            )
        return len(jobs)

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
        retrying = AsyncRetrying(
            retry=retry_if_exception(self._outage), wait=wait_exponential(0.2, max=5.0), stop=stop_never, reraise=True
        )
        async for attempt in retrying:
            with attempt:
                _raise_if_cancelling()  # a driver may have absorbed the cancellation
                await step()

    def _outage(self, exc: BaseException) -> bool:
        return isinstance(exc, Exception) and self._is_down(exc)

    async def _write_next(self) -> None:
        """Write the batch in flight, else take the next one; raises an outage's error (batch kept)."""
        inflight = self._queue.inflight
        if not inflight:
            self._queue.take(self.batch_rows)
        started = time.perf_counter_ns()
        oldest = min(job.queued_ns for job in inflight)
        try:
            if inflight[0].call is not None:
                await self._run_call(inflight[0])
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
        self._queue.inflight.popleft()

    async def _write_rows(self) -> None:
        """The in-flight batch in one transaction; if the database rejects it, halves of it in order,
        down to single rows, so a bad row costs only itself (and about 2·log2(batch) transactions)."""
        store = self._store()
        await self._write_prefix(store, len(self._queue.inflight))

    async def _write_prefix(self, store, n: int) -> None:
        """Write the first `n` in-flight jobs; committed jobs leave in-flight at once, so an outage
        half way (raised) resumes after the last one committed."""
        inflight = self._queue.inflight
        jobs = list(islice(inflight, n))
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
                inflight.popleft()
                return
            log.warning("store.batch_rejected", rows=n, error=repr(exc))
            await self._write_prefix(store, n // 2)
            await self._write_prefix(store, n - n // 2)
            return
        for job in jobs:
            self.written_by_kind[job.kind] += 1
            inflight.popleft()


def _raise_if_cancelling() -> None:
    """Drivers can swallow a cancellation (see node/tasks.py cancel_and_wait): honour one still pending."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError()
