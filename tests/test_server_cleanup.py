"""A test run killed outright (SIGKILL: no fixture teardown, no atexit) leaves no private Redis or
PostgreSQL running: each server's watchdog stops it once the process that started it is gone,
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

from arbees_engine.runtime.embedded import _pid_alive, _port_open

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent

# Writes {"servers": {name: [pid, port]}, "watchdogs": [pid, ...]} to $ARBEES_PIDS atomically.
_REPORT = '''
def report(servers):
    import json, os
    out = {"servers": {name: [s.pid, s.port] for name, s in servers.items()},
           "watchdogs": [s._watchdog.proc.pid for s in servers.values() if getattr(s, "_watchdog", None)]}
    with open(os.environ["ARBEES_PIDS"] + ".tmp", "w") as f:
        json.dump(out, f)
    os.replace(os.environ["ARBEES_PIDS"] + ".tmp", os.environ["ARBEES_PIDS"])
'''

# The real session fixtures (tests/conftest.py loaded as a plugin), then a test that never ends.
_PYTEST_CHILD = _REPORT + '''
import threading

def test_hold(pg_server, redis_server):
    report({"postgres": pg_server, "redis": redis_server})
    threading.Event().wait()
'''

# Servers started from a worker thread that then exits (where PR_SET_PDEATHSIG would fire early).
_THREAD_CHILD = _REPORT + '''
import sys, tempfile, threading
from pathlib import Path
from arbees_engine.runtime import EmbeddedPostgres, EmbeddedRedis

root = Path(tempfile.mkdtemp())
servers = {"postgres": EmbeddedPostgres(root / "pg"), "redis": EmbeddedRedis(root / "redis", databases=4)}
worker = threading.Thread(target=lambda: [s.start() for s in servers.values()])
worker.start()
worker.join()
assert all(s.pid is not None for s in servers.values()), "a server did not start"
report(servers)
threading.Event().wait()
'''


def _until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll `condition` every 50 ms until it holds; AssertionError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout_s} s"
        time.sleep(0.05)


def _child_cmd(kind: str, work: Path) -> list[str]:
    if kind == "thread":
        return [sys.executable, "-c", _THREAD_CHILD]
    (work / "test_hold.py").write_text(_PYTEST_CHILD)
    (work / "pytest.ini").write_text("[pytest]\n")
    return [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-p", "conftest",
            "-c", str(work / "pytest.ini"), "--rootdir", str(work), str(work / "test_hold.py")]


@pytest.mark.parametrize("kind", ["pytest-session", "thread"])
def test_sigkilled_test_run_leaves_no_server_running(kind: str) -> None:
    # 0755 under /tmp: the unprivileged postgres user (when run as root) must reach its cluster here.
    work = Path(tempfile.mkdtemp(prefix="arbees-cleanup-"))
    work.chmod(0o755)
    pids_file = work / "pids.json"
    env = {**os.environ, "TMPDIR": str(work), "ARBEES_PIDS": str(pids_file),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS_DIR), str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    with open(work / "child.log", "wb") as log:
        child = subprocess.Popen(_child_cmd(kind, work), env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
    report: dict = {"servers": {}, "watchdogs": []}
    try:
        _until(lambda: pids_file.exists() or child.poll() is not None, 120, "servers up")
        assert child.poll() is None, (work / "child.log").read_text()
        report = json.loads(pids_file.read_text())
        servers = report["servers"]
        assert set(servers) == {"postgres", "redis"}
        assert all(_pid_alive(pid) and _port_open(port) for pid, port in servers.values())

        os.killpg(child.pid, signal.SIGKILL)  # the whole run's group, as a CI timeout would
        child.wait(timeout=10)

        _until(lambda: not any(_pid_alive(pid) for pid, _ in servers.values()), 60, "servers stopped")
        assert not any(_port_open(port) for _, port in servers.values())
        _until(lambda: not any(_pid_alive(pid) for pid in report["watchdogs"]), 10, "watchdogs exited")
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
        for pid in [pid for pid, _ in report["servers"].values()] + report["watchdogs"]:
            if _pid_alive(pid):  # only on failure: what this test's child started
                os.killpg(pid, signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)
