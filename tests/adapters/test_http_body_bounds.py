"""HTTP bodies are bounded while they are read (adapters/http.py `get_json`): a gzip bomb from a
local 127.0.0.1 server is refused after decoding at most the cap, a Content-Length over the cap
is refused before the body is read, a feed counts the refusal, and memory and loop lag stay
bounded (the old client read and gunzipped all 200 MiB first: 473 MiB RSS, 387 ms loop lag)."""

from __future__ import annotations

import asyncio
import gzip
import time
import tracemalloc
import zlib

import pytest
from fixture_server import RecordingSink, Reply, start_fixture_server

from arbees_engine.adapters.espn.feed import EspnFeed
from arbees_engine.adapters.http import RetryPolicy, _BoundedBody, get_json, make_client
from arbees_engine.adapters.wire import MAX_JSON_CHARS, ParseError
from arbees_engine.model import League

ONCE = RetryPolicy(attempts=1)
BOMB_BYTES = 200 * 2**20


def _gzip_bomb(decoded_bytes: int = BOMB_BYTES) -> bytes:
    """A gzip stream of `decoded_bytes` of JSON whitespace (about 1,000 : 1)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b" " * 2**20
    parts = [packer.compress(block) for _ in range(decoded_bytes // len(block))]
    return b"".join(parts) + packer.flush()


class _LoopLag:
    """The longest gap between wake-ups of a task ticking every millisecond."""

    def __init__(self) -> None:
        self.longest = 0.0

    async def run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.001)
            self.longest = max(self.longest, time.perf_counter() - started)


async def test_a_gzip_bomb_is_refused_after_decoding_at_most_the_cap() -> None:
    bomb = _gzip_bomb()
    assert len(bomb) < 300_000
    routes = {"/bomb": Reply(200, bomb, {"Content-Encoding": "gzip"}), "/ok": Reply(200, b"[]")}
    with start_fixture_server(routes) as server:
        async with make_client(10.0) as client:
            assert await get_json(client, f"{server.url}/ok", policy=ONCE) == []  # first-request setup
            lag = _LoopLag()
            ticker = asyncio.create_task(lag.run())
            tracemalloc.start()
            try:
                with pytest.raises(ParseError) as refused:
                    await get_json(client, f"{server.url}/bomb", policy=ONCE)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
                ticker.cancel()
    assert refused.value.reason == "too_long"
    assert peak < 2 * MAX_JSON_CHARS, f"{peak} bytes allocated while refusing the bomb"
    assert lag.longest < 1.0, f"the event loop stalled {lag.longest:.3f} s"  # generous


def test_the_bounded_decoder_never_holds_more_than_the_cap() -> None:
    body = _BoundedBody("gzip", 1000, "test")
    with pytest.raises(ParseError, match="too_long"):
        body.feed(_gzip_bomb(2**20))
    assert len(body.body) <= 1000  # never more than the cap
    small = _BoundedBody("gzip", 1000, "test")
    small.feed(gzip.compress(b"[1, 2]"))
    assert bytes(small.body) == b"[1, 2]"
    with pytest.raises(ParseError, match="bad_encoding"):
        _BoundedBody("br", 1000, "test")
    with pytest.raises(ParseError, match="bad_encoding"):
        _BoundedBody("gzip", 1000, "test").feed(b"not gzip at all")


async def test_a_declared_length_over_the_cap_is_refused_and_a_feed_counts_the_refusals() -> None:
    routes = {
        "/big": Reply(200, b" " * (MAX_JSON_CHARS + 1) + b"[]"),
        "/football/nfl/scoreboard": Reply(200, _gzip_bomb(8 * 2**20), {"Content-Encoding": "gzip"}),
        "/ok": Reply(200, gzip.compress(b'{"a": [1]}'), {"Content-Encoding": "gzip"}),
    }
    with start_fixture_server(routes) as server:
        async with make_client(10.0) as client:
            with pytest.raises(ParseError, match="Content-Length"):
                await get_json(client, f"{server.url}/big", policy=ONCE)
            assert await get_json(client, f"{server.url}/ok", policy=ONCE) == {"a": [1]}
            sink = RecordingSink()
            feed = EspnFeed(["football/nfl"], server.url, client, policy=ONCE)
            assert await feed.poll_once("football/nfl", League.NFL, sink) is True
    assert [(source, reason) for source, reason, _ in sink.rejections] == [("espn", "too_long")]
