"""Composite venues: REST discovery + websocket books, with every raw input recordable.

`StreamingVenue` runs a REST venue's `discover(sink)` every `discover_every_s` and keeps a book
stream subscribed to exactly the open markets the last complete discovery returned (new ones
added, vanished or closed ones removed). Without a stream it falls back to polling books over
REST (`rest.poll_books`), e.g. Kalshi without API credentials.

Recording (issue 4 §6): websocket frames are recorded by the streams themselves (`Recorder`
passed to them); REST operations through `capture.record_op`; connection drops as
`("<venue>-conn", t, "down")` by `reconnect.ReportingPolicy`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import structlog

from .base import BookStream, Sink
from .capture import record_op
from .reconnect import ReportingPolicy
from .recording import Recorder

log = structlog.get_logger(__name__)


class _SeenSink:
    """Forwards to the engine sink and notes which listings one discovery round produced."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self.seen: dict[str, str] = {}  # venue_market_id → status

    def on_listing(self, listing) -> None:  # noqa: ANN001 - Sink protocol
        """Note the listing's status under its venue_market_id, then forward it to the engine sink."""
        self.seen[listing.venue_market_id] = listing.status
        self._sink.on_listing(listing)

    def __getattr__(self, name: str):
        return getattr(self._sink, name)


class StreamingVenue:
    """REST discovery (`rest.discover`) + websocket books (`stream`), or REST book polling.

    rest: a venue's REST discovery (`discover`, `lookup`, `poll_books`); stream: its `BookStream`
    (subscribed by venue_market_id), or None to poll books over REST every `poll_s` seconds.
    discover_every_s: seconds between complete discoveries (a failed one is retried after
    `retry_s`). recorder: records REST operations (streams record their own frames).
    after: an event (e.g. `ObservedEspnFeed.first_round`) the first discovery waits for, at most
    `after_timeout_s` seconds, so listings meet their games on the first match.
    watchers: further adapters of this venue run alongside (`run(sink)`), e.g. Kalshi's
    `KalshiExchangeWatch` (trading pauses); each may offer `status()` for a desk.
    """

    def __init__(
        self,
        rest,
        stream: BookStream | None = None,
        *,
        discover_every_s: float = 60.0,
        poll_s: float = 2.0,
        retry_s: float = 2.0,
        recorder: Recorder | None = None,
        after: asyncio.Event | None = None,
        after_timeout_s: float = 10.0,
        watchers: Sequence = (),
    ) -> None:
        self.rest, self.stream = rest, stream
        self.watchers = list(watchers)
        self.after, self.after_timeout_s = after, after_timeout_s
        self.name = rest.name
        self.discover_every_s, self.poll_s, self.retry_s = discover_every_s, poll_s, retry_s
        self.recorder = recorder
        self.subscribed: set[str] = set()

    def feed_status(self):
        """The book stream's `watchdog.FeedStatus` (state, per-market ages, counters), or None when
        books are polled over REST."""
        status = getattr(self.stream, "feed_status", None)
        return status() if status is not None else None

    @property
    def mode(self) -> str:
        """ "websocket" or "rest-poll" (for logs and the run banner)."""
        return "websocket" if self.stream is not None else "rest-poll"

    async def run(self, sink: Sink) -> None:
        """Discover and stream (or poll) until cancelled; never raises on bad input."""
        policy = getattr(self.stream, "policy", None)
        if isinstance(policy, ReportingPolicy):
            policy.sink = sink
        tasks = [asyncio.create_task(self._discover_loop(sink))]
        if self.stream is not None:
            tasks.append(asyncio.create_task(self.stream.run(sink)))
        else:
            tasks.append(asyncio.create_task(self._poll_loop(sink)))
        tasks += [asyncio.create_task(watcher.run(sink)) for watcher in self.watchers]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _discover_loop(self, sink: Sink) -> None:
        if self.after is not None:
            try:
                await asyncio.wait_for(self.after.wait(), self.after_timeout_s)
            except TimeoutError:
                log.warning("discovery.feed_not_ready", venue=self.name, waited_s=self.after_timeout_s)
        while True:
            complete = await self.discover_round(sink)
            await asyncio.sleep(self.discover_every_s if complete else self.retry_s)  # the poll period

    async def _poll_loop(self, sink: Sink) -> None:
        while True:
            await self.poll_round(sink)
            await asyncio.sleep(self.poll_s)  # the poll period

    async def discover_round(self, sink: Sink) -> bool:
        """One recorded discovery, then (re)subscribe the stream to the open markets. Returns
        False when the discovery was incomplete (then nothing is unsubscribed)."""
        seen = _SeenSink(sink)
        try:
            complete = await record_op(self.recorder, f"{self.name}.discover", {}, lambda: self.rest.discover(seen))
        except Exception as exc:  # noqa: BLE001 - a discovery bug must not end the venue
            log.exception("discovery.crashed", venue=self.name)
            sink.reject(self.name, "discovery_crashed", repr(exc))
            return False
        await self.sync_subscriptions(seen.seen, complete)
        return bool(complete)

    async def sync_subscriptions(self, seen: dict[str, str], complete: bool) -> None:
        """Subscribe open markets just seen; when `complete`, drop those no longer open."""
        if self.stream is None:
            return
        wanted = {mid for mid, status in seen.items() if status == "open"}
        gone = (self.subscribed - wanted) if complete else {m for m, s in seen.items() if s != "open"} & self.subscribed
        new = wanted - self.subscribed
        if new:
            self.subscribed |= new
            await self.stream.subscribe(sorted(new))
        if gone:
            self.subscribed -= gone
            await self.stream.unsubscribe(sorted(gone))
        if new or gone:
            log.info(
                "venue.subscriptions", venue=self.name, added=len(new), removed=len(gone), total=len(self.subscribed)
            )

    async def lookup_round(self, venue_market_id: str, sink: Sink) -> bool:
        """One recorded lookup of a single market's status and result (`rest.lookup`), used to
        settle positions on the venue's own resolution. Returns True if a listing was pushed."""
        try:
            return bool(
                await record_op(
                    self.recorder,
                    f"{self.name}.lookup",
                    {"id": venue_market_id},
                    lambda: self.rest.lookup(venue_market_id, sink),
                )
            )
        except Exception as exc:  # noqa: BLE001 - a lookup bug must not end the venue
            log.exception("lookup.crashed", venue=self.name)
            sink.reject(self.name, "lookup_crashed", repr(exc))
            return False

    async def poll_round(self, sink: Sink) -> None:
        """One recorded round of REST book polling (no-stream fallback)."""
        await record_op(self.recorder, f"{self.name}.poll_books", {}, lambda: self.rest.poll_books(sink))
