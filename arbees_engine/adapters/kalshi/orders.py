"""Kalshi live order entry: signed immediate-or-cancel limit buys, idempotent by client_order_id.

Endpoints (https://docs.kalshi.com/api-reference/orders/create-order,
https://docs.kalshi.com/api-reference/orders/get-order, .../get-orders,
https://docs.kalshi.com/api-reference/portfolio/get-fills,
https://docs.kalshi.com/getting_started/rate_limits):
- POST /portfolio/orders {ticker, client_order_id, side yes|no, action buy, count, type limit,
  yes_price_dollars|no_price_dollars, time_in_force immediate_or_cancel} → {"order": {...}};
- GET /portfolio/orders/{order_id} → {"order"}; GET /portfolio/orders?ticker= → {"orders", "cursor"};
- GET /portfolio/fills?order_id= → {"fills", "cursor"}; 429 = rate limited (Retry-After honoured).

A resend with a client_order_id the venue already holds is answered with a conflict (HTTP 409,
or an error code containing "already_exists"/"duplicate"); that means "already placed", so the
existing order is looked up instead of placing a second one.

Safety: the client refuses to exist unless ARBEES_LIVE=1 AND ARBEES_LIVE_AUTHORIZATION equals
"I-ACCEPT-REAL-MONEY-RISK". Without both, the engine uses paper execution against the live book.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from urllib.parse import urlsplit

import httpx
import structlog
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from ...model import Order, OrderStatus, Side, to_decimal
from .auth import KalshiSigner

log = structlog.get_logger(__name__)

KALSHI_REST_URL = "https://api.elections.kalshi.com/trade-api/v2"
LIVE_ENV, AUTH_ENV = "ARBEES_LIVE", "ARBEES_LIVE_AUTHORIZATION"
LIVE_AUTHORIZATION_PHRASE = "I-ACCEPT-REAL-MONEY-RISK"


class LiveTradingRefused(RuntimeError):
    """Live trading was not explicitly authorised (see module docstring)."""


class KalshiApiError(RuntimeError):
    """A non-retryable venue error: `status` HTTP code, `code` venue error code, `message`."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"Kalshi HTTP {status} {code}: {message}"[:300])
        self.status, self.code, self.message = status, code, message


class InvalidOrder(ValueError):
    """An order the client refuses to send (it is marked REJECTED with the reason first)."""


class RateLimited(Exception):
    """HTTP 429; `retry_after_s` from the Retry-After header (seconds) or None."""

    def __init__(self, retry_after_s: float | None) -> None:
        super().__init__(f"rate limited (retry after {retry_after_s})")
        self.retry_after_s = retry_after_s


PRICE_QUANTUM = Decimal("0.0001")  # `*_dollars` strings carry up to 4 decimals (fixed_point_migration)


def price_dollars(price: Decimal) -> str:
    """A limit price as Kalshi's fixed-point dollar string, exactly ("0.55" → "0.5500"); see
    https://docs.kalshi.com/getting_started/fixed_point_migration. Raises InvalidOrder for a price
    outside 0..1 or one that needs more than 4 decimals (formatting would round it, maybe up)."""
    if not (price.is_finite() and 0 <= price <= 1) or price != price.quantize(PRICE_QUANTUM):
        raise InvalidOrder(f"limit {price} is not a 4-decimal dollar price in 0..1")
    return f"{price.quantize(PRICE_QUANTUM)}"


def live_trading_allowed(env: Mapping[str, str] | None = None) -> bool:
    """True only if ARBEES_LIVE == "1" and ARBEES_LIVE_AUTHORIZATION == LIVE_AUTHORIZATION_PHRASE."""
    env = os.environ if env is None else env
    return env.get(LIVE_ENV) == "1" and env.get(AUTH_ENV) == LIVE_AUTHORIZATION_PHRASE


class _BackoffHonouringRetryAfter:
    """tenacity wait: the server's Retry-After when given (capped), else full-jitter exponential."""

    def __init__(self, initial_s: float, cap_s: float) -> None:
        self.cap_s = cap_s
        self._jitter = wait_random_exponential(multiplier=initial_s, max=cap_s)

    def __call__(self, retry_state) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after_s is not None:
            return min(max(exc.retry_after_s, 0.0), self.cap_s)
        return self._jitter(retry_state)


class KalshiOrderClient:
    """Signed Kalshi order client. Raises LiveTradingRefused unless live trading is authorised.

    signer: KalshiSigner; base_url: REST root including "/trade-api/v2";
    env: mapping checked for the live switches (default os.environ);
    max_attempts: tries per request on 429/transport errors; backoff_s/backoff_cap_s: seconds.
    """

    def __init__(
        self,
        signer: KalshiSigner,
        *,
        base_url: str = KALSHI_REST_URL,
        env: Mapping[str, str] | None = None,
        max_attempts: int = 5,
        backoff_s: float = 0.2,
        backoff_cap_s: float = 10.0,
        timeout_s: float = 10.0,
    ) -> None:
        if not live_trading_allowed(env):
            raise LiveTradingRefused(
                f"live Kalshi orders need {LIVE_ENV}=1 and {AUTH_ENV}={LIVE_AUTHORIZATION_PHRASE}; use paper execution"
            )
        self.signer = signer
        self._prefix = urlsplit(base_url).path.rstrip("/")
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout_s)
        self._attempts, self._wait = max_attempts, _BackoffHonouringRetryAfter(backoff_s, backoff_cap_s)
        self.rate_limited = 0

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._http.aclose()

    async def _request(self, method: str, endpoint: str, *, params=None, json=None) -> dict:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type((RateLimited, httpx.TransportError)),
            wait=self._wait,
            stop=stop_after_attempt(self._attempts),
            reraise=True,
        ):
            with attempt:
                return await self._once(method, endpoint, params=params, json=json)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, method: str, endpoint: str, *, params=None, json=None) -> dict:
        headers = self.signer.headers(method, self._prefix + endpoint)  # sign path without query
        resp = await self._http.request(method, endpoint, params=params, json=json, headers=headers)
        if resp.status_code == 429:
            self.rate_limited += 1
            retry_after = resp.headers.get("Retry-After")
            raise RateLimited(float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None)
        if resp.status_code >= 400:
            try:
                err = resp.json().get("error", {})
            except ValueError:
                err = {}
            raise KalshiApiError(resp.status_code, str(err.get("code", "")), str(err.get("message", resp.text[:200])))
        return resp.json()

    async def place_ioc(self, order: Order) -> Order:
        """Send `order` as an IOC limit buy and update it from the venue's reply (or the existing
        order when the client_order_id was already placed). Returns the same Order object.
        Raises KalshiApiError (e.g. 401 bad/expired signature: order REJECTED; a 5xx: order left
        SENT, its outcome unknown), RateLimited after retries, or InvalidOrder (order REJECTED,
        nothing sent) for a limit `price_dollars` cannot write exactly."""
        ticker = order.market_id.split(":", 1)[-1]
        price_key = "yes_price_dollars" if order.side is Side.YES else "no_price_dollars"
        try:
            limit = price_dollars(order.limit_price)
        except InvalidOrder as exc:
            order.status, order.reason = OrderStatus.REJECTED, f"invalid_price: {exc}"
            raise
        body = {
            "ticker": ticker,
            "client_order_id": order.client_order_id,
            "side": order.side.value,
            "action": "buy",
            **_count_fields(order.contracts),
            "type": "limit",
            price_key: limit,
            "time_in_force": "immediate_or_cancel",
        }
        order.status = OrderStatus.SENT
        try:
            venue_order = (await self._request("POST", "/portfolio/orders", json=body))["order"]
        except KalshiApiError as exc:
            if exc.status >= 500:  # a gateway error may follow an accepted order: the outcome is unknown
                order.reason = f"{exc.status} {exc.code}: outcome unknown"
                raise
            if not _is_duplicate(exc):
                order.status, order.reason = OrderStatus.REJECTED, f"{exc.status} {exc.code}"
                raise
            log.info("kalshi_duplicate_client_order_id", client_order_id=order.client_order_id)
            venue_order = await self.find_order(order.client_order_id, ticker)
            if venue_order is None:
                raise
        return _apply_venue_order(order, venue_order)

    async def get_order(self, order_id: str) -> dict:
        """GET /portfolio/orders/{order_id} → the venue's order object."""
        return (await self._request("GET", f"/portfolio/orders/{order_id}"))["order"]

    async def find_order(self, client_order_id: str, ticker: str) -> dict | None:
        """Find our order by client_order_id among the ticker's orders (paginated), or None."""
        cursor = None
        while True:
            params = {"ticker": ticker, "limit": 200, **({"cursor": cursor} if cursor else {})}
            page = await self._request("GET", "/portfolio/orders", params=params)
            for o in page.get("orders", []):
                if o.get("client_order_id") == client_order_id:
                    return o
            cursor = page.get("cursor")
            if not cursor:
                return None

    async def get_fills(self, order_id: str) -> list[dict]:
        """All fills of a venue order (GET /portfolio/fills?order_id=, paginated), for reconciliation."""
        fills, cursor = [], None
        while True:
            params = {"order_id": order_id, "limit": 200, **({"cursor": cursor} if cursor else {})}
            page = await self._request("GET", "/portfolio/fills", params=params)
            fills += page.get("fills", [])
            cursor = page.get("cursor")
            if not cursor:
                return fills

    async def reconcile(self, order: Order) -> Order:
        """After a reconnect/restart: refresh an order we may have sent (by client_order_id)."""
        venue_order = await self.find_order(order.client_order_id, order.market_id.split(":", 1)[-1])
        if venue_order is None:
            return order  # never reached the venue; the caller may resend with the same id
        return _apply_venue_order(order, venue_order)


def _count_fields(contracts: Decimal) -> dict[str, object]:
    """The order size: integer `count` for whole contracts, else the fixed-point `count_fp`
    string with 2 decimals (kalshi-typescript 3.30.0 CreateOrderRequest: count / count_fp; both
    given must match, so only one is sent)."""
    dec = Decimal(contracts)
    return {"count": int(dec)} if dec == dec.to_integral_value() else {"count_fp": f"{dec:.2f}"}


def _is_duplicate(exc: KalshiApiError) -> bool:
    code = exc.code.lower()
    return exc.status == 409 or "already_exists" in code or "duplicate" in code


def _apply_venue_order(order: Order, venue: dict) -> Order:
    """Copy the venue's order state (id, filled count, status) onto our Order."""
    filled = venue.get("fill_count_fp", venue.get("fill_count"))
    if filled is None:
        filled = Decimal(order.contracts) - to_decimal(venue.get("remaining_count", order.contracts))
    order.filled_contracts = to_decimal(filled, field="fill_count")
    order.venue_order_id = venue.get("order_id")
    order.paper = False
    if order.filled_contracts >= order.contracts:
        order.status = OrderStatus.FILLED
    elif order.filled_contracts > 0:
        order.status = OrderStatus.PARTIAL
    else:
        order.status = OrderStatus.CANCELLED
    return order
