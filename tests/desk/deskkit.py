"""Desk test kit: a fixed clock, deterministic ids, an app factory over MemorySource, a
`settle` coroutine that waits (by condition, not by sleeping blindly) for the desk to attach,
and a private redis-server that a test may stop and restart (link-loss tests)."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ["TEXTUAL_ANIMATIONS"] = "none"

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from arbees_engine.bus.messages import Command, CommandAck  # noqa: E402
from arbees_engine.bus.signing import OperatorKey  # noqa: E402
from arbees_tui.app import ArbeesApp  # noqa: E402
from arbees_tui.sample import heartbeat, sample_snapshot  # noqa: E402
from arbees_tui.source import MemorySource  # noqa: E402

NOW = datetime(2026, 11, 25, 1, 0, 0, tzinfo=UTC)
ALICE = OperatorKey("alice", Ed25519PrivateKey.generate())  # the desks' operator key in these tests


class FakeClock:
    """A settable clock: `clock()` returns `now`; `advance(seconds)` moves it."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def ack_ok(command: Command) -> list[CommandAck]:
    """Engine stand-in for MemorySource: every command succeeds."""
    return [
        CommandAck(
            command_id=command.command_id,
            action=command.action.value,
            ok=True,
            outcome="done",
            detail="ok",
            operator=command.operator,
            acked_at=NOW,
        )
    ]


def make_app(
    mode: str = "auto",
    kill: bool = False,
    online: bool = True,
    auto_ack: Any = None,
    clock: Callable[[], datetime] | None = None,
    theme: str | None = None,
    config_path: Path | None = None,
    source: Any = None,
    key: OperatorKey | None = ALICE,
) -> ArbeesApp:
    """An ArbeesApp over a MemorySource with the sample desk; deterministic ids c-0001, c-0002, ...;
    commands signed with `key` (None: a desk without an operator key)."""
    if source is None:
        beat = heartbeat(NOW, mode, kill) if online else None
        source = MemorySource(sample_snapshot(NOW, mode=mode, kill=kill), beat, auto_ack=auto_ack)
    ids = itertools.count(1)
    return ArbeesApp(
        source,
        operator="alice",
        key=key,
        clock=clock or (lambda: NOW),
        new_id=lambda: f"c-{next(ids):04d}",
        theme=theme,
        config_path=config_path,
        frozen=True,
        heartbeat_interval_s=0.05,
    )


async def wait_for(pilot: Any, predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Let the app run until `predicate()` holds; fails the test after `timeout_s`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {timeout_s} s: {predicate}")
        await pilot.pause(0.01)


async def settle(pilot: Any) -> None:
    """Wait for the snapshot and a heartbeat poll, then paint once."""
    app = pilot.app
    await wait_for(pilot, lambda: app.feed.attaches > 0 and app.heartbeat_polls > 0 and app.paints > 0)
    app.tick()
    await pilot.pause()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server on 127.0.0.1 that the test owns and may stop/start (same port)."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.dir = tempfile.mkdtemp(prefix="desk-redis-")
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        exe = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.proc = subprocess.Popen(
            [
                exe,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis.from_url(self.url)
        for _ in range(500):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                import time

                time.sleep(0.01)  # process start-up; polled, bounded
        client.close()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None
