"""A local stand-in for systemd's service manager, for the watchdog tests: it owns NOTIFY_SOCKET,
starts the engine with WATCHDOG_USEC, and when no WATCHDOG=1 arrived for WatchdogSec after READY=1
it sends SIGABRT (systemd's default WatchdogSignal), then SIGKILL if needed, and restarts the
engine (Restart=on-failure, RestartSec=0), timing each step (time.monotonic seconds)."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import time
from dataclasses import dataclass, field

from notify_listener import NotifyListener

POLL_S = 0.02  # the supervisor's own timer resolution (systemd checks on a timer too)


@dataclass
class Restart:
    """One watchdog restart: when the last ping came, when it was declared missed, when the old
    process was gone and when the new one sent READY=1 (monotonic seconds)."""

    last_ping: float
    missed_at: float
    exited_at: float
    ready_at: float
    exit_signal: int


@dataclass
class Supervisor:
    """Runs `argv` under NOTIFY_SOCKET/WATCHDOG_USEC; `restarts` records each watchdog restart."""

    argv: list[str]
    env: dict[str, str]
    watchdog_s: float
    listener: NotifyListener = field(default_factory=NotifyListener)
    restarts: list[Restart] = field(default_factory=list)
    proc: subprocess.Popen | None = None
    log: object = subprocess.DEVNULL  # where the engine's stderr goes (a file to keep it)

    def start(self, ready_timeout_s: float = 90.0) -> float:
        """Start the engine and wait for READY=1; returns its stamp. Raises TimeoutError."""
        mark = len(self.listener.messages)
        env = {**self.env, "NOTIFY_SOCKET": self.listener.path, "WATCHDOG_USEC": str(int(self.watchdog_s * 1e6))}
        self.proc = subprocess.Popen(
            self.argv, env=env, stdout=subprocess.DEVNULL, stderr=self.log, preexec_fn=_no_core_dumps
        )
        stamp, _ = self.listener.wait_for(lambda t: "READY=1" in t.split("\n"), ready_timeout_s, mark)
        return stamp

    def watch_once(self, timeout_s: float) -> Restart:
        """Watch pings until one is missed (WatchdogSec without WATCHDOG=1), then abort and restart.
        Raises TimeoutError when the engine kept pinging for `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            pings = self.listener.pings()
            last = pings[-1] if pings else time.monotonic()
            now = time.monotonic()
            if now - last > self.watchdog_s:
                return self._restart(last, now)
            time.sleep(POLL_S)
        raise TimeoutError("the engine never missed its watchdog")

    def _restart(self, last_ping: float, missed_at: float) -> Restart:
        self.proc.send_signal(signal.SIGABRT)
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(timeout=10)
        exited_at = time.monotonic()
        ready_at = self.start()
        record = Restart(last_ping, missed_at, exited_at, ready_at, -code)
        self.restarts.append(record)
        return record

    def stop(self, timeout_s: float = 60.0) -> int:
        """SIGTERM the engine (systemctl stop); returns its exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(timeout=10)

    def close(self) -> None:
        """Stop the engine if running and the listener."""
        self.stop()
        self.listener.close()


def _no_core_dumps() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.setsid()
