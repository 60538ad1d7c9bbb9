"""A local HTTP endpoint on 127.0.0.1 that takes apprise's json:// notifications (POST of
{"version", "title", "message", "type"}) and lets a test wait for them."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class AlertSink:
    """`.url` is the apprise URL to configure; `.received` the decoded JSON bodies, in order."""

    def __init__(self, status: int = 200) -> None:
        sink = self
        self.received: list[dict] = []
        self._changed = threading.Condition()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(status)
                self.end_headers()
                with sink._changed:
                    sink.received.append(json.loads(body))
                    sink._changed.notify_all()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self._server.server_port}/alerts"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def titles(self) -> list[str]:
        """Titles received so far."""
        with self._changed:
            return [r["title"] for r in self.received]

    def wait_for(self, title: str, timeout_s: float = 20.0) -> dict:
        """Block until an alert titled `title` arrived; returns it. Raises TimeoutError."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                for alert in self.received:
                    if alert["title"] == title:
                        return alert
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no alert {title!r}; got {[r['title'] for r in self.received]}")
                self._changed.wait(left)

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()
