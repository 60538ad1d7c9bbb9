"""Reader/commander side of the bus: what the desk and `arbees-engine status|kill|resume` use.

Attach protocol (ARCHITECTURE.md): `load_snapshot()` reads the snapshot hash and its
`last_event_id` atomically, then `read_events(after_id=snapshot.last_event_id)` tails the
stream from exactly there, so nothing is missed or counted twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import redis.asyncio as aioredis
import structlog

from .messages import (
    AuditView,
    BusError,
    BusEvent,
    BusKeys,
    Command,
    CommandAck,
    EngineStatus,
    Heartbeat,
    pack,
    unpack_as,
    unpack_event,
    utcnow,
)
from .signing import CLOCK_SKEW_S, timed_out

log = structlog.get_logger(__name__)


@dataclass
class Snapshot:
    """The engine's state at `last_event_id`.

    entities: kind ("game", "quote", "signal", ...) → key → view.
    engine: the EngineStatus, or None if no engine has published yet.
    audit: newest first. bad_entries: fields that failed to decode (counted, skipped).
    """

    entities: dict[str, dict[str, BusEvent]] = field(default_factory=dict)
    engine: EngineStatus | None = None
    last_event_id: str = "0-0"
    audit: list[AuditView] = field(default_factory=list)
    bad_entries: int = 0


class BusClient:
    """Async client for one engine instance's bus. Raises redis.exceptions.ConnectionError when
    Redis is unreachable (callers decide whether to retry); never raises on a bad entry."""

    def __init__(self, redis_url: str, instance: str = "default") -> None:
        self.keys = BusKeys(instance)
        self.redis = aioredis.Redis.from_url(redis_url, socket_connect_timeout=2.0, socket_timeout=5.0)
        self.bad_events = 0

    async def load_snapshot(self, audit_limit: int = 200) -> Snapshot:
        """Read snapshot hash, last event id and the newest audit lines in one MULTI/EXEC."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(self.keys.snapshot)
            pipe.lrange(self.keys.audit, 0, audit_limit - 1)
            raw, audit_raw = await pipe.execute()
        snap = Snapshot()
        for fname, data in raw.items():
            name = fname.decode()
            if name == "last_event_id":
                snap.last_event_id = data.decode()
                continue
            try:
                view = unpack_event(data)
            except BusError:
                snap.bad_entries += 1
                continue
            if isinstance(view, EngineStatus):
                snap.engine = view
            else:
                snap.entities.setdefault(view.kind, {})[view.key] = view
        for data in audit_raw:
            try:
                view = unpack_event(data)
            except BusError:
                snap.bad_entries += 1
                continue
            if isinstance(view, AuditView):
                snap.audit.append(view)
        return snap

    async def read_events(
        self, after_id: str, block_ms: int | None = 1000, count: int = 500
    ) -> list[tuple[str, BusEvent]]:
        """Events with id > `after_id`, oldest first; blocks up to `block_ms` (None: don't block)."""
        resp = await self.redis.xread({self.keys.events: after_id}, count=count, block=block_ms)
        out: list[tuple[str, BusEvent]] = []
        for _stream, entries in resp or ():
            for entry_id, fields in entries:
                try:
                    out.append((entry_id.decode(), unpack_event(fields[b"d"])))
                except (BusError, KeyError):
                    self.bad_events += 1
                    log.warning("bus.bad_event", entry_id=entry_id)
        return out

    async def last_event_id(self) -> str:
        """Id of the newest event in the stream, or "0-0"."""
        entries = await self.redis.xrevrange(self.keys.events, count=1)
        return entries[0][0].decode() if entries else "0-0"

    async def send_command(self, command: Command) -> None:
        """Append a command to the engine's command stream."""
        await self.redis.xadd(self.keys.commands, {"d": pack(command)})

    async def command_and_wait(
        self,
        command: Command,
        timeout_s: float = 5.0,
        clock: Callable[[], datetime] = utcnow,
        skew_s: float = CLOCK_SKEW_S,
    ) -> CommandAck | None:
        """Send `command` and wait for its acknowledgement event.

        Returns None only once the command can no longer run: `clock` (the wall clock, as the
        engine's) is past its expires_at by `skew_s` seconds (bus/signing.py, `timed_out`), so a
        None ("timed out") never turns into a command executed later. A command without
        expires_at (unsigned: the engine refuses it) waits `timeout_s` seconds."""
        after = await self.last_event_id()
        await self.send_command(command)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s

        def left() -> float:
            if command.expires_at is None:
                return deadline - loop.time()
            return (
                0.0
                if timed_out(command, clock(), skew_s)
                else max(0.001, (command.expires_at - clock()).total_seconds() + skew_s)
            )

        while (wait := left()) > 0:
            for entry_id, event in await self.read_events(after, block_ms=max(1, int(min(wait, 1.0) * 1000))):
                after = entry_id
                if isinstance(event, CommandAck) and event.command_id == command.command_id:
                    return event
        return None

    async def heartbeat(self) -> Heartbeat | None:
        """The engine's latest heartbeat, or None when it has expired (engine offline)."""
        data = await self.redis.get(self.keys.heartbeat)
        if data is None:
            return None
        try:
            return unpack_as(Heartbeat, data)  # type: ignore[return-value]
        except BusError:
            self.bad_events += 1
            return None

    async def close(self) -> None:
        """Close the connection pool."""
        await self.redis.aclose()
