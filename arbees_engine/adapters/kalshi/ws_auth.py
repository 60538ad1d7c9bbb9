"""Kalshi websocket login failures: counted, shown, and retried with capped exponential backoff.

Kalshi authenticates the websocket at the HTTP upgrade (the handshake carries the signed
KALSHI-ACCESS-* headers, https://docs.kalshi.com/getting_started/quick_start_websockets); a bad,
expired or revoked key is answered with HTTP 401 (403 for a key without the permission) and the
upgrade fails with `websockets.exceptions.InvalidStatus`. Retrying that at reconnect speed only
hammers the venue with a key that will not work, so each consecutive refusal waits
min(cap_s, initial_s × 2^(n−1)) seconds (as tenacity's `wait_exponential`) on top of the connection's
ReconnectPolicy, and a successful login resets the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from websockets.exceptions import InvalidStatus

#: Counted reason (`sink.reject("kalshi", ...)`, EngineStatus.rejections "kalshi:ws_auth_rejected").
WS_AUTH_REJECTED = "ws_auth_rejected"
AUTH_STATUSES = frozenset({401, 403})


def auth_refusal(exc: BaseException) -> int | None:
    """The HTTP status of a refused websocket login (401/403), or None for any other failure."""
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        return status if status in AUTH_STATUSES else None
    return None


@dataclass
class WsAuthState:
    """Login health of one websocket connection (shown by `status()`).

    initial_s / cap_s: seconds of the first and the largest backoff after a refused login.
    total: refusals since start; consecutive: refusals since the last successful login;
    last_status: HTTP status of the last refusal (0: none); delays: backoffs chosen (seconds).
    """

    initial_s: float = 1.0
    cap_s: float = 300.0
    total: int = 0
    consecutive: int = 0
    last_status: int = 0
    delays: list[float] = field(default_factory=list)

    def refused(self, status: int) -> float:
        """Count a refused login (HTTP `status`); returns the seconds to wait before retrying."""
        self.total += 1
        self.consecutive += 1
        self.last_status = status
        delay = min(self.cap_s, self.initial_s * 2.0 ** min(self.consecutive - 1, 64))
        self.delays.append(delay)
        return delay

    def logged_in(self) -> None:
        """The upgrade succeeded: the key works again; the backoff starts over."""
        self.consecutive = 0

    def status(self) -> str:
        """ "ok", "ok (N refused before)", or e.g. "rejected: HTTP 401 ×3 (5 in all)" while refused."""
        if self.consecutive:
            return f"rejected: HTTP {self.last_status} ×{self.consecutive} ({self.total} in all)"
        return "ok" if not self.total else f"ok ({self.total} refused before)"
