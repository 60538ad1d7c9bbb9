"""Where the desk's data comes from: the `DeskSource` protocol and its two implementations.

`RedisSource` wraps `arbees_engine.bus.client.BusClient` (the real engine over Redis);
`MemorySource` serves a fixed snapshot plus events pushed in-process (tests, snapshots, bench).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from arbees_engine.bus.messages import Command, Heartbeat

from .state import Snapshot


class DeskSource(Protocol):
    """The bus as the desk sees it (same shapes as BusClient). Errors: any exception = link down."""

    async def load_snapshot(self) -> Any:
        """Snapshot with .entities, .engine, .last_event_id, .audit (newest first)."""

    async def read_events(self, after_id: str, block_ms: int = 1000, count: int = 500) -> list[tuple[str, Any]]:
        """Events with id > after_id, oldest first; may block up to block_ms milliseconds."""

    async def send_command(self, command: Command) -> None:
        """Queue an operator command for the engine."""

    async def heartbeat(self) -> Heartbeat | None:
        """Latest heartbeat, None when the engine is offline."""

    async def close(self) -> None:
        """Release connections."""


class RedisSource:
    """DeskSource over a live Redis (BusClient). A new client is made per attach so a dead pool is dropped."""

    def __init__(self, redis_url: str, instance: str, resolve: Callable[[], str | None] | None = None) -> None:
        """`resolve`: () → the engine's current Redis URL (its discovery record), asked again after
        every error so the desk follows an engine restarted on new endpoints; None keeps `redis_url`."""
        self.instance = instance
        self.redis_url = redis_url
        self._resolve = resolve
        self.client = self._new_client()
        self.follows = 0  # times a reconnect moved to a new URL

    def _new_client(self) -> Any:
        from arbees_engine.bus.client import BusClient
        from arbees_engine.redact import mask_url

        self.describe = f"{mask_url(self.redis_url)} [{self.instance}]"
        return BusClient(self.redis_url, self.instance)

    async def load_snapshot(self) -> Any:
        """See DeskSource.load_snapshot."""
        return await self.client.load_snapshot()

    async def read_events(self, after_id: str, block_ms: int = 1000, count: int = 500) -> list[tuple[str, Any]]:
        """See DeskSource.read_events."""
        return await self.client.read_events(after_id, block_ms=block_ms, count=count)

    async def send_command(self, command: Command) -> None:
        """See DeskSource.send_command."""
        await self.client.send_command(command)

    async def heartbeat(self) -> Heartbeat | None:
        """See DeskSource.heartbeat."""
        return await self.client.heartbeat()

    async def reset(self) -> None:
        """Drop the connection pool after an error; the next call reconnects."""
        try:
            await self.client.close()
        finally:
            fresh = self._resolve() if self._resolve is not None else None
            if fresh and fresh != self.redis_url:
                self.redis_url = fresh
                self.follows += 1
            self.client = self._new_client()

    async def close(self) -> None:
        """See DeskSource.close."""
        await self.client.close()


class MemorySource:
    """In-process DeskSource: a fixed snapshot, events pushed with `push`, commands recorded.

    `auto_ack`: optional callable Command → list of events the "engine" answers with (for Pilot
    tests without Redis). `online=False` makes heartbeat() return None (engine offline).
    """

    def __init__(
        self, snapshot: Snapshot | None = None, heartbeat: Heartbeat | None = None, auto_ack: Any = None
    ) -> None:
        self.snapshot = snapshot or Snapshot()
        self.beat = heartbeat
        self.online = heartbeat is not None
        self.auto_ack = auto_ack
        self.commands: list[Command] = []
        self.describe = "memory"
        self._seq = int(self.snapshot.last_event_id.split("-")[0] or 0)
        self._events: list[tuple[str, Any]] = []
        self._wake = asyncio.Event()
        self.snapshot_loads = 0

    def push(self, *views: Any) -> list[str]:
        """Append events to the in-memory stream; returns their ids ("<n>-0")."""
        ids = []
        for view in views:
            self._seq += 1
            event_id = f"{self._seq}-0"
            self._events.append((event_id, view))
            ids.append(event_id)
        self._wake.set()
        return ids

    async def load_snapshot(self) -> Snapshot:
        """See DeskSource.load_snapshot."""
        self.snapshot_loads += 1
        return self.snapshot

    async def read_events(self, after_id: str, block_ms: int = 1000, count: int = 500) -> list[tuple[str, Any]]:
        """See DeskSource.read_events."""
        after = int(after_id.split("-")[0] or 0)
        out = [(i, v) for i, v in self._events if int(i.split("-")[0]) > after][:count]
        if not out:
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), block_ms / 1000)
            except TimeoutError:
                return []
            out = [(i, v) for i, v in self._events if int(i.split("-")[0]) > after][:count]
        if len(self._events) > 20_000:  # keep the bench's stream bounded, like the capped Redis stream
            del self._events[: len(self._events) - 10_000]
        return out

    async def send_command(self, command: Command) -> None:
        """See DeskSource.send_command."""
        self.commands.append(command)
        if self.auto_ack is not None:
            self.push(*self.auto_ack(command))

    async def heartbeat(self) -> Heartbeat | None:
        """See DeskSource.heartbeat."""
        return self.beat if self.online else None

    async def close(self) -> None:
        """See DeskSource.close."""
        return None
