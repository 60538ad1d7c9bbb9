"""Engine side of the bus: snapshot + event stream writer, heartbeat, command consumer.

The hot path calls `publish()` / `remove()` / `audit()`, which only queue in memory. A flush
task writes each batch in one MULTI/EXEC: XADD every event with an id the engine assigns (it is
the single writer), HSET/HDEL the snapshot, and set `last_event_id` to the batch's last id, so
a desk reading the snapshot and then tailing from `last_event_id` sees every change once.
Quote views are coalesced per market and flushed at most every `quote_interval_s` seconds
(ARCHITECTURE.md: quote events may be throttled; order, fill, signal, mode, audit never are).
When Redis is down, `ok` turns False (the engine then refuses new positions), events are kept
up to `max_backlog`, and on reconnect the whole snapshot is rewritten from `state_provider`.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterable

import redis.asyncio as aioredis
import structlog
from pydantic import BaseModel
from redis.exceptions import RedisError, ResponseError

from .messages import (
    AUDIT_MAXLEN,
    COMMAND_GROUP,
    EVENTS_MAXLEN,
    HEARTBEAT_INTERVAL_S,
    HEARTBEAT_TTL_S,
    BusError,
    BusKeys,
    Command,
    CommandAck,
    CommandAction,
    Heartbeat,
    Removed,
    Resync,
    pack,
    snapshot_field,
    unpack_as,
    utcnow,
)

log = structlog.get_logger(__name__)

CommandHandler = Callable[[Command, bool], Awaitable[CommandAck]]  # (command, superseded by a later kill)
COMMAND_BATCH = 500  # command entries read (and acknowledged) per round trip
COMMANDS_MAXLEN = 1_000  # the command stream is trimmed to about this many entries before each read
_HISTORY_KINDS = ("audit", "ack", "fill")  # streamed, never part of the snapshot


class BusPublisher:
    """Writes engine state to Redis. `state_provider()` returns every current view (for resync);
    `heartbeat_info()` returns (mode, kill_engaged)."""

    def __init__(
        self,
        redis_url: str,
        instance: str,
        state_provider: Callable[[], Iterable[BaseModel]],
        heartbeat_info: Callable[[], tuple[str, bool]],
        quote_interval_s: float = 0.25,
        flush_interval_s: float = 0.05,
        max_backlog: int = 50_000,
    ) -> None:
        self.keys = BusKeys(instance)
        self.redis = aioredis.Redis.from_url(redis_url, socket_connect_timeout=2.0, socket_timeout=5.0)
        self._state_provider = state_provider
        self._heartbeat_info = heartbeat_info
        self.quote_interval_s = quote_interval_s
        self.flush_interval_s = flush_interval_s
        self.max_backlog = max_backlog
        self._events: list[BaseModel] = []
        self._quotes: dict[str, BaseModel] = {}
        self._audit: list[BaseModel] = []
        self._audit_batch: list[BaseModel] = []
        self._last_quote_flush = 0.0
        self._last_ms = 0
        self._seq = 0
        self._hb_seq = 0
        self._need_resync = True
        self.ok = False
        self.dropped_events = 0
        self.published_events = 0
        self.bad_commands = 0
        self.trimmed_commands = 0  # entries the command stream's cap removed (read or not)
        self._wake = asyncio.Event()

    # -- hot path: in-memory only ------------------------------------------------------------
    @property
    def backlog(self) -> int:
        """Events queued in memory, not yet flushed to Redis (the bus's lag in events)."""
        return len(self._events)

    def publish(self, view: BaseModel) -> None:
        """Queue an entity view; quotes are coalesced per market."""
        if view.kind == "quote":  # type: ignore[attr-defined]
            self._quotes[view.key] = view  # type: ignore[attr-defined]
            return
        self._queue(view)

    def remove(self, entity_kind: str, entity_id: str) -> None:
        """Queue removal of an entity from the snapshot."""
        if entity_kind == "quote":
            self._quotes.pop(entity_id, None)
        self._queue(Removed(entity_kind=entity_kind, entity_id=entity_id))

    def audit(self, view: BaseModel) -> None:
        """Queue an audit line (an event, and the capped audit list)."""
        self._audit.append(view)
        self._queue(view)

    def _queue(self, view: BaseModel) -> None:
        if len(self._events) >= self.max_backlog:
            self.dropped_events += 1
            self._need_resync = True  # the snapshot rewrite restores what the stream lost
            return
        self._events.append(view)

    # -- writer ------------------------------------------------------------------------------
    def _next_id(self) -> str:
        ms = max(int(time.time() * 1000), self._last_ms)
        if ms == self._last_ms:
            self._seq += 1
        else:
            self._last_ms, self._seq = ms, 0
        return f"{ms}-{self._seq}"

    async def _init_ids(self) -> None:
        last = await self.redis.xrevrange(self.keys.events, count=1)
        if last:
            ms, seq = (int(x) for x in last[0][0].decode().split("-"))
            self._last_ms, self._seq = ms, seq

    async def _write(self, events: list[BaseModel], resync: bool) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            last_id = None
            if resync:
                # The rewritten snapshot already reflects every queued state change; only
                # history (audit, acks, fills) still needs to go down the stream.
                events = [v for v in events if v.kind in _HISTORY_KINDS]  # type: ignore[attr-defined]
                pipe.delete(self.keys.snapshot)
                for view in self._state_provider():
                    pipe.hset(self.keys.snapshot, snapshot_field(view), pack(view))
                last_id = self._next_id()
                pipe.xadd(
                    self.keys.events,
                    {"k": "resync", "d": pack(Resync(reason="snapshot rewritten"))},
                    id=last_id,
                    maxlen=EVENTS_MAXLEN,
                    approximate=True,
                )
            for view in events:
                last_id = self._next_id()
                pipe.xadd(
                    self.keys.events,
                    {"k": view.kind, "d": pack(view)},  # type: ignore[attr-defined]
                    id=last_id,
                    maxlen=EVENTS_MAXLEN,
                    approximate=True,
                )
                if isinstance(view, Removed):
                    pipe.hdel(self.keys.snapshot, f"{view.entity_kind}:{view.entity_id}")
                elif view.kind not in _HISTORY_KINDS:  # type: ignore[attr-defined]
                    pipe.hset(self.keys.snapshot, snapshot_field(view), pack(view))
            if last_id is not None:
                pipe.hset(self.keys.snapshot, "last_event_id", last_id)
            for view in self._audit_batch:
                pipe.lpush(self.keys.audit, pack(view))
            if self._audit_batch:
                pipe.ltrim(self.keys.audit, 0, AUDIT_MAXLEN - 1)
            await pipe.execute()

    async def flush(self) -> None:
        """Write everything queued. Raises redis errors (the caller marks the bus down)."""
        now = time.monotonic()
        events = self._events
        if self._quotes and now - self._last_quote_flush >= self.quote_interval_s:
            events = events + list(self._quotes.values())
            self._quotes = {}
            self._last_quote_flush = now
        if not events and not self._need_resync:
            return
        self._events = []
        self._audit_batch, self._audit = self._audit, []
        resync = self._need_resync
        try:
            await self._write(events, resync)
        except BaseException:
            # Keep the batch for the next attempt; order is preserved.
            self._events = events + self._events
            self._audit = self._audit_batch + self._audit
            raise
        self._need_resync = False
        self.published_events += len(events)

    async def beat(self) -> None:
        """Refresh the heartbeat key (TTL HEARTBEAT_TTL_S)."""
        mode, kill = self._heartbeat_info()
        self._hb_seq += 1
        hb = Heartbeat(
            instance=self.keys.instance, pid=os.getpid(), seq=self._hb_seq, ts=utcnow(), mode=mode, kill_engaged=kill
        )
        await self.redis.set(self.keys.heartbeat, pack(hb), px=int(HEARTBEAT_TTL_S * 1000))

    async def run(self) -> None:
        """Flush and heartbeat until cancelled; survives Redis outages (ok=False meanwhile)."""
        last_beat = 0.0
        while True:
            _raise_if_cancelling()  # a driver may have absorbed the CancelledError itself
            try:
                if not self.ok:
                    await self._init_ids()  # raises while Redis is still down
                    self._need_resync = True
                    self.ok = True  # before the resync, so the rewritten status says bus ok
                    log.info("bus.up")
                await self.flush()
                if time.monotonic() - last_beat >= HEARTBEAT_INTERVAL_S:
                    await self.beat()
                    last_beat = time.monotonic()
            except (RedisError, OSError) as exc:
                _raise_if_cancelling()
                if self.ok:
                    log.error("bus.down", error=str(exc))
                self.ok = False
                await asyncio.sleep(0.5)
                continue
            await asyncio.sleep(self.flush_interval_s)

    async def consume_commands(self, handler: CommandHandler, consumer: str | None = None) -> None:
        """Read the command stream through consumer group "engine", answer each with an ack event.

        At start (and after a Redis outage) the group's pending entries, delivered to any consumer
        (an engine killed before it acknowledged them) are claimed (XAUTOCLAIM) and processed
        first. Entries are read COMMAND_BATCH at a time, kills first (`_handle_batch`), and
        acknowledged in one XACK; the stream is trimmed to about COMMANDS_MAXLEN entries before each
        read, so a flood of junk cannot queue a kill behind it. A malformed command is acknowledged
        as failed and counted. Runs until cancelled.
        """
        consumer = consumer or f"engine-{os.getpid()}"
        backlog = True
        while True:
            _raise_if_cancelling()
            try:
                if backlog:
                    await self._join_group(consumer)
                await self._trim_commands()
                start = "0" if backlog else ">"
                resp = await self.redis.xreadgroup(
                    COMMAND_GROUP,
                    consumer,
                    {self.keys.commands: start},
                    count=COMMAND_BATCH,
                    block=None if backlog else 500,
                )
                entries = [e for _s, es in resp or () for e in es]
                if backlog and not entries:
                    backlog = False
                if entries:
                    await self._handle_batch(handler, entries)
            except (RedisError, OSError) as exc:
                _raise_if_cancelling()
                log.warning("bus.commands_down", error=str(exc))
                backlog = True
                await asyncio.sleep(0.5)

    async def _join_group(self, consumer: str) -> None:
        """Create the group if needed and take over every entry pending on any consumer of it."""
        try:
            await self.redis.xgroup_create(self.keys.commands, COMMAND_GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        cursor: bytes | str = "0-0"
        while True:  # XAUTOCLAIM pages through the PEL; "0-0" back means done (Redis >= 6.2)
            reply = await self.redis.xautoclaim(
                self.keys.commands, COMMAND_GROUP, consumer, min_idle_time=0, start_id=cursor, count=COMMAND_BATCH
            )
            cursor = reply[0]
            if cursor in (b"0-0", "0-0"):
                return

    async def _trim_commands(self) -> None:
        """Cap the command stream at about COMMANDS_MAXLEN entries (oldest go); counted, logged."""
        trimmed = await self.redis.xtrim(self.keys.commands, maxlen=COMMANDS_MAXLEN, approximate=True)
        if trimmed:
            self.trimmed_commands += trimmed
            log.warning("bus.commands_trimmed", entries=trimmed, total=self.trimmed_commands)

    def _decode(self, entry_id: bytes, fields: dict | None) -> Command | CommandAck | None:
        """The entry's Command; a failed ack for a malformed one; None for an entry trimmed away."""
        if fields is None:
            return None
        try:
            return unpack_as(Command, fields.get(b"d", b""))  # type: ignore[return-value]
        except BusError as exc:
            self.bad_commands += 1
            log.warning("bus.bad_command", entry_id=entry_id, error=str(exc))
            return CommandAck(
                command_id=f"malformed:{entry_id.decode()}",
                action="unknown",
                ok=False,
                outcome="failed",
                detail=f"malformed command: {exc}",
                acked_at=utcnow(),
            )

    async def _handle_batch(self, handler: CommandHandler, entries: list) -> None:
        """Run the batch's kills first, then the rest in stream order; a resume sent before a kill of
        the same batch is handed over as superseded (it must not lift that kill); one XACK for all."""
        decoded = [self._decode(entry_id, fields) for entry_id, fields in entries]
        kills = [i for i, c in enumerate(decoded) if isinstance(c, Command) and c.action is CommandAction.KILL]
        last_kill, first = (kills[-1] if kills else -1), set(kills)
        for i in kills + [i for i in range(len(decoded)) if i not in first]:
            item = decoded[i]
            if isinstance(item, CommandAck):
                self.publish(item)
            elif item is not None:
                superseded = i < last_kill and item.action is CommandAction.RESUME
                self.publish(await self._run_handler(handler, item, superseded))
        await self.redis.xack(self.keys.commands, COMMAND_GROUP, *[entry_id for entry_id, _ in entries])

    async def _run_handler(self, handler: CommandHandler, command: Command, superseded: bool) -> CommandAck:
        """The handler's ack; a bug in it is logged and answered as failed (the consumer goes on)."""
        try:
            return await handler(command, superseded)
        except Exception as exc:  # noqa: BLE001 - one bad command must not stop the command channel
            log.exception("bus.command_handler_failed", command_id=command.command_id)
            return CommandAck(
                command_id=command.command_id,
                action=command.action.value,
                ok=False,
                outcome="failed",
                detail=f"engine error: {exc!r}",
                acked_at=utcnow(),
            )

    async def close(self) -> None:
        """Best-effort final flush, then close the pool."""
        try:
            self._last_quote_flush = 0.0
            await self.flush()
        except (RedisError, OSError):
            pass
        await self.redis.aclose()


def _raise_if_cancelling() -> None:
    """redis-py turns a cancellation during a command into a ConnectionError; a task being
    cancelled must still stop, not retry forever."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError()
