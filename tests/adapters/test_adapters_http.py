"""The shared httpx client + tenacity retry policy, against the local fixture server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fixture_server import Reply, start_fixture_server
from tenacity import RetryCallState

from arbees_engine.adapters.http import (
    USER_AGENT,
    FetchError,
    RetryPolicy,
    get_json,
    make_client,
    make_client_for,
    parse_retry_after,
)
from arbees_engine.adapters.wire import ParseError, embedded_json_list, timestamp
from arbees_engine.settings import EndpointSettings

FAST = RetryPolicy(attempts=3, initial_s=0.001, max_wait_s=0.01, jitter_s=0.001)


async def test_retries_5xx_and_429_then_succeeds() -> None:
    with start_fixture_server() as server:
        server.route("/x", Reply(502, "bad gateway"), Reply(429, "", {"Retry-After": "0"}), Reply(200, {"ok": 1}))
        async with make_client(5.0) as client:
            assert await get_json(client, f"{server.url}/x", policy=FAST) == {"ok": 1}
        assert server.hits("/x") == 3


async def test_gives_up_after_attempts_with_the_last_status() -> None:
    with start_fixture_server({"/x": Reply(500, "no")}) as server:
        async with make_client(5.0) as client:
            with pytest.raises(FetchError) as info:
                await get_json(client, f"{server.url}/x", policy=FAST)
        assert info.value.reason == "http_500" and server.hits("/x") == 3


async def test_client_errors_are_not_retried_and_bad_json_is_a_parse_error() -> None:
    with start_fixture_server({"/gone": Reply(404, ""), "/trunc": Reply(200, b'{"a": [1, 2')}) as server:
        async with make_client(5.0) as client:
            with pytest.raises(FetchError) as info:
                await get_json(client, f"{server.url}/gone", policy=FAST)
            assert info.value.reason == "http_404" and server.hits("/gone") == 1
            with pytest.raises(ParseError) as bad:
                await get_json(client, f"{server.url}/trunc", policy=FAST)
            assert bad.value.reason == "bad_json" and server.hits("/trunc") == 1


async def test_sends_user_agent_and_params() -> None:
    with start_fixture_server({"/echo?a=1": Reply(200, [1])}) as server:
        async with make_client(5.0) as client:
            assert client.headers["User-Agent"] == USER_AGENT
            assert await get_json(client, f"{server.url}/echo", {"a": 1, "b": "x y"}, policy=FAST) == [1]
        assert server.requests == ["/echo?a=1&b=x+y"]


def _state_after(exc: BaseException, attempt: int = 1) -> RetryCallState:
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})
    state.attempt_number = attempt
    state.set_exception((type(exc), exc, None))
    return state


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=5, initial_s=0.5, max_wait_s=30.0, jitter_s=0.0)
    assert policy.wait_seconds(_state_after(FetchError("http_429", retry_after=7))) == 7
    assert policy.wait_seconds(_state_after(FetchError("http_429", retry_after=120))) == 30
    assert policy.wait_seconds(_state_after(FetchError("http_500"), attempt=3)) == 2.0  # 0.5 · 2²


def test_parse_retry_after_seconds_and_http_date() -> None:
    now = datetime(2026, 11, 25, 0, 0, 0, tzinfo=UTC)
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Wed, 25 Nov 2026 00:00:30 GMT", now) == 30.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_wire_helpers() -> None:
    assert embedded_json_list('["a", "b"]', "f") == ["a", "b"] and embedded_json_list(["a"], "f") == ["a"]
    with pytest.raises(ParseError):
        embedded_json_list('{"a": 1}', "f")
    assert timestamp("2026-08-14 21:00:00+00", "t") == datetime(2026, 8, 14, 21, tzinfo=UTC)
    with pytest.raises(ParseError):
        timestamp("yesterday", "t")


async def test_client_from_settings_uses_the_configured_timeout() -> None:
    async with make_client_for(EndpointSettings(http_timeout_s=3.5)) as client:
        assert client.timeout.read == 3.5 and client.timeout.connect == 3.5


async def test_redirect_loops_become_fetch_errors() -> None:
    with start_fixture_server() as server:
        server.route("/loop", Reply(302, "", {"Location": "/loop"}))
        async with make_client(5.0) as client:
            with pytest.raises(FetchError) as info:
                await get_json(client, f"{server.url}/loop", policy=FAST)
    assert info.value.reason == "request_error"
