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
        out.write_text(f"terminated by {signum}")
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
    parent = subprocess.Popen([sys.executable, "-c", PARENT, CHILD, str(tmp_path / "log"), str(marker)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
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
