"""A tiny engine stand-in that speaks the bus's Redis layout (arbees_engine/bus/messages.py docstring)
directly with redis-py: seeds the snapshot, appends events, answers commands with acks, beats."""

from __future__ import annotations

import asyncio
import os

import redis.asyncio as aioredis

from arbees_engine.bus.messages import (
    COMMAND_GROUP,
    BusKeys,
    Command,
    CommandAck,
    CommandAction,
    Heartbeat,
    pack,
    snapshot_field,
    unpack_as,
)
from arbees_tui.state import Snapshot

from .deskkit import NOW


class FakeEngine:
    """Writes like the engine does (single writer; snapshot + event in one MULTI/EXEC)."""

    def __init__(self, url: str, instance: str = "default") -> None:
        self.keys = BusKeys(instance)
        self.redis = aioredis.Redis.from_url(url)
        self.seq = 0
        self.engine = None
        self.commands: list[Command] = []
        self.refuse_versions_below: dict[str, int] = {}

    async def seed(self, snap: Snapshot, stream_events: int = 0) -> None:
        """Write `snap` as the snapshot; `stream_events` events already reflected precede its id."""
        self.engine = snap.engine
        fields = {snapshot_field(v): pack(v) for views in snap.entities.values() for v in views.values()}
        fields[snapshot_field(snap.engine)] = pack(snap.engine)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.keys.snapshot, self.keys.events, self.keys.audit)
            for _ in range(stream_events):
                self.seq += 1
                pipe.xadd(self.keys.events, {"k": "engine", "d": pack(snap.engine)}, id=f"{self.seq}-0")
            fields["last_event_id"] = f"{self.seq}-0"
            pipe.hset(self.keys.snapshot, mapping=fields)
            for view in reversed(snap.audit):
                pipe.lpush(self.keys.audit, pack(view))
            await pipe.execute()

    async def publish(self, *views) -> None:
        """Append events and fold entity views into the snapshot, atomically."""
        async with self.redis.pipeline(transaction=True) as pipe:
            for view in views:
                self.seq += 1
                event_id = f"{self.seq}-0"
                pipe.xadd(self.keys.events, {"k": view.kind, "d": pack(view)}, id=event_id)
                if view.kind not in ("ack", "audit", "removed"):
                    pipe.hset(self.keys.snapshot, mapping={snapshot_field(view): pack(view), "last_event_id": event_id})
            await pipe.execute()

    async def beat(self, pid: int = 4242, ttl_s: float = 5.0) -> None:
        mode = self.engine.mode if self.engine else "auto"
        kill = self.engine.kill_engaged if self.engine else False
        hb = Heartbeat(instance=self.keys.instance, pid=pid, seq=self.seq, ts=NOW, mode=mode, kill_engaged=kill)
        await self.redis.set(self.keys.heartbeat, pack(hb), px=int(ttl_s * 1000))

    async def serve_commands(self) -> None:
        """Consume the command stream through group "engine" and answer every command."""
        try:
            await self.redis.xgroup_create(self.keys.commands, COMMAND_GROUP, id="0", mkstream=True)
        except aioredis.ResponseError:
            pass  # group exists
        while True:
            resp = await self.redis.xreadgroup(
                COMMAND_GROUP, f"fake-{os.getpid()}", {self.keys.commands: ">"}, count=10, block=200
            )
            for _stream, entries in resp or ():
                for entry_id, fields in entries:
                    command = unpack_as(Command, fields[b"d"])
                    self.commands.append(command)
                    await self.answer(command)
                    await self.redis.xack(self.keys.commands, COMMAND_GROUP, entry_id)

    async def answer(self, command: Command) -> None:
        ok, outcome, detail, extra = True, "done", "", []
        if command.action == CommandAction.KILL:
            self.engine = self.engine.model_copy(
                update={
                    "kill_engaged": True,
                    "mode": "halted",
                    "kill_operator": command.operator,
                    "kill_reason": command.reason,
                }
            )
            extra.append(self.engine)
        elif command.action == CommandAction.RESUME:
            self.engine = self.engine.model_copy(update={"kill_engaged": False, "mode": "auto"})
            extra.append(self.engine)
        elif command.action in (CommandAction.APPROVE, CommandAction.REJECT):
            floor = self.refuse_versions_below.get(command.signal_id or "", 0)
            if (command.signal_version or 0) < floor:
                ok, outcome, detail = False, "refused", f"stale signal version {command.signal_version} < {floor}"
        ack = CommandAck(
            command_id=command.command_id,
            action=command.action.value,
            ok=ok,
            outcome=outcome,
            detail=detail,
            operator=command.operator,
            acked_at=NOW,
        )
        await self.publish(*extra, ack)

    async def close(self) -> None:
        await self.redis.aclose()


async def run_task(coro) -> asyncio.Task:
    return asyncio.create_task(coro)
