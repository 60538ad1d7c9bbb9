"""systemd service notification (sd_notify(3)): READY=1, WATCHDOG=1, STOPPING=1 and STATUS= lines.

Messages go to the Unix datagram socket named by `NOTIFY_SOCKET` (a leading "@" means the
abstract namespace) through the `sdnotify` library. Without NOTIFY_SOCKET (not under systemd)
every call is a no-op. The watchdog interval comes from `WATCHDOG_USEC` (set by systemd from the
unit's `WatchdogSec=`; ignored when `WATCHDOG_PID` names another process); pings are sent at half
of it, as sd_watchdog_enabled(3) recommends, from a task on the event loop itself: a blocked
loop sends none, so systemd kills and restarts the process.
"""

from __future__ import annotations

import os

import sdnotify
import structlog

log = structlog.get_logger(__name__)


def watchdog_interval_s(environ: dict[str, str] | None = None) -> float | None:
    """Seconds between WATCHDOG=1 pings (half of WATCHDOG_USEC), or None when no watchdog is asked
    for. Raises nothing: a malformed WATCHDOG_USEC is logged and treated as absent."""
    env = os.environ if environ is None else environ
    usec, pid = env.get("WATCHDOG_USEC"), env.get("WATCHDOG_PID")
    if not usec or (pid and pid.strip() != str(os.getpid())):
        return None
    try:
        value = int(usec)
    except ValueError:
        log.error("systemd.bad_watchdog_usec", value=usec)
        return None
    return value / 2 / 1e6 if value > 0 else None


class ServiceNotifier:
    """Sends sd_notify messages; every method is a cheap no-op when NOTIFY_SOCKET is unset."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.enabled = bool(env.get("NOTIFY_SOCKET"))
        self.watchdog_s = watchdog_interval_s(env) if self.enabled else None
        self._notifier = sdnotify.SystemdNotifier() if self.enabled else None
        self.sent = 0
        self._last_status = ""

    def _send(self, message: str) -> None:
        if self._notifier is not None:
            self._notifier.notify(message)
            self.sent += 1

    def ready(self, status: str) -> None:
        """READY=1 with a STATUS= line: startup is complete."""
        self._send(f"READY=1\nSTATUS={status}")
        self._last_status = status

    def watchdog(self) -> None:
        """WATCHDOG=1: the event loop is alive."""
        self._send("WATCHDOG=1")

    def status(self, text: str) -> None:
        """STATUS=<text> (shown by `systemctl status`), sent only when it changed."""
        if text != self._last_status:
            self._send(f"STATUS={text}")
            self._last_status = text

    def stopping(self) -> None:
        """STOPPING=1: shutdown has begun."""
        self._send("STOPPING=1\nSTATUS=stopping")
