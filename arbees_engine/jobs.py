"""The execution queue's typed jobs, and the queue that runs them one at a time, in order.

Everything that moves the portfolio (an approved signal's orders, a game's settlement, a venue's
result, the re-check of an order whose outcome is unknown, a settlement retried after a store
outage) is one of these jobs, so portfolio changes never interleave. The kernel registers one
handler per job type (`JobQueue.handle`); a job names what it does, where a closure on an untyped
queue did not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog

from .model import GameState, Order, Signal, VenueResult

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ExecuteSignal:
    """Send an approved signal's legs (execution: Executor.execute)."""

    signal: Signal


@dataclass(frozen=True, slots=True)
class SettleGame:
    """Settle (FINAL) or void (POSTPONED/CANCELED) the markets of a game the feed closed, on `state`
    (for soccer the regulation score: settlement_rules.py)."""

    state: GameState


@dataclass(frozen=True, slots=True)
class SettleOnVenue:
    """Settle `market_id` on its venue's `result`."""

    market_id: str
    result: VenueResult


@dataclass(frozen=True, slots=True)
class RetrySettlement:
    """Run again the settlement of `market_id` that the store refused (Settlement.pending)."""

    market_id: str


@dataclass(frozen=True, slots=True)
class ResolveOrder:
    """Look a live order whose outcome is unknown up again at its venue (Executor.resolve_unknown)."""

    order: Order


Job = ExecuteSignal | SettleGame | SettleOnVenue | RetrySettlement | ResolveOrder


class JobQueue:
    """Ordered queue of `Job`s, drained by `run()` (the engine's executor task), one job at a time.

    `put` never waits (engine loop, hot path). A job whose handler raises is logged and the next
    runs: one failed job must not stop the trading bookkeeping. `drain()` (shutdown) runs what is
    still queued; `stopping` is then True, so store writes are tried once more, not retried.
    """

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._handlers: dict[type, Callable[[Any], Awaitable[None]]] = {}
        self.stopping = False

    def handle(self, kind: type, handler: Callable[[Any], Awaitable[None]]) -> None:
        """Run `handler(job)` for every queued job of type `kind` (the kernel wires these)."""
        self._handlers[kind] = handler

    def put(self, job: Job) -> None:
        """Queue `job` (engine loop only)."""
        self._queue.put_nowait(job)

    def empty(self) -> bool:
        """True when no job is queued."""
        return self._queue.empty()

    async def run_one(self, job: Job) -> None:
        """Run `job` through its handler now. Raises KeyError for a job type with no handler."""
        await self._handlers[type(job)](job)

    async def run(self) -> None:
        """Run queued jobs in order until cancelled."""
        while True:
            job = await self._queue.get()
            try:
                await self.run_one(job)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - one failed job must not stop trading bookkeeping
                log.exception("executor.job_failed", job=type(job).__name__)
            finally:
                self._queue.task_done()

    async def drain(self) -> None:
        """Finish queued jobs (shutdown). From now on a write the store refuses is not retried:
        what it leaves open is reconciled at the next start (node/recovery.py)."""
        self.stopping = True
        await self.run_queued()

    async def run_queued(self) -> None:
        """Run the jobs queued now, and those they queue, without the executor task (shutdown, tests)."""
        while not self._queue.empty():
            job = self._queue.get_nowait()
            try:
                await self.run_one(job)
            except Exception:  # noqa: BLE001
                log.exception("executor.job_failed", job=type(job).__name__)

    async def join(self) -> None:
        """Wait until every queued job has finished (run() must be running)."""
        await self._queue.join()
