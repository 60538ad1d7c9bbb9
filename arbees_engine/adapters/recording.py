"""Record every raw venue/feed message with its receive time, and replay it.

File format: a sequence of records, each a 4-byte big-endian length followed by a msgpack array
`[source: str, received_at: float Unix seconds, raw: str | bytes]`. Each record is written with a
single write + flush, so a crash can only tear the LAST record; `read_records` detects a short
or undecodable tail and stops there (counted in `Replayer.torn`).
"""

from __future__ import annotations

import asyncio
import os
import struct
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import msgpack

_HEADER = struct.Struct(">I")
#: Refuse absurd lengths (a torn header would otherwise ask for gigabytes).
MAX_RECORD_BYTES = 64 * 1024 * 1024


class Recorder:
    """Append-only recorder. `record(source, raw)` is cheap and synchronous (one write + flush).

    path: file to append to (created with its parents). fsync: also fsync each record (slower).
    """

    def __init__(self, path: str | os.PathLike[str], *, fsync: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "ab")  # noqa: SIM115 - held open for the recorder's life
        self._fsync = fsync
        self.count = 0

    def record(self, source: str, raw: str | bytes, received_at: float | None = None) -> None:
        """Append one raw message from `source` (e.g. "kalshi", "polymarket") received at
        `received_at` (Unix seconds; now if None)."""
        body = msgpack.packb([source, time.time() if received_at is None else received_at, raw])
        self._fh.write(_HEADER.pack(len(body)) + body)
        self._fh.flush()
        if self._fsync:
            os.fsync(self._fh.fileno())
        self.count += 1

    def close(self) -> None:
        """Flush and close the file."""
        self._fh.close()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_records(path: str | os.PathLike[str]) -> tuple[list[tuple[str, float, str | bytes]], int]:
    """Read every whole record; returns (records, torn) where torn is 1 if a torn tail was ignored."""
    data = Path(path).read_bytes()
    out: list[tuple[str, float, str | bytes]] = []
    pos = 0
    while pos < len(data):
        if pos + _HEADER.size > len(data):
            return out, 1
        (length,) = _HEADER.unpack_from(data, pos)
        end = pos + _HEADER.size + length
        if length > MAX_RECORD_BYTES or end > len(data):
            return out, 1
        try:
            source, received_at, raw = msgpack.unpackb(data[pos + _HEADER.size : end])
        except (ValueError, msgpack.UnpackException, TypeError):
            return out, 1
        out.append((source, float(received_at), raw))
        pos = end
    return out, 0


class Replayer:
    """Async iterator over a recording: yields (source, received_at, raw) in file order.

    speed: None replays as fast as possible; 1.0 reproduces the recorded gaps; 2.0 twice as fast.
    `torn` is 1 after iteration if a torn last record was skipped.
    """

    def __init__(self, path: str | os.PathLike[str], speed: float | None = None) -> None:
        if speed is not None and speed <= 0:
            raise ValueError(f"speed must be > 0 or None, got {speed}")
        self.path = Path(path)
        self.speed = speed
        self.torn = 0

    def records(self) -> Iterator[tuple[str, float, str | bytes]]:
        """Synchronous, unpaced access to all whole records."""
        records, self.torn = read_records(self.path)
        return iter(records)

    async def __aiter__(self) -> AsyncIterator[tuple[str, float, str | bytes]]:
        first_recorded: float | None = None
        started = time.monotonic()
        for source, received_at, raw in self.records():
            if self.speed is not None:
                first_recorded = received_at if first_recorded is None else first_recorded
                due = started + (received_at - first_recorded) / self.speed
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)  # pacing, not synchronisation
            yield source, received_at, raw


async def replay_into(replayer: Replayer, sink, streams) -> int:
    """Feed one recording through several streams in recorded order (each takes its `sources`).

    streams: objects with `sources` and `handle_raw(raw, sink, received_at, source=...)`, e.g. a
    KalshiBookStream and a PolymarketBookStream built with the same tickers/assets as live.
    Returns the number of records dispatched; records from other sources are skipped.
    """
    by_source = {src: stream for stream in streams for src in stream.sources}
    dispatched = 0
    async for source, received_at, raw in replayer:
        stream = by_source.get(source)
        if stream is not None:
            stream.handle_raw(raw, sink, received_at, source=source)
            dispatched += 1
    return dispatched
