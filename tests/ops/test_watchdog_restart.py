"""The real `arbees-engine run --venue sim` under a local systemd stand-in (supervisor.py): its
event loop is deliberately wedged (a SIGUSR1 handler that blocks the main thread, as a bad frame
did for 78 s), the watchdog pings stop, the supervisor aborts and restarts it, and the restarted
engine reports READY=1 again. Prints the measured time to restart."""

from __future__ import annotations

import itertools
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import pytest
from supervisor import Supervisor

WATCHDOG_S = 2.0  # WatchdogSec=2
CHILD = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGUSR1, lambda *_: time.sleep(3600))  # wedge the loop on demand\n"
    "from arbees_engine.cli import main\n"
    "sys.exit(main(['run', '--venue', 'sim', '--speed', '20', '--games', '2']))\n"
)


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_stalled_engine_is_restarted_by_the_watchdog(pg_dsn, redis_url):
    home = Path(tempfile.mkdtemp(prefix="arbees-wd-"))
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home),
        "XDG_CONFIG_HOME": str(home),
        "ARBEES_CONFIG": str(home / "none.toml"),
        "ARBEES_DATABASE_URL": pg_dsn,
        "ARBEES_REDIS_URL": redis_url,
        "ARBEES_INSTANCE": "wd-test",
        "ARBEES_KILL_FILE": str(home / "KILL"),
        "ARBEES_LOG_FORMAT": "journal",
    }
    log = open(home / "engine.log", "ab")  # noqa: SIM115 - held by the supervisor across restarts, closed below
    sup = Supervisor([sys.executable, "-c", CHILD], env, WATCHDOG_S, log=log)
    try:
        first_ready = sup.start()
        pings = sup.listener.wait_pings(3, 30)  # healthy: pings every WatchdogSec/2
        assert all(b - a < WATCHDOG_S for a, b in itertools.pairwise(pings))
        with pytest.raises(TimeoutError):
            sup.watch_once(timeout_s=2 * WATCHDOG_S)  # a healthy engine is never restarted
        stalled_at = time.monotonic()
        os.kill(sup.proc.pid, signal.SIGUSR1)
        restart = sup.watch_once(timeout_s=60)
        assert restart.exit_signal == signal.SIGABRT
        assert WATCHDOG_S <= restart.missed_at - restart.last_ping <= WATCHDOG_S + 1.0
        assert restart.ready_at > first_ready
        sup.listener.wait_pings(2, 30)  # the new engine pings again
        assert sup.stop() == 0
        assert any(t.startswith("STOPPING=1") for _, t in sup.listener.messages)
    finally:
        sup.close()
        log.close()
    print(
        f"\nwatchdog restart: stall → missed {restart.missed_at - stalled_at:.2f} s, "
        f"missed → exited {restart.exited_at - restart.missed_at:.2f} s, "
        f"exited → READY {restart.ready_at - restart.exited_at:.2f} s, "
        f"stall → READY (time to restart) {restart.ready_at - stalled_at:.2f} s"
    )
