"""ESPN polling uses conditional requests: an unchanged scoreboard costs a 304, not a parse."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from fixture_server import RecordingSink, fixture

from arbees_engine.adapters.espn import EspnFeed
from arbees_engine.model import League

BODY = fixture("espn", "scoreboard_nfl_2022wk1_in_post_pre.json").read_bytes()
ETAG = '"nfl-week1-v1"'


class _Handler(BaseHTTPRequestHandler):
    seen: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        match = self.headers.get("If-None-Match")
        self.seen.append((self.path, match))
        if match == ETAG:
            self.send_response(304)
            self.send_header("ETag", ETAG)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", ETAG)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args) -> None:
        pass


async def test_second_poll_is_conditional_and_304_keeps_the_live_pace():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Handler.seen = []
    try:
        async with httpx.AsyncClient() as client:
            feed = EspnFeed(["football/nfl"], f"http://127.0.0.1:{server.server_port}", client)
            sink = RecordingSink()
            first = await feed.poll_once("football/nfl", League.NFL, sink)
            states = len(sink.games)
            second = await feed.poll_once("football/nfl", League.NFL, sink)
    finally:
        server.shutdown()
    assert [m for _p, m in _Handler.seen] == [None, ETAG]
    assert first is True and second is True  # the in-progress game keeps the fast interval
    assert states == 3 and len(sink.games) == 3  # nothing re-parsed or re-pushed on 304
    assert feed.cache.not_modified == 1
