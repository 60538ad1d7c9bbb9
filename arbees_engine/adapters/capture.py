"""Recording of REST operations: every HTTP response made inside one named operation.

REST work is recorded per *operation* ("kalshi.discover", "espn.poll", ...): an httpx response
hook captures every response body made inside the operation (a ContextVar tells which operation,
so concurrent requests never mix), and one record `("op", t, msgpack{op, args, responses})` is
appended when the operation returns, right after its (last) sink calls. A multi-page discovery
therefore replays its listings together at that point; no book frame depends on them earlier,
since streams subscribe only after discovery returns. `ops/replay.py` (today `ops/replay.py`)
feeds it back through the same adapter code (issue 4 §6).
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable

import httpx
import msgpack

from .recording import Recorder

OP_SOURCE = "op"
_capture: contextvars.ContextVar[list | None] = contextvars.ContextVar("arbees_http_capture", default=None)


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
