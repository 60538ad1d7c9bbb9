"""The store writer's queue: jobs in order, the batch in flight, coalescing by key, sample shedding.

`StoreWriter` (writer.py) owns the policy (when to shed, drop, journal, retry) and every counter;
this holds only the order and the bookkeeping that must stay consistent with it: the (kind, key)
index of queued jobs a newer row coalesces into, and how many queued jobs are samples a full queue
may shed.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from ..store.batch import WriteJob

SAMPLE_KINDS = frozenset({"quote"})  # rows a full queue sheds first: one more sample follows soon


class WriteQueue:
    """Queued jobs (oldest first) plus `inflight`, the batch taken off the queue and not yet committed
    (the writer pops each job from its left as it commits or drops it). `len()` counts both."""

    def __init__(self) -> None:
        self._jobs: deque[WriteJob] = deque()
        self.inflight: deque[WriteJob] = deque()
        self._by_key: dict[tuple[str, str], WriteJob] = {}  # (kind, key) → its queued job, for coalescing
        self._samples = 0  # queued (not in-flight) SAMPLE_KINDS jobs: room a full queue can make

    def __len__(self) -> int:
        return len(self._jobs) + len(self.inflight)

    def holds_key(self, job: WriteJob) -> bool:
        """True if a queued (not in-flight) job has `job`'s kind and key, so `job` would coalesce."""
        return job.key is not None and (job.kind, job.key) in self._by_key

    def coalesce(self, job: WriteJob) -> bool:
        """Put `job`'s row into the queued job with its kind and key, in that job's place (the newer
        state supersedes it); True if there was one, False if `job` must be appended."""
        queued = self._by_key.get((job.kind, job.key)) if job.key is not None else None
        if queued is None:
            return False
        queued.row = job.row
        return True

    def append(self, job: WriteJob) -> None:
        """Queue `job` last (the caller has tried `coalesce` first)."""
        self._jobs.append(job)
        self._samples += job.kind in SAMPLE_KINDS
        if job.key is not None:
            self._by_key[(job.kind, job.key)] = job

    def prepend(self, jobs: Sequence[WriteJob]) -> None:
        """Queue `jobs`, in their order, ahead of everything queued (a journal's replay); a job
        queued already for the same key keeps the key (it is newer)."""
        for job in reversed(jobs):
            self._jobs.appendleft(job)
            if job.key is not None:
                self._by_key.setdefault((job.kind, job.key), job)
        self._samples += sum(job.kind in SAMPLE_KINDS for job in jobs)

    def shed_sample(self) -> WriteJob | None:
        """Take the oldest queued SAMPLE_KINDS job out of the queue and return it (None: there is none)."""
        if not self._samples:
            return None
        index = next(i for i, queued in enumerate(self._jobs) if queued.kind in SAMPLE_KINDS)
        sample = self._jobs[index]
        del self._jobs[index]
        self._samples -= 1
        return sample

    def take(self, batch_rows: int) -> None:
        """Move the next batch from the queue to in-flight: one awaitable job, or up to `batch_rows`
        row jobs (IndexError if nothing is queued)."""
        first = self._jobs.popleft()
        self.inflight.append(first)
        if first.call is None:
            while self._jobs and len(self.inflight) < batch_rows and self._jobs[0].call is None:
                self.inflight.append(self._jobs.popleft())
        self._samples -= sum(job.kind in SAMPLE_KINDS for job in self.inflight)
        for job in self.inflight:
            if job.key is not None:
                self._by_key.pop((job.kind, job.key), None)  # a newer job for this key queues anew

    def take_all(self) -> list[WriteJob]:
        """Empty the queue: every job not committed, in flight first, then queued, in order."""
        jobs = [*self.inflight, *self._jobs]
        self.inflight.clear()
        self._jobs.clear()
        self._by_key.clear()
        self._samples = 0
        return jobs
