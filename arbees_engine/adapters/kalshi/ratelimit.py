"""Kalshi rate limits from the account's tier: one token bucket per read/write class, endpoint token
costs, and 429 backoff with the venue's reset hint.

Source: https://docs.kalshi.com/getting_started/rate_limits and the official SDK kalshi-typescript
3.30.0 (AccountApi `GET /account/limits` → GetAccountApiLimitsResponse {usage_tier, read, write:
BucketLimit {refill_rate, bucket_capacity}, grants}; `GET /account/endpoint_costs` →
GetAccountEndpointCostsResponse {default_cost (10), endpoint_costs: [{method, path, cost}]}).
Every authenticated request costs tokens (default 10); the Write bucket covers order placement,
amends, cancels, order groups and the RFQ quote flow, the Read bucket everything else. Basic tier:
read 200 tokens/s, write 100 tokens/s holding two seconds (200). A 429 answers
{"error": "too many requests"}; the docs say it carries no Retry-After or X-RateLimit-* headers
today and to back off exponentially, so a hint is honoured when present and capped exponential
backoff is used otherwise.

Buckets are aiolimiter `AsyncLimiter(capacity, capacity / refill_rate)` (a leaky bucket of
`capacity` tokens draining at `refill_rate` per second: the same budget). `attach(client)` paces
and backs off every request an httpx client sends to the Kalshi base URL (event hooks), so the
order client and the order-group client need no code of their own for it.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import structlog
from aiolimiter import AsyncLimiter

from ..http import parse_retry_after
from ..wire import ParseError, need, need_dict, need_list

log = structlog.get_logger(__name__)

DEFAULT_COST = 10
READ, WRITE = "read", "write"
RATE_LIMITED = "rate_limited"  # counted reason of a 429
_WRITE_PREFIXES = ("/portfolio/orders", "/portfolio/events/orders", "/portfolio/order_groups", "/communications/")


@dataclass(frozen=True, slots=True)
class BucketLimit:
    """One bucket: refill_rate tokens per second, bucket_capacity tokens at most."""

    refill_rate: float
    bucket_capacity: float


@dataclass(frozen=True, slots=True)
class ApiLimits:
    """An account's tier and its read and write buckets (GET /account/limits)."""

    usage_tier: str
    read: BucketLimit
    write: BucketLimit


#: Basic tier per the rate_limits page (read 200/s; write 100/s with two seconds of burst).
BASIC_LIMITS = ApiLimits("basic", BucketLimit(200, 200), BucketLimit(100, 200))


def _bucket(payload: dict, key: str) -> BucketLimit:
    raw = need_dict(need(payload, key, "limits"), key)
    values = [raw.get("refill_rate"), raw.get("bucket_capacity")]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 1e7 for v in values):
        raise ParseError("bad_limits", f"{key}={raw!r:.80}")
    return BucketLimit(float(values[0]), float(values[1]))  # type: ignore[arg-type]


def parse_account_limits(payload: object) -> ApiLimits:
    """GET /account/limits → ApiLimits. Raises ParseError for a missing or non-positive bucket."""
    payload = need_dict(payload, "account limits")
    tier = payload.get("usage_tier")
    return ApiLimits(tier if isinstance(tier, str) else "", _bucket(payload, READ), _bucket(payload, WRITE))


def parse_endpoint_costs(payload: object) -> tuple[int, dict[tuple[str, str], int]]:
    """GET /account/endpoint_costs → (default cost, {(METHOD, path template): cost}). The paths
    are the API's (e.g. "/trade-api/v2/portfolio/orders/{order_id}"). Raises ParseError."""
    payload = need_dict(payload, "endpoint costs")
    default = payload.get("default_cost", DEFAULT_COST)
    if not isinstance(default, int) or isinstance(default, bool) or not 0 <= default <= 10_000:
        raise ParseError("bad_costs", f"default_cost={default!r:.40}")
    costs = {}
    for entry in need_list(payload.get("endpoint_costs") or [], "endpoint_costs"):
        entry = need_dict(entry, "endpoint cost")
        method, path, cost = entry.get("method"), entry.get("path"), entry.get("cost")
        if not (isinstance(method, str) and isinstance(path, str) and isinstance(cost, int) and 0 <= cost <= 10_000):
            raise ParseError("bad_costs", f"{entry!r:.80}")
        costs[(method.upper(), path)] = cost
    return default, costs


def bucket_of(method: str, path: str) -> str:
    """READ or WRITE for a request (`path` from the API root, e.g. "/portfolio/orders")."""
    return WRITE if method.upper() != "GET" and path.startswith(_WRITE_PREFIXES) else READ


def retry_after_s(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The venue's reset hint of a 429 in seconds from now, or None: `Retry-After` (seconds or an
    HTTP date), else `X-RateLimit-Reset` (epoch seconds, or seconds from now when small)."""
    now = time.time() if now is None else now
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value:
        return parse_retry_after(value, datetime.fromtimestamp(now, UTC))
    reset = headers.get("X-RateLimit-Reset") or headers.get("x-ratelimit-reset")
    try:
        at = float(reset) if reset else None
    except ValueError:
        return None
    if at is None:
        return None
    return max(0.0, at - now) if at > 1e9 else max(0.0, at)


class KalshiRateLimiter:
    """Token buckets (read, write) sized from the account's limits, with per-endpoint costs.

    limits: ApiLimits (BASIC_LIMITS until `configure`); prefix: the REST root's path
    ("/trade-api/v2") that endpoint-cost templates carry; backoff_s / backoff_cap_s: seconds of the
    first and largest backoff after consecutive 429s without a hint; clock: monotonic seconds.
    """

    def __init__(
        self,
        limits: ApiLimits = BASIC_LIMITS,
        *,
        prefix: str = "/trade-api/v2",
        backoff_s: float = 0.25,
        backoff_cap_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.prefix, self.backoff_s, self.backoff_cap_s, self.clock = (
            prefix.rstrip("/"),
            backoff_s,
            backoff_cap_s,
            clock,
        )
        self.default_cost = DEFAULT_COST
        self._costs: list[tuple[str, re.Pattern[str], int]] = []
        self.counts: Counter[str] = Counter()  # "rate_limited", "paced:<bucket>"
        self.blocked_until = 0.0
        self.last_backoff_s = 0.0
        self._consecutive_429 = 0
        self.configure(limits)

    def configure(self, limits: ApiLimits, default_cost: int | None = None, costs: Mapping | None = None) -> None:
        """Size the buckets from `limits` and set endpoint costs ({(METHOD, path template): cost})."""
        self.limits = limits
        self.buckets = {
            name: AsyncLimiter(b.bucket_capacity, b.bucket_capacity / b.refill_rate)
            for name, b in ((READ, limits.read), (WRITE, limits.write))
        }
        if default_cost is not None:
            self.default_cost = default_cost
        if costs is not None:
            self._costs = [(m, _template(p), c) for (m, p), c in costs.items()]
        log.info("kalshi_rate_limits", tier=limits.usage_tier, read=limits.read, write=limits.write)

    def cost(self, method: str, path: str) -> int:
        """Tokens a request costs (`path` from the API root): its listed cost, else the default."""
        full = self.prefix + path
        for m, pattern, cost in self._costs:
            if m == method.upper() and pattern.fullmatch(full):
                return cost
        return self.default_cost

    async def acquire(self, method: str, path: str) -> None:
        """Wait out a 429 backoff, then take the request's tokens from its bucket."""
        wait = self.blocked_until - self.clock()
        if wait > 0:
            await asyncio.sleep(wait)  # the venue's backoff, not synchronisation
        bucket = self.buckets[bucket_of(method, path)]
        cost = min(self.cost(method, path), bucket.max_rate)
        if not bucket.has_capacity(cost):
            self.counts[f"paced:{bucket_of(method, path)}"] += 1
        await bucket.acquire(cost)

    def rate_limited(self, headers: Mapping[str, str]) -> float:
        """Record a 429: block every request for the hint (or capped exponential); returns seconds."""
        self.counts[RATE_LIMITED] += 1
        self._consecutive_429 += 1
        hint = retry_after_s(headers)
        exponential = self.backoff_s * 2.0 ** min(self._consecutive_429 - 1, 32)
        delay = min(self.backoff_cap_s, hint if hint is not None else exponential)
        self.blocked_until = max(self.blocked_until, self.clock() + delay)
        self.last_backoff_s = delay
        log.warning("kalshi_rate_limited", retry_in_s=delay, hinted=hint is not None)
        return delay

    def ok(self) -> None:
        """A request got through: the next 429 starts the backoff over."""
        self._consecutive_429 = 0

    def attach(self, client: httpx.AsyncClient, base_url: str) -> None:
        """Pace and back off every request `client` sends under `base_url` (httpx event hooks)."""
        root = base_url.rstrip("/")

        async def on_request(request: httpx.Request) -> None:
            url = str(request.url)
            if url.startswith(root):
                await self.acquire(request.method, request.url.path[len(self.prefix) :])

        async def on_response(response: httpx.Response) -> None:
            if str(response.request.url).startswith(root):
                self.rate_limited(response.headers) if response.status_code == 429 else self.ok()

        client.event_hooks["request"].append(on_request)
        client.event_hooks["response"].append(on_response)


def _template(path: str) -> re.Pattern[str]:
    """ "/trade-api/v2/portfolio/orders/{order_id}" → a pattern matching one path segment per {…}."""
    return re.compile(
        "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in re.split(r"(\{[^}]*\})", path))
    )
