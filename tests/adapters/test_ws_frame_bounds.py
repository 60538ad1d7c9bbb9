"""Websocket frames are capped at MAX_WS_FRAME_BYTES (adapters/wire.py): the websockets library
refuses a larger frame before reading it into memory (close code 1009), `handle_raw` applies the
same cap to replayed frames, and the largest recorded frame fits with room to spare. The wide and
deep frame that once held the loop 3.2 s (depth checked in 64 passes) is refused in one."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from fixture_server import FIXTURES_DIR
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosedError

from arbees_engine.adapters.hostile import RAW_MUTATIONS
from arbees_engine.adapters.kalshi.ws import KalshiBookStream
from arbees_engine.adapters.polymarket.ws import PolymarketBookStream
from arbees_engine.adapters.wire import MAX_JSON_DEPTH, MAX_WS_FRAME_BYTES, ParseError, check_depth, decode_json
from arbees_engine.ops.frame_cases import FrameSink

STREAMS = {
    "kalshi": lambda url: KalshiBookStream(["KX-A"], url=url),
    "polymarket": lambda url: PolymarketBookStream(["1111"], url=url),
}


@pytest.mark.parametrize("venue", sorted(STREAMS))
async def test_a_frame_over_the_cap_closes_the_connection_unread(venue: str) -> None:
    oversized = "[" + " " * MAX_WS_FRAME_BYTES + "]"

    async def venue_server(ws) -> None:  # noqa: ANN001 - websockets handler
        await ws.send(oversized)
        await ws.wait_closed()

    async with serve(venue_server, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        stream = STREAMS[venue](f"ws://127.0.0.1:{port}")
        stream._sink = FrameSink()
        async with asyncio.timeout(30):
            with pytest.raises(ConnectionClosedError) as closed:
                await stream._session()
    assert closed.value.sent is not None and closed.value.sent.code == 1009  # "message too big"
    assert sum(stream.stats.values()) == 0  # never reached the parser


def test_replayed_frames_get_the_same_cap_and_recorded_frames_fit() -> None:
    for stream in (KalshiBookStream(["KX-A"]), PolymarketBookStream(["1111"])):
        stream.handle_raw("[" + " " * MAX_WS_FRAME_BYTES + "]", FrameSink(), 1.0)
        assert stream.stats["malformed:too_long"] == 1
    largest = max(
        len(json.dumps(json.loads(p.read_text())))
        for venue in ("kalshi", "polymarket")
        for p in (FIXTURES_DIR / venue).rglob("ws_*.json")
    )
    assert largest * 4 < MAX_WS_FRAME_BYTES


@pytest.mark.parametrize("name", ["deep_nests_1mb", "deep_nests_ws_cap", "deep_nests_4mib"])
def test_wide_and_deep_nests_are_refused_in_one_pass(name: str) -> None:
    body = RAW_MUTATIONS[name]("{}")
    started = time.process_time()
    with pytest.raises(ParseError) as refused:
        decode_json(body, "frame")
    assert refused.value.reason == "too_deep" and time.process_time() - started < 0.25  # generous


def test_the_depth_limit_is_exact_for_wide_bodies_without_a_run_of_openers() -> None:
    def nest(depth: int) -> str:
        return "[1," * depth + "1" + "]" * depth

    check_depth("[" + ",".join([nest(MAX_JSON_DEPTH - 1)] * 2000) + "]")
    with pytest.raises(ParseError, match="too_deep"):
        check_depth("[" + ",".join([nest(MAX_JSON_DEPTH - 1)] * 2000 + [nest(MAX_JSON_DEPTH)]) + "]")
    with pytest.raises(ParseError, match="too_many_containers"):
        decode_json("[" + "[1]," * 40_000 + "[1]]", "frame")
