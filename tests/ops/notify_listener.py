"""What systemd does with NOTIFY_SOCKET, for tests: a Unix datagram socket whose messages are
stamped (time.monotonic) by a reader thread, so a blocked engine loop cannot skew the stamps."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from pathlib import Path


class NotifyListener:
    """Binds a datagram socket at `.path`; `.messages` is a list of (monotonic s, text)."""

    def __init__(self) -> None:
        self._dir = tempfile.mkdtemp(prefix="arbees-notify-")
        self.path = str(Path(self._dir) / "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.2)
        self.messages: list[tuple[float, str]] = []
        self._changed = threading.Condition()
        self._closed = False
        self.last_index = 0  # index after the message wait_for returned last
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._closed:
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            with self._changed:
                self.messages.append((time.monotonic(), data.decode("latin-1")))
                self._changed.notify_all()

    def wait_for(self, predicate, timeout_s: float, start: int = 0) -> tuple[float, str]:
        """Block until a message at index ≥ `start` satisfies `predicate(text)`; returns it.
        Raises TimeoutError after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            index = start
            while True:
                while index < len(self.messages):
                    stamp, text = self.messages[index]
                    index += 1
                    if predicate(text):
                        self.last_index = index
                        return stamp, text
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no matching notify message within {timeout_s} s")
                self._changed.wait(left)

    def wait_pings(self, n: int, timeout_s: float) -> list[float]:
        """Block until `n` more WATCHDOG=1 messages arrived; returns their stamps."""
        with self._changed:
            start = len(self.messages)
        stamps = []
        for _ in range(n):
            stamps.append(self.wait_for(lambda t: t == "WATCHDOG=1", timeout_s, start)[0])
            start = self.last_index
        return stamps

    def pings(self, since: float = 0.0) -> list[float]:
        """Stamps of WATCHDOG=1 messages after `since`."""
        with self._changed:
            return [t for t, text in self.messages if t > since and "WATCHDOG=1" in text.split("\n")]

    def close(self) -> None:
        """Stop reading and remove the socket."""
        self._closed = True
        self._thread.join(timeout=2)
        self.sock.close()
        for name in os.listdir(self._dir):
            os.unlink(Path(self._dir) / name)
        os.rmdir(self._dir)
