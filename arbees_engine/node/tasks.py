"""Stopping the engine's tasks: cancel them and wait, also when a driver swallows a cancellation."""

from __future__ import annotations

import asyncio

import structlog

log = structlog.get_logger(__name__)


async def cancel_and_wait(tasks: list[asyncio.Task], grace_s: float = 2.0, rounds: int = 5) -> None:
    """Cancel `tasks` and wait for them, cancelling again every `grace_s` seconds.

    Drivers can swallow a cancellation (redis-py and asyncpg turn one that lands mid-command into
    their own errors or absorb it while closing a connection), which would leave a retry loop
    running and a plain gather() waiting forever. Tasks still alive after `rounds` are logged.
    """
    pending = {t for t in tasks if not t.done()}
    for _ in range(rounds):
        if not pending:
            break
        for task in pending:
            task.cancel()
        _done, pending = await asyncio.wait(pending, timeout=grace_s)
    for task in pending:
        log.error("shutdown.task_would_not_stop", task=task.get_name())
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error("shutdown.task_failed", task=task.get_name(), error=repr(task.exception()))
