"""A test run killed outright (SIGKILL: no fixture teardown, no atexit) leaves no private Redis or
PostgreSQL running (nor their socket directories): each server's watchdog stops it once the process that started it
is gone,
also when the servers were started from a worker thread that has since exited."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from arbees_engine.ops.embedded import _pid_alive, _socket_open, _start_time

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent

# Writes {"servers": {name: [pid, socket path, start]}, "watchdogs": [[pid, start], ...]} to $ARBEES_PIDS
# atomically; `start` is the pid's /proc start time (`_start_time`), read by the process that owns it.
_REPORT = """
def report(servers):
    import json, os
    from arbees_engine.ops.embedded import _start_time
    watchdogs = [s._watchdog.proc.pid for s in servers.values() if getattr(s, "_watchdog", None)]
    out = {"servers": {name: [s.pid, str(s.socket_path), _start_time(s.pid)] for name, s in servers.items()},
           "watchdogs": [[pid, _start_time(pid)] for pid in watchdogs]}
    with open(os.environ["ARBEES_PIDS"] + ".tmp", "w") as f:
        json.dump(out, f)
    os.replace(os.environ["ARBEES_PIDS"] + ".tmp", os.environ["ARBEES_PIDS"])
"""

# The real session fixtures (tests/conftest.py loaded as a plugin), then a test that never ends.
_PYTEST_CHILD = (
    _REPORT
    + """
import threading

def test_hold(pg_server, redis_server):
    report({"postgres": pg_server, "redis": redis_server})
    threading.Event().wait()
"""
)

# Servers started from a worker thread that then exits (where PR_SET_PDEATHSIG would fire early).
_THREAD_CHILD = (
    _REPORT
    + """
import sys, tempfile, threading
from pathlib import Path
from arbees_engine.ops.embedded import EmbeddedPostgres, EmbeddedRedis

root = Path(tempfile.mkdtemp())
servers = {"postgres": EmbeddedPostgres(root / "pg"), "redis": EmbeddedRedis(root / "redis", databases=4)}
worker = threading.Thread(target=lambda: [s.start() for s in servers.values()])
worker.start()
worker.join()
assert all(s.pid is not None for s in servers.values()), "a server did not start"
report(servers)
threading.Event().wait()
"""
)


def _until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll `condition` every 50 ms until it holds; AssertionError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout_s} s"
        time.sleep(0.05)


def _kill_group_if_same(pid: int, started: str) -> bool:
    """SIGKILL the process group led by `pid` only while `pid` still is the process recorded with
    /proc start time `started` (not a later process that reused the pid); True if signalled."""
    if not started or _start_time(pid) != started or not _pid_alive(pid):
        return False
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


def _child_cmd(kind: str, work: Path) -> list[str]:
    if kind == "thread":
        return [sys.executable, "-c", _THREAD_CHILD]
    (work / "test_hold.py").write_text(_PYTEST_CHILD)
    (work / "pytest.ini").write_text("[pytest]\n")
    return [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-s",
        "-p",
        "no:cacheprovider",
        "-p",
        "conftest",
        "-c",
        str(work / "pytest.ini"),
        "--rootdir",
        str(work),
        str(work / "test_hold.py"),
    ]


@pytest.mark.parametrize("kind", ["pytest-session", "thread"])
def test_sigkilled_test_run_leaves_no_server_running(kind: str) -> None:
    # 0755 under /tmp: the unprivileged postgres user (when run as root) must reach its cluster here.
    work = Path(tempfile.mkdtemp(prefix="arbees-cleanup-"))
    work.chmod(0o755)
    pids_file = work / "pids.json"
    env = {
        **os.environ,
        "TMPDIR": str(work),
        "ARBEES_PIDS": str(pids_file),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS_DIR), str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    with open(work / "child.log", "wb") as log:
        child = subprocess.Popen(
            _child_cmd(kind, work),
            env=env,
            cwd=work,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    report: dict = {"servers": {}, "watchdogs": []}
    try:
        _until(lambda: pids_file.exists() or child.poll() is not None, 120, "servers up")
        assert child.poll() is None, (work / "child.log").read_text()
        report = json.loads(pids_file.read_text())
        servers = report["servers"]
        assert set(servers) == {"postgres", "redis"}
        assert all(_pid_alive(pid) and _socket_open(sock) and started for pid, sock, started in servers.values())

        os.killpg(child.pid, signal.SIGKILL)  # the whole run's group, as a CI timeout would
        child.wait(timeout=10)

        _until(lambda: not any(_pid_alive(pid) for pid, _, _ in servers.values()), 60, "servers stopped")
        assert not any(_socket_open(sock) for _, sock, _ in servers.values())
        # and their private socket directories, which the killed run could not remove, are gone too
        _until(
            lambda: not any(Path(sock).parent.exists() for _, sock, _ in servers.values()), 10, "socket dirs removed"
        )
        _until(lambda: not any(_pid_alive(pid) for pid, _ in report["watchdogs"]), 10, "watchdogs exited")
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
        recorded = [(pid, started) for pid, _, started in report["servers"].values()] + report["watchdogs"]
        for pid, started in recorded:  # only on failure: what this test's child started, never a reused pid
            _kill_group_if_same(pid, started)
        shutil.rmtree(work, ignore_errors=True)


def test_cleanup_kills_only_the_recorded_process_not_a_reused_pid() -> None:
    # A group leader of our own stands in for a recorded server; a different start time stands in for
    # the same pid reused by an unrelated process after the server exited.
    proc = subprocess.Popen(
        [sys.executable, "-c", "import threading; threading.Event().wait()"],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        started = _start_time(proc.pid)  # its /proc entry exists once Popen returned (fork done)
        assert started
        assert not _kill_group_if_same(proc.pid, str(int(started) + 1))  # "reused": left alone
        assert not _kill_group_if_same(proc.pid, "")  # never recorded: left alone
        assert proc.poll() is None
        assert _kill_group_if_same(proc.pid, started)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
