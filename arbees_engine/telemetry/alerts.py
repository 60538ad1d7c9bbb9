"""Operator alerts through apprise (Telegram, Discord, Slack, ntfy, email, JSON webhooks… by URL).

`AlertSender.send()` is called on the event loop and only queues: a worker thread delivers, so a
slow or dead notification service never delays a decision. Alerts are deduplicated by key (the same
key within `dedupe_s` is suppressed) and rate-limited (at most `per_minute` in any 60 s); every
suppressed, dropped and failed alert is counted. apprise: https://github.com/caronc/apprise (its
`json://host:port/path` notifier POSTs {"version","title","message","type"} to the endpoint).
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import structlog

log = structlog.get_logger(__name__)

INFO, WARNING, FAILURE = "info", "warning", "failure"  # apprise NotifyType values


@dataclass(frozen=True)
class Alert:
    """One alert: `key` identifies the event for deduplication ("kill_engaged", "store_down"…);
    `level` is one of INFO, WARNING, FAILURE."""

    key: str
    title: str
    body: str
    level: str = WARNING


class AlertSender:
    """Queue of alerts delivered by one daemon thread through apprise.

    urls: apprise URLs (none: alerts are only logged and counted as `unconfigured`).
    dedupe_s: seconds during which an alert with the same key is suppressed.
    per_minute: alerts allowed in any 60 s window; the rest are counted as `rate_limited`.
    max_queue: alerts waiting for the worker; beyond it they are counted as `dropped`.
    clock: monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        urls: Iterable[str],
        *,
        dedupe_s: float = 300.0,
        per_minute: int = 20,
        max_queue: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.urls = [u for u in urls if u]
        self.dedupe_s, self.per_minute, self.clock = dedupe_s, per_minute, clock
        self._queue: queue.Queue[Alert | None] = queue.Queue(maxsize=max_queue)
        self._last_by_key: dict[str, float] = {}
        self._sent_times: deque[float] = deque()
        self.counts = {"queued": 0, "sent": 0, "failed": 0, "deduplicated": 0, "rate_limited": 0, "dropped": 0}
        self._thread: threading.Thread | None = None
        self._apprise = None

    def send(self, alert: Alert) -> bool:
        """Queue `alert` unless deduplicated, rate-limited or the queue is full; never blocks.
        Returns True when queued."""
        log.warning("alert", key=alert.key, title=alert.title, body=alert.body[:300])
        if not self.urls:
            return False
        now = self.clock()
        last = self._last_by_key.get(alert.key)
        if last is not None and now - last < self.dedupe_s:
            self.counts["deduplicated"] += 1
            return False
        while self._sent_times and now - self._sent_times[0] >= 60.0:
            self._sent_times.popleft()
        if len(self._sent_times) >= self.per_minute:
            self.counts["rate_limited"] += 1
            return False
        try:
            self._queue.put_nowait(alert)
        except queue.Full:
            self.counts["dropped"] += 1
            return False
        self._last_by_key[alert.key] = now
        self._sent_times.append(now)
        self.counts["queued"] += 1
        self._ensure_worker()
        return True

    def _ensure_worker(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="arbees-alerts", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        while (alert := self._queue.get()) is not None:
            try:
                ok = self._deliver(alert)
            except Exception as exc:  # noqa: BLE001 - a broken notifier must not kill the worker
                log.error("alert.failed", key=alert.key, error=repr(exc))
                ok = False
            self.counts["sent" if ok else "failed"] += 1
            self._queue.task_done()
        self._queue.task_done()

    def _deliver(self, alert: Alert) -> bool:
        if self._apprise is None:
            import apprise  # imported on the worker: apprise loads its plugins at first use (~0.3 s)

            self._apprise = apprise.Apprise()
            for url in self.urls:
                if not self._apprise.add(url):
                    log.error("alert.bad_url", url=url.split("://")[0] + "://…")
        return bool(self._apprise.notify(body=alert.body, title=alert.title, notify_type=alert.level))

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait (blocking, off the loop) until queued alerts were attempted; True when all were."""
        deadline = time.monotonic() + timeout_s
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._queue.unfinished_tasks

    def close(self, timeout_s: float = 10.0) -> None:
        """Deliver what is queued (up to `timeout_s`), then stop the worker."""
        if self._thread is None:
            return
        self.flush(timeout_s)
        try:
            self._queue.put_nowait(None)
        except queue.Full:
            pass
        self._thread.join(timeout=1.0)
        self._thread = None
