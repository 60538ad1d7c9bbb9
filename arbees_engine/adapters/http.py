"""One httpx client factory and one tenacity retry policy for every REST adapter.

Retries: transport errors (connect/read timeouts, resets), HTTP 5xx and 429. Waits grow
exponentially with jitter, capped at `max_wait_s`; a 429/503 `Retry-After` header (seconds or
HTTP-date, RFC 9110 §10.2.3) is honoured up to the same cap. Other 4xx are not retried.
The final failure is re-raised as `FetchError`, which feeds catch, count and survive.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx
import structlog
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from ..settings import EndpointSettings
from .wire import ParseError, decode_json

log = structlog.get_logger(__name__)

USER_AGENT = "arbees/0.1 (+https://github.com/arbees; paper trading desk)"


class FetchError(Exception):
    """A request that failed for good (after retries), or a non-retryable HTTP status.

    `reason` is a short code ("http_404", "http_500", "transport"); `retry_after` seconds if the
    server said so.
    """

    def __init__(self, reason: str, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after


def make_client(timeout_s: float = 10.0, *, user_agent: str = USER_AGENT) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` with the engine's timeouts and User-Agent.

    timeout_s: connect/read/write/pool timeout in seconds (settings `endpoints.http_timeout_s`).
    The caller owns the client and must `aclose()` it (or use `async with`).
    """
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout_s),
        headers={"User-Agent": user_agent, "Accept": "application/json"},
        follow_redirects=True,
    )


def make_client_for(endpoints: EndpointSettings) -> httpx.AsyncClient:
    """`make_client` with the timeout from settings (`Settings().endpoints`)."""
    return make_client(endpoints.http_timeout_s)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: "120" or an HTTP-date; None if absent/garbage."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    if isinstance(exc, FetchError):
        return exc.reason == "http_429" or exc.reason.startswith("http_5")
    return False


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt n waits ~initial_s·2^(n−1) + U(0, jitter_s),
    capped at max_wait_s; `attempts` tries in total. Retry-After overrides the backoff when longer.
    """

    attempts: int = 5
    initial_s: float = 0.5
    max_wait_s: float = 30.0
    jitter_s: float = 0.5

    def wait_seconds(self, state: RetryCallState) -> float:
        """Tenacity wait callback: backoff, or the server's Retry-After if longer, both capped."""
        strategy = wait_exponential(multiplier=self.initial_s, max=self.max_wait_s) + wait_random(0, self.jitter_s)
        backoff = strategy(state)
        exc = state.outcome.exception() if state.outcome else None
        hint = getattr(exc, "retry_after", None)
        if hint is not None:
            backoff = max(backoff, hint)
        return min(backoff, self.max_wait_s)

    def retrying(self) -> AsyncRetrying:
        """A fresh tenacity `AsyncRetrying` for one logical request."""
        return AsyncRetrying(
            stop=stop_after_attempt(self.attempts),
            wait=self.wait_seconds,
            retry=retry_if_exception(_is_retryable),
            before_sleep=_log_retry,
            reraise=True,
        )


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning("http_retry", attempt=state.attempt_number, error=str(exc))


DEFAULT_POLICY = RetryPolicy()


class ConditionalCache:
    """ETag / Last-Modified validators per URL, for conditional GETs (RFC 9110 §13.1): the next
    request sends If-None-Match / If-Modified-Since and a 304 answer means "unchanged"."""

    def __init__(self) -> None:
        self._validators: dict[str, dict[str, str]] = {}
        self.not_modified = 0

    def headers(self, url: str) -> dict[str, str]:
        """Request headers carrying the validators last seen for `url` (empty if none)."""
        seen = self._validators.get(url, {})
        out = {}
        if "etag" in seen:
            out["If-None-Match"] = seen["etag"]
        if "last-modified" in seen:
            out["If-Modified-Since"] = seen["last-modified"]
        return out

    def remember(self, url: str, response: httpx.Response) -> None:
        """Keep the response's validators for the next request to `url`."""
        kept = {k: response.headers[k] for k in ("etag", "last-modified") if k in response.headers}
        if kept:
            self._validators[url] = kept


#: Returned by get_json when a conditional GET answered 304 Not Modified.
NOT_MODIFIED = object()


async def _get_once(client: httpx.AsyncClient, url: str, params: dict | None,
                    headers: dict[str, str] | None = None) -> httpx.Response:
    response = await client.get(url, params=params, headers=headers)
    if response.status_code >= 400:
        raise FetchError(
            f"http_{response.status_code}",
            f"GET {response.request.url}",
            parse_retry_after(response.headers.get("Retry-After")),
        )
    return response


async def get_json(
    client: httpx.AsyncClient,
    url: str,
    params: dict | None = None,
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    cache: ConditionalCache | None = None,
) -> object:
    """GET `url` and decode its JSON body, retrying per `policy`.

    With `cache`, the request is conditional and NOT_MODIFIED is returned for a 304 answer.

    Raises FetchError (status or transport failure after retries) or ParseError("bad_json")
    for a body that is not JSON (e.g. truncated). Never retries a bad body: it is counted.
    """
    try:
        async for attempt in policy.retrying():
            with attempt:
                response = await _get_once(client, url, params, cache.headers(url) if cache else None)
    except httpx.TransportError as exc:
        raise FetchError("transport", f"GET {url}: {type(exc).__name__}: {exc}") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # decoding, redirects, bad URL: not retried
        raise FetchError("request_error", f"GET {url}: {type(exc).__name__}: {exc}") from exc
    if cache is not None:
        if response.status_code == 304:
            cache.not_modified += 1
            return NOT_MODIFIED
        cache.remember(url, response)
    return decode_json(response.content, url)


__all__ = [
    "NOT_MODIFIED",
    "ConditionalCache",
    "DEFAULT_POLICY",
    "FetchError",
    "ParseError",
    "RetryPolicy",
    "USER_AGENT",
    "get_json",
    "make_client",
    "make_client_for",
    "parse_retry_after",
]
