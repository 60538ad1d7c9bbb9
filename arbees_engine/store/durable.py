"""Writes that must reach PostgreSQL before money moves in memory: retried, never dropped.

A fill, an order's final status and a settlement change money state, which may change in memory
only after the store has committed it (ARCHITECTURE.md, "Store"). `until_stored` retries such a
write while PostgreSQL is unreachable (StoreUnavailable), waiting tenacity's `wait_exponential`
(0.2 s doubling up to RETRY_MAX_S) between attempts, until it commits or `stopping()` turns true
(shutdown: the last StoreUnavailable is raised, and what was not stored is reconciled when the
engine starts again, node/recovery.py). Any other error is raised at once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Generic, NamedTuple, TypeVar

import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from .errors import StoreUnavailable

log = structlog.get_logger(__name__)

T = TypeVar("T")
RETRY_FIRST_S = 0.2  # seconds before the second attempt
RETRY_MAX_S = 5.0  # the wait doubles after each failed attempt, up to this


class Stored(NamedTuple, Generic[T]):
    """What the committed write returned, and whether an earlier attempt failed first (then a
    write that says "already stored" may have been committed by that attempt, its reply lost)."""

    value: T
    retried: bool


async def until_stored(
    what: str, write: Callable[[], Awaitable[T]], *, stopping: Callable[[], bool], counts: Counter[str] | None = None
) -> Stored[T]:
    """Run `write()` until it commits; returns Stored(its result, retried). Each failed attempt
    is logged and counted in `counts["store_retries"]`. Raises StoreUnavailable when `stopping()`
    is true after a failed attempt, and any other exception of `write` at once."""

    def note_retry(state: RetryCallState) -> None:
        if counts is not None:
            counts["store_retries"] += 1
        exc = state.outcome.exception() if state.outcome is not None else None
        log.warning("store.retry", write=what, attempt=state.attempt_number, error=str(exc))

    retrying = AsyncRetrying(
        retry=retry_if_exception_type(StoreUnavailable),
        wait=wait_exponential(multiplier=RETRY_FIRST_S, min=RETRY_FIRST_S, max=RETRY_MAX_S),
        stop=lambda _state: stopping(),
        before_sleep=note_retry,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            value = await write()
    return Stored(value, attempt.retry_state.attempt_number > 1)
