"""What every engine component is handed instead of the Engine: an `Outbox` and a `Clock`.

A component (trader, signal book, executor, settlement, listing intake, command handler) changes
domain state and then tells the world through its outbox: a view for the operator's bus, a row
for the store writer, an audit line, a counted rejection. It never reaches the publisher, the
store writer or another component's internals, so it can be built (and tested) without an
Engine. The kernel (`node/kernel.py`) builds the one implementation (`node/outbox.py`).
Shape after NautilusTrader's components, each handed a message bus, a cache and a clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

Clock = Callable[[], datetime]
"""The engine clock: an aware UTC datetime (simulated time under `--speed`)."""


class Outbox(Protocol):
    """Where a component's effects go. Every method is synchronous and cheap (it enqueues).

    Without a bus or a store the implementation drops what would have gone there (a null
    object): callers never branch on `publisher is None` or `store is None`.

    counts: the engine status counters (`count` adds to them; durable.until_stored counts its retries there).
    """

    counts: Counter[str]

    def publish(self, view: Any) -> None:
        """Put a bus view (arbees_engine.bus.messages) in the operator's snapshot and stream."""

    def remove(self, kind: str, entity_id: str) -> None:
        """Drop the entity `kind`:`entity_id` ("signal", "order", "quote", "game") from the snapshot."""

    def audit(self, actor: str, action: str, entity: str = "", detail: str = "", store: bool = True) -> None:
        """Record an audit line on the bus, and in the store's audit_log when `store`."""

    def reject(self, source: str, reason: str, detail: str = "", quiet: bool = False) -> None:
        """Count (`source:reason`, in the engine status' rejections) and, unless `quiet`, log a
        refused input or step."""

    def count(self, name: str, n: int = 1) -> None:
        """Add `n` to the engine status counter `name`."""

    def write(self, job: Any) -> None:
        """Queue a store row (arbees_engine.store.batch.WriteJob) for the batched store writer."""

    def submit(self, kind: str, write: Callable[[], Awaitable[object]]) -> None:
        """Queue one awaited store call of `kind` for the store writer (retried through an outage)."""
