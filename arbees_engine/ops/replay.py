"""`arbees-engine run --replay FILE [--speed X|max]`: a recording fed back through the same code.

The recording (`adapters/recording.py` format, written by `arbees-engine record` or any run
with `ARBEES_RECORD_FILE`) holds, in receive order:
  ("meta", t, json)            the configuration the adapters were built with (base URLs, series);
  ("op", t, msgpack)           one REST operation and every HTTP response it received
                               ("espn.poll", "kalshi.discover", "polymarket.discover", "*.poll_books", "*.lookup");
  ("kalshi" | "polymarket" | "polymarket-rest", t, raw)   websocket frames / resync books;
  ("<venue>-conn", t, "down")  a dropped connection.
`ReplayDriver` rebuilds the real adapters (EspnFeed, KalshiRestVenue, PolymarketRestVenue, the
two book streams) on an httpx client whose transport is an `httpx.MockTransport` serving the
recorded responses of the current operation (https://www.python-httpx.org/advanced/transports/),
and dispatches records strictly in order: an operation is re-run through the adapter's own code,
a frame goes to the stream's `handle_raw` with its recorded receive time. The engine's clock is
the record time (`ReplayClock`) and each record's executions finish before the next record, so a
replay is deterministic and reproduces the recorded run's signals and fills.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict, deque
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import structlog

from ..adapters.capture import OP_SOURCE, decode_op
from ..adapters.recording import Replayer
from ..adapters.registry import build_real_adapters, venue_entry
from ..settings import EndpointSettings, Settings

log = structlog.get_logger(__name__)

YIELD_EVERY = 200  # records between cooperative yields to the engine's other tasks


class ReplayClock:
    """The engine's clock during a replay: the receive time of the record being dispatched."""

    def __init__(self) -> None:
        self._now: datetime | None = None

    def set(self, unix_s: float) -> None:
        """Move to `unix_s` (Unix seconds); never backwards (a clock must be monotone)."""
        at = datetime.fromtimestamp(unix_s, UTC)
        if self._now is None or at > self._now:
            self._now = at

    def now(self) -> datetime:
        """Current replay time (UTC); wall time until the first record."""
        return self._now or datetime.now(UTC)


class ReplayTransport:
    """Serves the recorded responses of the operation being replayed, FIFO per (method, URL).

    A request with no recorded response gets 404 "not recorded" (counted by the adapter as
    http_404), never a network call.
    """

    def __init__(self) -> None:
        self._queues: dict[tuple[str, str], deque] = defaultdict(deque)
        self.missing = 0

    def load(self, responses: list) -> None:
        """Replace the queue with one operation's [method, url, status, headers, body] list."""
        self._queues.clear()
        for method, url, status, headers, body in responses:
            self._queues[(method, url)].append((status, headers, body))

    def handle(self, request: httpx.Request) -> httpx.Response:
        """MockTransport handler."""
        queue = self._queues.get((request.method, str(request.url)))
        if not queue:
            self.missing += 1
            return httpx.Response(404, json={"error": f"not recorded: {request.url}"})
        status, headers, body = queue.popleft()
        return httpx.Response(status, headers=headers, content=body)


class ReplayDriver:
    """Adapter that replays one recording into the sink, then sets `done` (if given).

    path: recording file; speed: None = as fast as possible, else the recorded pace × speed;
    clock: the engine's ReplayClock. Counts: `dispatched`, `skipped` (unknown sources).
    """

    name = "replay"

    def __init__(
        self,
        path,
        *,
        speed: float | None = None,
        clock: ReplayClock | None = None,
        done: asyncio.Event | None = None,
        build_adapters: Callable[..., list] | None = None,
    ) -> None:
        self.path, self.speed = path, speed
        self.build_adapters = build_adapters or build_real_adapters  # the venue registry's, unless injected
        self.clock = clock or ReplayClock()
        self.done = done
        self.transport = ReplayTransport()
        self.client = httpx.AsyncClient(transport=httpx.MockTransport(self.transport.handle))
        self.espn = None
        self.venues: dict = {}
        self.by_source: dict = {}
        self.dispatched = self.skipped = 0

    def configure(self, meta: dict) -> None:
        """(Re)build the adapters exactly as the recorded run configured them."""
        fields = {k: v for k, v in meta.items() if k in EndpointSettings.model_fields}
        settings = Settings(endpoints=EndpointSettings(**fields))
        adapters = self.build_adapters(settings, meta.get("venues", []), client=self.client, start_streams=False)
        self.espn, venues = adapters[0], adapters[1:]
        self.venues = {v.name: v for v in venues}
        for venue in venues:  # books always parse through the streams, as they did live
            venue.stream = venue_entry(venue.name).replay_stream(venue)
        self.by_source = {src: v.stream for v in venues for src in v.stream.sources}

    async def run(self, sink) -> None:
        """Dispatch every record in order; each record's executions settle before the next."""
        settle = getattr(sink, "settle_queue", None)
        replayer = Replayer(self.path, speed=self.speed)
        try:
            async for source, received_at, raw in replayer:
                self.clock.set(received_at)
                await self._dispatch(source, received_at, raw, sink)
                if settle is not None:
                    await settle()
                if self.dispatched % YIELD_EVERY == 0:
                    await asyncio.sleep(0)  # let the store writer and bus publisher drain at speed max
            log.info(
                "replay.done",
                records=self.dispatched,
                skipped=self.skipped,
                torn=replayer.torn,
                missing_responses=self.transport.missing,
            )
        finally:
            await self.client.aclose()
            if self.done is not None:
                self.done.set()  # the run ends with the recording, also if it could not be read

    async def _dispatch(self, source: str, received_at: float, raw, sink) -> None:
        self.dispatched += 1
        if source == "meta":
            self.configure(json.loads(raw))
        elif source == OP_SOURCE:
            await self._op(decode_op(raw), sink)
        elif source.endswith("-conn"):
            venue = self.venues.get(source.removesuffix("-conn"))
            if venue is not None:
                venue.stream._mark_all_stale("disconnected")  # what run_with_reconnect's on_down does live
                sink.reject(venue.name, "disconnected", "replayed drop")
        elif (stream := self.by_source.get(source)) is not None:
            stream.handle_raw(raw, sink, received_at, source=source)
        else:
            self.skipped += 1

    async def _op(self, op: dict, sink) -> None:
        from ..adapters.espn import league_for_path

        self.transport.load(op["responses"])
        name, args = op["op"], op.get("args") or {}
        venue_name, _, action = name.partition(".")
        if name == "espn.poll" and self.espn is not None:
            await self.espn.poll_once(args["league"], league_for_path(args["league"]), sink)
        elif venue_name in self.venues and action == "discover":
            await self.venues[venue_name].discover_round(sink)
        elif venue_name in self.venues and action == "poll_books":
            await self.venues[venue_name].poll_round(sink)
        elif venue_name in self.venues and action == "lookup":
            await self.venues[venue_name].lookup_round(str(args.get("id", "")), sink)
        else:
            self.skipped += 1
