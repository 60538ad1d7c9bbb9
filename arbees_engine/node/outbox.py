"""The engine's one `ports.Outbox`: domain effects → bus views, store-writer rows, audit, counters.

Null objects instead of branches: without a bus (`publisher` None) views are dropped here, and
without a store (`store_present()` False) rows are; no component checks either itself.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import structlog

from ..bus.messages import AuditView
from ..ports import Clock
from ..store.batch import WriteJob, audit_job
from .writer import StoreWriter

log = structlog.get_logger(__name__)


def _drop(*_args: Any, **_kwargs: Any) -> None:
    """The null bus / null store: takes anything, does nothing."""


class EngineOutbox:
    """Implements `ports.Outbox` for one engine.

    counts: engine status counters (`count`); rejections: "source:reason" → times (`reject`);
    on_audit: called with each AuditView (the ops hooks: alerts, metrics). Audit ids are
    "<engine start, unix seconds>-<sequence>", unique per run.
    """

    def __init__(
        self, publisher: Any, writer: StoreWriter, store_present: Callable[[], bool], clock: Clock, started_at: datetime
    ) -> None:
        self.writer = writer
        self.counts: Counter[str] = Counter()
        self.rejections: Counter[str] = Counter()
        self.on_audit: Callable[[AuditView], None] = _drop
        self._store_present = store_present
        self._clock = clock
        self._started_s = int(started_at.timestamp())
        self._audit_seq = 0
        self.publish: Callable[[Any], None] = publisher.publish if publisher is not None else _drop
        self.remove: Callable[[str, str], None] = publisher.remove if publisher is not None else _drop
        self._bus_audit: Callable[[AuditView], None] = publisher.audit if publisher is not None else _drop

    def audit(self, actor: str, action: str, entity: str = "", detail: str = "", store: bool = True) -> None:
        """Record an audit line on the bus (and in the store's audit_log when `store`)."""
        self._audit_seq += 1
        view = AuditView(
            audit_id=f"{self._started_s}-{self._audit_seq}",
            ts=self._clock(),
            actor=actor,
            action=action,
            entity=entity,
            detail=detail,
        )
        self._bus_audit(view)
        self.on_audit(view)
        if store:
            self.write(audit_job(actor, action, entity, {"detail": detail}))

    def reject(self, source: str, reason: str, detail: str = "", quiet: bool = False) -> None:
        """Count and (unless `quiet`: a flood already logged once) log a rejected input."""
        self.rejections[f"{source}:{reason}"] += 1
        if not quiet:
            log.warning("input.rejected", source=source, reason=reason, detail=detail[:300])

    def count(self, name: str, n: int = 1) -> None:
        """Add `n` to the status counter `name`."""
        self.counts[name] += n

    def write(self, job: WriteJob) -> None:
        """Queue a store row; dropped when the engine runs without a store."""
        if self._store_present():
            self.writer.write(job)

    def submit(self, kind: str, write: Callable[[], Awaitable[object]]) -> None:
        """Queue one awaited store call; dropped when the engine runs without a store."""
        if self._store_present():
            self.writer.submit(kind, write)
