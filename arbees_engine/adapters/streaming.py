"""Composite venues: REST discovery + websocket books, with every raw input recordable.

`StreamingVenue` runs a REST venue's `discover(sink)` every `discover_every_s` and keeps a book
stream subscribed to exactly the open markets the last complete discovery returned (new ones
added, vanished or closed ones removed). Without a stream it falls back to polling books over
REST (`rest.poll_books`), e.g. Kalshi without API credentials.

Recording (issue 4 §6): websocket frames are recorded by the streams themselves (`Recorder`
passed to them). REST work is recorded per *operation* ("kalshi.discover", "espn.poll", ...):
an httpx response hook captures every response body made inside the operation (a ContextVar
tells which operation, so concurrent requests never mix), and one record
`("op", t, msgpack{op, args, responses})` is appended when the operation returns, right after
its (last) sink calls. A multi-page discovery therefore replays its listings together at that
point; no book frame depends on them earlier, since streams subscribe only after discovery
returns. Connection drops are recorded as `("<venue>-conn",
t, "down")`. `ops/replay.py` feeds all of it back through the same adapter code.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import msgpack
import structlog

from .base import Sink
from .espn import EspnFeed
from .recording import Recorder
from .reconnect import ReconnectPolicy

log = structlog.get_logger(__name__)

OP_SOURCE = "op"
_capture: contextvars.ContextVar[list | None] = contextvars.ContextVar("arbees_http_capture", default=None)


# ---- recording of REST operations ----------------------------------------------------------
async def _capture_response(response: httpx.Response) -> None:
    """httpx response hook: keep (method, url, status, headers, body) for the current operation."""
    bucket = _capture.get()
    if bucket is None:
        return
    body = await response.aread()
    keep = {k: v for k, v in response.headers.items() if k.lower() in ("content-type", "retry-after")}
    bucket.append([response.request.method, str(response.request.url), response.status_code, keep, body])


def attach_capture(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """Add the capturing response hook to `client` (https://www.python-httpx.org/advanced/event-hooks/)."""
    client.event_hooks["response"] = [*client.event_hooks["response"], _capture_response]
    return client


async def record_op(recorder: Recorder | None, op: str, args: dict, run: Callable[[], Awaitable]):
    """Run `run()`; with a recorder, append one "op" record holding every HTTP response it made.

    Returns what `run()` returns. The record is written after `run()` completes (its sink calls
    are done by then), so replay puts the operation's effects at the same place in the stream.
    """
    if recorder is None:
        return await run()
    bucket: list = []
    token = _capture.set(bucket)
    try:
        result = await run()
    finally:
        _capture.reset(token)
    recorder.record(OP_SOURCE, msgpack.packb({"op": op, "args": args, "responses": bucket}))
    return result


def decode_op(raw: bytes) -> dict:
    """Inverse of the op record body: {"op", "args", "responses": [[method, url, status, headers, body]]}."""
    return msgpack.unpackb(raw)


class ObservedEspnFeed(EspnFeed):
    """EspnFeed whose scoreboard polls are recorded as "espn.poll" operations (when `recorder` is
    set) and whose `first_round` event is set once every league has been polled (so venues can
    discover markets after the games are known and match them on the first round)."""

    recorder: Recorder | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.first_round = asyncio.Event()
        self._polled: set[str] = set()
        if not self.leagues:
            self.first_round.set()  # nothing to wait for

    async def poll_once(self, path, league, sink):  # noqa: ANN001 - see EspnFeed.poll_once
        """`EspnFeed.poll_once`, recorded when `recorder` is set."""
        try:
            return await record_op(self.recorder, "espn.poll", {"league": path},
                                   lambda: EspnFeed.poll_once(self, path, league, sink))
        finally:
            self._polled.add(path)
            if self._polled >= set(self.leagues):
                self.first_round.set()


# ---- reconnect reporting ---------------------------------------------------------------------
@dataclass
class ReportingPolicy(ReconnectPolicy):
    """ReconnectPolicy that tells the engine about drops and reconnect times.

    Each drop → `sink.reject(venue, "disconnected")` (counted in EngineStatus.rejections) and a
    "<venue>-conn" record; each reconnect time → the sink's LatencyRecorder stage
    "reconnect_<venue>" (p50/p95 in EngineStatus.latency) when the sink has `latency`.
    """

    venue: str = ""
    sink: object | None = None
    recorder: Recorder | None = None
    _reported: int = field(default=0, repr=False)

    def on_disconnected(self) -> None:
        """Count the drop, record it, and tell the sink."""
        super().on_disconnected()
        if self.recorder is not None:
            self.recorder.record(f"{self.venue}-conn", "down")
        if self.sink is not None:
            self.sink.reject(self.venue, "disconnected", f"drop #{self.disconnects}")

    def on_book_message(self) -> None:
        """Close an outage and publish its duration (seconds → ns into the engine's latency)."""
        super().on_book_message()
        latency = getattr(self.sink, "latency", None)
        while self._reported < len(self.reconnect_times):
            seconds = self.reconnect_times[self._reported]
            self._reported += 1
            if latency is not None:
                latency.record(f"reconnect_{self.venue}", 0, int(seconds * 1e9))


# ---- the composite venue ---------------------------------------------------------------------
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

    rest: KalshiRestVenue or PolymarketRestVenue; stream: KalshiBookStream (tickers) or
    PolymarketBookStream (YES token ids), or None to poll books over REST every `poll_s` seconds.
    discover_every_s: seconds between complete discoveries (a failed one is retried after
    `retry_s`). recorder: records REST operations (streams record their own frames).
    after: an event (e.g. `ObservedEspnFeed.first_round`) the first discovery waits for, at most
    `after_timeout_s` seconds, so listings meet their games on the first match.
    """

    def __init__(self, rest, stream=None, *, discover_every_s: float = 60.0, poll_s: float = 2.0,
                 retry_s: float = 2.0, recorder: Recorder | None = None, after: asyncio.Event | None = None,
                 after_timeout_s: float = 10.0) -> None:
        self.rest, self.stream = rest, stream
        self.after, self.after_timeout_s = after, after_timeout_s
        self.name = rest.name
        self.discover_every_s, self.poll_s, self.retry_s = discover_every_s, poll_s, retry_s
        self.recorder = recorder
        self.subscribed: set[str] = set()

    @property
    def mode(self) -> str:
        """"websocket" or "rest-poll" (for logs and the run banner)."""
        return "websocket" if self.stream is not None else "rest-poll"

    async def run(self, sink: Sink) -> None:
        """Discover and stream (or poll) until cancelled; never raises on bad input."""
        if isinstance(getattr(self.stream, "policy", None), ReportingPolicy):
            self.stream.policy.sink = sink
        tasks = [asyncio.create_task(self._discover_loop(sink))]
        if self.stream is not None:
            tasks.append(asyncio.create_task(self.stream.run(sink)))
        else:
            tasks.append(asyncio.create_task(self._poll_loop(sink)))
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
        # KalshiBookStream names them add/remove_markets, PolymarketBookStream add/remove_assets.
        add = getattr(self.stream, "add_markets", None) or self.stream.add_assets
        remove = getattr(self.stream, "remove_markets", None) or self.stream.remove_assets
        if new:
            self.subscribed |= new
            await add(sorted(new))
        if gone:
            self.subscribed -= gone
            await remove(sorted(gone))
        if new or gone:
            log.info("venue.subscriptions", venue=self.name, added=len(new), removed=len(gone), total=len(self.subscribed))

    async def lookup_round(self, venue_market_id: str, sink: Sink) -> bool:
        """One recorded lookup of a single market's status and result (`rest.lookup`), used to
        settle positions on the venue's own resolution. Returns True if a listing was pushed."""
        try:
            return bool(await record_op(self.recorder, f"{self.name}.lookup", {"id": venue_market_id},
                                        lambda: self.rest.lookup(venue_market_id, sink)))
        except Exception as exc:  # noqa: BLE001 - a lookup bug must not end the venue
            log.exception("lookup.crashed", venue=self.name)
            sink.reject(self.name, "lookup_crashed", repr(exc))
            return False

    async def poll_round(self, sink: Sink) -> None:
        """One recorded round of REST book polling (no-stream fallback)."""
        await record_op(self.recorder, f"{self.name}.poll_books", {}, lambda: self.rest.poll_books(sink))

