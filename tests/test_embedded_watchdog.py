"""A private server is never left running unwatched: if its watchdog cannot be launched, `start()`
stops the real server and raises EmbeddedServerError; where /proc is unreadable (not Linux) the
missing watchdog is a warning logged once, not silence."""

from __future__ import annotations

import errno
import time
from pathlib import Path

import pytest
import structlog

from arbees_engine.ops import embedded_server as embedded  # the module the servers look _Watchdog up in
from arbees_engine.ops.embedded import EmbeddedRedis, EmbeddedServerError, _pid_alive, _start_time


def _gone(pid: int, started: str, timeout_s: float = 30.0) -> bool:
    """Poll (bounded) until `pid` is no longer the process started at `started` (exited, or reused)."""
    deadline = time.monotonic() + timeout_s
    while _pid_alive(pid) and _start_time(pid) == started:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_watchdog_that_cannot_launch_stops_the_server_and_raises(monkeypatch, tmp_path: Path):
    launched: list[tuple[int, str]] = []

    def no_watchdog(pid: int, first_signal: int, grace_s: float, leftovers=()):
        launched.append((pid, _start_time(pid)))  # the real server, running now
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(embedded, "_Watchdog", no_watchdog)
    server = EmbeddedRedis(tmp_path, databases=1)
    try:
        with structlog.testing.capture_logs() as logs, pytest.raises(EmbeddedServerError, match="watchdog"):
            server.start()
        [(pid, started)] = launched
        assert started, "the server was not running when its watchdog was launched"
        assert _gone(pid, started), f"server pid {pid} still running after the failed start"
        assert server.pid is None and server.proc is None and server._watchdog is None
        assert any(e["event"] == "embedded.watchdog_failed" and e["pid"] == pid for e in logs)
    finally:
        server.stop()


def test_without_proc_servers_are_unwatched_with_one_warning(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(embedded, "_start_time", lambda pid: "")  # what a platform without /proc reads
    launched: list[int] = []
    monkeypatch.setattr(embedded, "_Watchdog", lambda pid, *args: launched.append(pid))
    embedded._warn_unwatched.cache_clear()
    servers = [EmbeddedRedis(tmp_path / name, databases=1) for name in ("a", "b")]
    try:
        with structlog.testing.capture_logs() as logs:
            for server in servers:
                server.start()
                assert server.pid is not None and server._watchdog is None
        assert launched == []  # a watchdog here could never prove the pid is its server
        assert [e["event"] for e in logs if e["event"] == "embedded.unwatched"] == ["embedded.unwatched"]
    finally:
        for server in servers:
            server.stop()
        embedded._warn_unwatched.cache_clear()
