"""A refused Kalshi websocket login (HTTP 401 at the upgrade) is counted, shown on the stream's
status and retried with capped exponential backoff, against the local fake Kalshi ws server."""

from __future__ import annotations

from live_fake_kalshi import FakeKalshiWs
from live_sink import RecordingSink
from test_kalshi_ws import A, _books, in_sync, running

from arbees_engine.adapters.kalshi.ws_auth import WS_AUTH_REJECTED, WsAuthState


async def test_refused_logins_back_off_capped_then_stream_once_accepted():
    sink = RecordingSink()
    auth = WsAuthState(initial_s=0.01, cap_s=0.04)
    async with FakeKalshiWs(_books()) as server:
        server.refuse_logins = 5
        async with running(server, [A], sink, auth=auth) as stream:
            await sink.wait_for(in_sync(sink, server, A), timeout=10)
    assert server.rejected_handshakes == 5 and server.connections == 1
    assert auth.delays == [0.01, 0.02, 0.04, 0.04, 0.04]  # exponential, capped at cap_s
    assert auth.total == 5 and auth.consecutive == 0 and auth.last_status == 401
    assert [r for _, r, _ in sink.rejects].count(WS_AUTH_REJECTED) == 5
    assert stream.stats[WS_AUTH_REJECTED] == 5
    assert stream.status() == {"ws_auth": "ok (5 refused before)"}


async def test_status_shows_a_login_still_refused():
    sink = RecordingSink()
    auth = WsAuthState(initial_s=0.01, cap_s=0.02)
    async with FakeKalshiWs(_books()) as server:
        server.refuse_logins = 1000
        async with running(server, [A], sink, auth=auth) as stream:
            await server.wait_rejections(3)
            await sink.wait_for(lambda: auth.total >= 3)
            shown = stream.status()["ws_auth"]
    assert shown.startswith("rejected: HTTP 401 ×") and not sink.books
    assert max(auth.delays) == 0.02 and auth.delays[:2] == [0.01, 0.02]


def test_backoff_state_without_a_server():
    auth = WsAuthState(initial_s=1, cap_s=300)
    assert [auth.refused(401) for _ in range(11)][-3:] == [256.0, 300.0, 300.0]
    assert auth.status() == "rejected: HTTP 401 ×11 (11 in all)"
    auth.logged_in()
    assert auth.refused(403) == 1.0 and auth.last_status == 403
    assert auth.total == 12
