"""The desk's background loops: attach + tail the event stream, and poll the heartbeat.

They run as async Textual workers (no threads) and talk to the UI only by posting Messages.
Attach (ARCHITECTURE.md "The bus contract"): load the snapshot, then read events after the
snapshot's event id, so nothing is missed or doubled. Any error drops the session and retries
with capped exponential backoff (tenacity); the engine coming back (heartbeat reappears or its
pid changes) forces a resync.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import structlog
from tenacity import AsyncRetrying, retry_base, retry_if_exception_type, wait_exponential
from textual.message import Message

from arbees_engine.bus.messages import Resync

from .messages import EventsReceived, HeartbeatSeen, LinkChanged, SnapshotLoaded

log = structlog.get_logger(__name__)


class _NotCancelling(retry_base):
    """Never retry while the worker is being cancelled (redis-py may turn the cancellation into a
    ConnectionError, which would otherwise be retried forever and block the desk's exit)."""

    def __call__(self, retry_state) -> bool:  # noqa: ANN001 - tenacity's RetryCallState
        task = asyncio.current_task()
        return task is None or not task.cancelling()


_not_cancelling = _NotCancelling()


def _stop_if_cancelling() -> None:
    """Raise CancelledError if this task is being cancelled but a driver absorbed the exception."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError()


class Feed:
    """Runs the event and heartbeat loops over a DeskSource, posting Messages with `post`."""

    def __init__(
        self,
        source: Any,
        post: Callable[[Message], Any],
        block_ms: int = 500,
        heartbeat_interval_s: float = 1.0,
        max_backoff_s: float = 5.0,
    ) -> None:
        self.source = source
        self.post = post
        self.block_ms = block_ms
        self.heartbeat_interval_s = heartbeat_interval_s
        self.max_backoff_s = max_backoff_s
        self._resync = False
        self._last_pid: int | None = None
        self._polls = 0
        self._consumed = asyncio.Event()
        self.backpressure_waits = 0
        self.attaches = 0

    def request_resync(self) -> None:
        """Reload the snapshot at the next read (the engine came back or restarted)."""
        self._resync = True

    async def run_events(self) -> None:
        """Forever: attach, tail; on error report the link down and retry with backoff."""
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(Exception) & _not_cancelling,
            wait=wait_exponential(multiplier=0.2, max=self.max_backoff_s),
            before_sleep=self._report_down,
        )
        async for attempt in retrying:
            with attempt:
                await self._session()

    async def _session(self) -> None:
        while True:  # one pass per (re)attach
            self.post(LinkChanged("connecting"))
            self._resync = False
            snapshot = await self.source.load_snapshot()
            self.attaches += 1
            self.post(SnapshotLoaded(snapshot))
            self.post(LinkChanged("connected"))
            after = snapshot.last_event_id
            while not self._resync:
                _stop_if_cancelling()
                events = await self.source.read_events(after, block_ms=self.block_ms)
                cut = next((i for i, (_id, ev) in enumerate(events) if isinstance(ev, Resync)), None)
                if cut is not None:  # the engine rewrote its snapshot: reload it, drop the rest
                    events, self._resync = events[:cut], True
                if events:
                    after = events[-1][0]
                    self._consumed.clear()
                    self.post(EventsReceived(events))
                    await self._wait_consumed()

    def consumed(self) -> None:
        """Called by the UI after applying a batch: the next read may start."""
        self._consumed.set()

    async def _wait_consumed(self) -> None:
        # Backpressure: at most one batch in flight; the backlog stays in Redis, not in the UI queue.
        if not self._consumed.is_set():
            self.backpressure_waits += 1
            try:
                await asyncio.wait_for(self._consumed.wait(), timeout=2.0)
            except TimeoutError:
                log.warning("desk.batch_not_consumed")

    async def _report_down(self, retry_state: Any) -> None:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        detail = f"{type(exc).__name__}: {exc}" if exc else "unknown error"
        log.warning("desk.link_down", detail=detail)
        self.post(LinkChanged("down", detail))
        reset = getattr(self.source, "reset", None)
        if reset is not None:
            try:
                await reset()
            except Exception as reset_exc:  # noqa: BLE001 - a dead pool may fail to close; a new one is made anyway
                log.debug("desk.reset_failed", error=str(reset_exc))

    async def run_heartbeat(self) -> None:
        """Forever: poll the heartbeat every interval; trigger a resync when the engine returns."""
        while True:
            _stop_if_cancelling()
            try:
                beat = await self.source.heartbeat()
            except Exception as exc:  # noqa: BLE001 - link down: the event loop reports it; show the engine as unknown
                log.debug("desk.heartbeat_failed", error=str(exc))
                beat = None
            pid = beat.pid if beat is not None else None
            if self._polls and pid is not None and pid != self._last_pid:
                self.request_resync()  # engine came back or restarted: its state may have moved on
            self._last_pid = pid
            self._polls += 1
            self.post(HeartbeatSeen(beat))
            await asyncio.sleep(self.heartbeat_interval_s)
