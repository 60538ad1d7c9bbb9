"""`arbees demo` runs the engine as a child that must not outlive the desk (an SSH drop kills the
desk with SIGHUP; the engine then gets SIGTERM from the kernel)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

CHILD = textwrap.dedent("""
    import signal, sys, time
    from pathlib import Path
    out = Path(sys.argv[1])
    def stop(signum, frame):
        tmp = out.with_suffix(".tmp")  # written whole, then renamed: the test never reads it half-written
        tmp.write_text(f"terminated by {signum}")
        tmp.rename(out)
        sys.exit(0)
    signal.signal(signal.SIGTERM, stop)
    out.with_suffix(".ready").write_text("ready")
    while True:
        time.sleep(60)
""")

PARENT = textwrap.dedent("""
    import sys
    from arbees_tui.demo import spawn_child
    with open(sys.argv[2], "wb") as log:
        child = spawn_child([sys.executable, "-c", sys.argv[1], sys.argv[3]], log)
    print(child.pid, flush=True)
    sys.stdin.read()  # block until killed
""")


def _wait_for(path: Path, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.05)  # polling another process's file: no event to wait on
    return False


def test_engine_child_is_terminated_when_the_desk_process_is_killed(tmp_path):
    marker = tmp_path / "child.out"
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, CHILD, str(tmp_path / "log"), str(marker)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    child_pid = int(parent.stdout.readline())
    assert _wait_for(marker.with_suffix(".ready")), "child never started"
    parent.send_signal(signal.SIGKILL)  # no clean-up code runs in the desk at all
    parent.wait(timeout=10)
    assert _wait_for(marker), "the child outlived its parent"
    assert marker.read_text() == f"terminated by {int(signal.SIGTERM)}"
    try:
        os.waitpid(child_pid, 0)
    except ChildProcessError:
        pass  # reparented: not ours to reap


def test_each_demo_starts_an_empty_book_unless_asked_to_keep_it(monkeypatch):
    from arbees_tui.cli import build_parser
    from arbees_tui.demo import engine_command

    monkeypatch.delenv("ARBEES_DATABASE_URL", raising=False)
    fresh = engine_command(build_parser().parse_args(["demo"]), "demo")
    kept = engine_command(build_parser().parse_args(["demo", "--keep-book"]), "demo")
    assert "--fresh-book" in fresh and "--fresh-book" not in kept
    assert "--fresh-book" not in engine_command(
        build_parser().parse_args(["demo"]), "paper-night"
    )  # not the demo's book
    monkeypatch.setenv("ARBEES_DATABASE_URL", "postgresql://127.0.0.1:1/operators_own")
    assert "--fresh-book" not in engine_command(build_parser().parse_args(["demo"]), "demo")


def test_engine_refuses_a_fresh_book_outside_the_simulated_venue():
    # a subprocess: the engine's CLI configures process-wide logging
    done = subprocess.run(
        [sys.executable, "-m", "arbees_engine", "run", "--venue", "kalshi", "--feed", "espn", "--fresh-book"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--fresh-book is for --venue sim" in done.stderr


def test_a_configured_database_is_never_dropped_by_a_fresh_book(pg_dsn, redis_url, tmp_path):
    env = {
        **os.environ,
        "ARBEES_DATABASE_URL": pg_dsn,
        "ARBEES_REDIS_URL": redis_url,
        "ARBEES_KILL_FILE": str(tmp_path / "KILL"),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "arbees_engine",
            "--instance",
            "fresh-test",
            "run",
            "--venue",
            "sim",
            "--speed",
            "max",
            "--for",
            "1",
            "--fresh-book",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "--fresh-book ignored: the database is configured" in done.stderr
    assert "DROP DATABASE" not in done.stderr and "bankroll identity     holds" in done.stdout
