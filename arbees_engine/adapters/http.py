"""One httpx client factory and one tenacity retry policy for every REST adapter.

Retries: transport errors (connect/read timeouts, resets), HTTP 5xx and 429. Waits grow
exponentially with jitter, capped at `max_wait_s`; a 429/503 `Retry-After` header (seconds or
HTTP-date, RFC 9110 §10.2.3) is honoured up to the same cap. Other 4xx are not retried.
The final failure is re-raised as `FetchError`, which feeds catch, count and survive.
"""

from __future__ import annotations

import email.utils
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime

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
from .wire import MAX_JSON_CHARS, ParseError, decode_json_off_loop

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
        headers={"User-Agent": user_agent, "Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING},
        follow_redirects=True,
    )


def make_client_for(endpoints: EndpointSettings) -> httpx.AsyncClient:
    """`make_client` with the timeout from settings (`Settings().endpoints`)."""
    return make_client(endpoints.http_timeout_s)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: "120" (or "1.5") or an HTTP-date; None if absent/garbage."""
    if not value:
        return None
    value = value.strip()
    if value.replace(".", "", 1).isdigit():  # delta-seconds (RFC 9110 §10.2.3), fractions tolerated
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(UTC)
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


#: Content-Encodings the client asks for and decodes itself, bounded (zlib wbits: 16+ = gzip, 15 = zlib).
_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
ACCEPT_ENCODING = "gzip, deflate"
_INFLATE_STEP = 256 * 2**10


class _BoundedBody:
    """The decoded body of one response, refused with ParseError("too_long") as soon as more than
    `max_bytes` would be decoded: each compressed chunk is inflated with zlib's `max_length`, so a
    gzip bomb (200 MiB in 200 KB) never decodes more than the cap (RFC 9110 §8.4 content codings)."""

    def __init__(self, encoding: str, max_bytes: int, url: str) -> None:
        coding = encoding.strip().lower()
        if coding not in ("", "identity") and coding not in _DECODERS:
            raise ParseError("bad_encoding", f"{url}: Content-Encoding {encoding[:40]!r}")
        self._inflate = zlib.decompressobj(_DECODERS[coding]) if coding in _DECODERS else None
        self.max_bytes, self.url, self.body = max_bytes, url, bytearray()

    def feed(self, raw: bytes) -> None:
        """Append one raw (still encoded) chunk; ParseError past the cap or for a corrupt stream.
        A chunk is inflated in steps of at most _INFLATE_STEP bytes, so no more than the cap plus
        one step is ever held."""
        if self._inflate is None:
            self._append(raw)
            return
        while raw:
            try:
                out = self._inflate.decompress(raw, _INFLATE_STEP)
            except zlib.error as exc:
                raise ParseError("bad_encoding", f"{self.url}: {exc}") from None
            self._append(out)
            raw = self._inflate.unconsumed_tail

    def _append(self, out: bytes) -> None:
        if len(self.body) + len(out) > self.max_bytes:
            raise ParseError("too_long", f"{self.url}: body longer than {self.max_bytes} bytes")
        self.body += out


async def _get_once(
    client: httpx.AsyncClient,
    url: str,
    params: dict | None,
    headers: dict[str, str] | None = None,
    max_bytes: int = MAX_JSON_CHARS,
) -> tuple[httpx.Response, bytes]:
    """One GET, streamed: (response, decoded body of at most `max_bytes`). Raises FetchError for an
    HTTP error status, ParseError("too_long") when Content-Length or the decoded body pass the cap."""
    async with client.stream("GET", url, params=params, headers=headers) as response:
        if response.status_code >= 400:
            raise FetchError(
                f"http_{response.status_code}",
                f"GET {response.request.url}",
                parse_retry_after(response.headers.get("Retry-After")),
            )
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise ParseError("too_long", f"GET {url}: Content-Length {declared}, more than {max_bytes}")
        if response.is_stream_consumed:  # a response hook read it (recording: adapters/capture.py)
            if len(response.content) > max_bytes:
                raise ParseError("too_long", f"GET {url}: body longer than {max_bytes} bytes")
            return response, response.content
        body = _BoundedBody(response.headers.get("Content-Encoding", ""), max_bytes, url)
        async for raw in response.aiter_raw():
            body.feed(raw)
    return response, bytes(body.body)


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

    Raises FetchError (status or transport failure after retries), ParseError("too_long") for a
    body (declared or decoded) over MAX_JSON_CHARS bytes, ParseError("bad_encoding") for a
    Content-Encoding other than gzip/deflate/identity or a corrupt one, or ParseError("bad_json")
    for a body that is not JSON (e.g. truncated). Never retries a bad body: it is counted.
    The body is streamed and decoded under the cap (a gzip bomb stops at the cap), and one over
    64 KiB is decoded off the event loop (`wire.decode_json_off_loop`).
    """
    try:
        async for attempt in policy.retrying():
            with attempt:
                response, body = await _get_once(client, url, params, cache.headers(url) if cache else None)
    except httpx.TransportError as exc:
        raise FetchError("transport", f"GET {url}: {type(exc).__name__}: {exc}") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:  # decoding, redirects, bad URL: not retried
        raise FetchError("request_error", f"GET {url}: {type(exc).__name__}: {exc}") from exc
    if cache is not None:
        if response.status_code == 304:
            cache.not_modified += 1
            return NOT_MODIFIED
        cache.remember(url, response)
    return await decode_json_off_loop(body, url)


__all__ = [
    "DEFAULT_POLICY",
    "NOT_MODIFIED",
    "USER_AGENT",
    "ConditionalCache",
    "FetchError",
    "ParseError",
    "RetryPolicy",
    "get_json",
    "make_client",
    "make_client_for",
    "parse_retry_after",
]
