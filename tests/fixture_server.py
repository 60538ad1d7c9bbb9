"""A local HTTP server on 127.0.0.1 that serves canned replies at the venues' paths, and a
recording Sink. Reusable by any test (import as `from fixture_server import ...`; pytest puts
tests/ on sys.path via tests/conftest.py).

    with start_fixture_server({
        "/basketball/nba/scoreboard": fixture("espn", "scoreboard_nba_final_20260115.json"),
        "/markets?cursor=abc": Reply(200, {"markets": [], "cursor": ""}),   # query subset match
        "/book": [Reply(500, "boom"), Reply(200, fixture("polymarket", "clob_midpoint.json"))],
        **gamma_routes(load_fixture("polymarket", "gamma_events_sports_game_mlp_open.json")),  # keyset
    }) as server:
        url = server.url            # "http://127.0.0.1:<port>"
        server.route("/x", Reply(429, "", {"Retry-After": "0"}), Reply(200, {...}))
        server.requests             # ["/basketball/nba/scoreboard", "/markets?series_ticker=..."]
        server.hits("/book")        # requests whose path is /book

Route keys are a path, optionally with query parameters that must ALL be present in the request
(extra request parameters are ignored); the most specific matching key wins. A value is one
reply (served forever) or a list of `Reply` objects served in order, the last repeating; any
other value is one 200 reply with that body (so a JSON array body needs no wrapping), and a
tuple is `Reply(*tuple)`. Unmatched → 404. Reply bodies: bytes/str as is, a Path's bytes,
anything else JSON-encoded.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

SHARED_DIR = Path(__file__).resolve().parents[1].parent / "shared"
FIXTURES_DIR = SHARED_DIR / "fixtures"


def fixture(*parts: str) -> Path:
    """Path of a recorded payload: fixture("kalshi", "orderbook_fp_mlb_depth5.json")."""
    return FIXTURES_DIR.joinpath(*parts)


def load_fixture(*parts: str) -> object:
    """The decoded JSON of a recorded payload."""
    return json.loads(fixture(*parts).read_text())


@dataclass(frozen=True)
class Reply:
    """One canned HTTP response."""

    status: int = 200
    body: object = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        """The body as bytes (see module docstring)."""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        if isinstance(self.body, Path):
            return self.body.read_bytes()
        return json.dumps(self.body).encode()


#: What Gamma's retired offset lists answer with (RFC 9745 `Deprecation`, RFC 8594 `Sunset`): the
#: exact header text Polymarket sends is not in the recorded fixtures; the date is its announced sunset.
GAMMA_DEPRECATION = {"Deprecation": "true", "Sunset": "Fri, 01 May 2026 00:00:00 GMT"}


def gamma_routes(
    events: list, markets: list | None = None, prefix: str = "", *, retired_markets: bool = True
) -> dict[str, Reply]:
    """Routes of a fake Gamma at `prefix`: the keyset lists `/events/keyset` (one last page, no
    `next_cursor`) and `/markets/keyset`, and the retired `/events` and `/markets` answering the same
    data with GAMMA_DEPRECATION headers (tests assert nothing calls them: `hits(...) == 0`).
    `retired_markets=False` leaves `/markets` out, for a server whose `/markets` is Kalshi's."""
    markets = [] if markets is None else markets
    routes = {
        f"{prefix}/events/keyset": Reply(200, {"events": events}),
        f"{prefix}/markets/keyset": Reply(200, {"markets": markets}),
        f"{prefix}/events": Reply(200, events, GAMMA_DEPRECATION),
    }
    if retired_markets:
        routes[f"{prefix}/markets"] = Reply(200, markets, GAMMA_DEPRECATION)
    return routes


def _as_reply(spec: object) -> Reply:
    if isinstance(spec, Reply):
        return spec
    if isinstance(spec, tuple):
        return Reply(*spec)
    return Reply(200, spec)


class _Route:
    def __init__(self, key: str, spec: object) -> None:
        parts = urlsplit(key)
        self.path = parts.path
        self.params = dict(parse_qsl(parts.query, keep_blank_values=True))
        is_sequence = isinstance(spec, list) and spec and all(isinstance(s, Reply) for s in spec)
        self.replies = list(spec) if is_sequence else [_as_reply(spec)]
        self.served = 0

    def next_reply(self) -> Reply:
        reply = self.replies[min(self.served, len(self.replies) - 1)]
        self.served += 1
        return reply


class FixtureServer:
    """A running server; see module docstring. Use as a context manager or call `close()`."""

    def __init__(self, routes: Mapping[str, object] | None = None) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, _Route] = {}
        self.requests: list[str] = []
        for key, spec in (routes or {}).items():
            self.route(key, spec)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fixture-server", daemon=True
        )
        self._thread.start()

    def route(self, key: str, *specs: object) -> None:
        """Add or replace the replies for `key` (several specs are served in order)."""
        spec = specs[0] if len(specs) == 1 else [_as_reply(s) for s in specs]
        with self._lock:
            self._routes[key] = _Route(key, spec)

    def hits(self, path: str) -> int:
        """How many requests had exactly this path (query ignored)."""
        with self._lock:
            return sum(1 for r in self.requests if urlsplit(r).path == path)

    def _reply_for(self, target: str) -> Reply:
        parts = urlsplit(target)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self._lock:
            self.requests.append(target)
            matches = [
                r
                for r in self._routes.values()
                if r.path == parts.path and all(params.get(k) == v for k, v in r.params.items())
            ]
            if not matches:
                return Reply(404, {"error": f"no fixture for {target}"})
            return max(matches, key=lambda r: len(r.params)).next_reply()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                reply = server._reply_for(self.path)
                body = reply.encoded()
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # quiet test output
                pass

        return Handler

    def close(self) -> None:
        """Stop serving and release the port."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FixtureServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_fixture_server(routes: Mapping[str, object] | None = None) -> FixtureServer:
    """Start a FixtureServer on 127.0.0.1 (ephemeral port) serving `routes`."""
    return FixtureServer(routes)


class RecordingSink:
    """A Sink that records everything, and lets a test await a condition without sleeping.

    Attributes: games, listings, markets, books (lists in arrival order), stale [(id, reason)],
    rejections [(source, reason, detail)].
    """

    def __init__(self) -> None:
        self.games: list = []
        self.listings: list = []
        self.markets: list = []
        self.books: list = []
        self.stale: list[tuple[str, str]] = []
        self.rejections: list[tuple[str, str, str]] = []
        self._changed = asyncio.Event()

    def _note(self, bucket: list, item: object) -> None:
        bucket.append(item)
        self._changed.set()

    def on_game_state(self, state) -> None:  # noqa: ANN001 - Sink protocol
        self._note(self.games, state)

    def on_listing(self, listing) -> None:  # noqa: ANN001
        self._note(self.listings, listing)

    def on_market(self, market) -> None:  # noqa: ANN001
        self._note(self.markets, market)

    def on_book(self, update) -> None:  # noqa: ANN001
        self._note(self.books, update)

    def on_book_stale(self, market_id: str, reason: str) -> None:
        self._note(self.stale, (market_id, reason))

    def reject(self, source: str, reason: str, detail: str = "") -> None:
        self._note(self.rejections, (source, reason, detail))

    def reasons(self, source: str | None = None) -> list[str]:
        """Rejection reasons, optionally for one source."""
        return [r for s, r, _ in self.rejections if source is None or s == source]

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 10.0) -> None:
        """Return once `condition()` holds (checked after every recorded call); TimeoutError after
        `timeout` seconds."""
        async with asyncio.timeout(timeout):
            while not condition():
                self._changed.clear()
                await self._changed.wait()


async def run_until(
    run: Callable[[], object], sink: RecordingSink, condition: Callable[[], bool], timeout: float = 10.0
) -> None:
    """Start the coroutine `run()` as a task, wait until `condition()` holds on `sink`, cancel it.

    Raises TimeoutError if the condition never holds, or the task's own exception if it died.
    """
    task = asyncio.ensure_future(run())
    try:
        waiter = asyncio.ensure_future(sink.wait_for(condition, timeout))
        done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            waiter.cancel()
            task.result()  # re-raise why run() ended
            raise AssertionError("run() returned before the condition held")
        waiter.result()
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
