"""Kalshi live order entry (V2 order API): signed immediate-or-cancel buys, idempotent by client_order_id.

Endpoints (official SDK `kalshi-typescript` 3.30.0, OrdersApi / PortfolioApi; pages
https://docs.kalshi.com/api-reference/orders/create-order-v2, .../orders/cancel-order-v2,
.../orders/get-order, .../orders/get-orders, https://docs.kalshi.com/api-reference/portfolio/get-fills,
https://docs.kalshi.com/getting_started/rate_limits); wire shapes in `order_wire`:
- POST /portfolio/events/orders  CreateOrderV2Request → 201 CreateOrderV2Response (flat object);
- DELETE /portfolio/events/orders/{order_id}?market_ticker=  → CancelOrderV2Response;
- GET /portfolio/orders/{order_id} → {"order": Order}; GET /portfolio/orders?ticker= → {"orders", "cursor"}
  (the only lookup by client order id a non-FCM member has: list the ticker's orders and match);
- GET /portfolio/fills?order_id= → {"fills": [Fill], "cursor"}; 429 = rate limited (Retry-After honoured).
The legacy POST /portfolio/orders answers HTTP 410 `deprecated_v1_order_endpoint` and is never used.

A resend with a client_order_id the venue already holds is answered with a conflict (HTTP 409,
or an error code containing "already_exists"/"duplicate"); that means "already placed", so the
existing order is looked up instead of placing a second one.

Default host: https://external-api.kalshi.com/trade-api/v2, the one recommended by
https://docs.kalshi.com/getting_started/api_environments and the SDK's BASE_PATH (the shared host
api.elections.kalshi.com "remains supported").

Safety: the client refuses to exist unless ARBEES_LIVE names Kalshi ("1" or "kalshi,…") AND
ARBEES_LIVE_AUTHORIZATION equals "I-ACCEPT-REAL-MONEY-RISK" (adapters/live.py). Without both, the
engine uses paper execution against the live book.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from urllib.parse import urlsplit

import httpx
import structlog
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from ...model import Order, OrderStatus
from ..live import AUTH_ENV, LIVE_AUTHORIZATION_PHRASE, LIVE_ENV, live_venues
from .auth import KalshiSigner
from .order_wire import (
    CANCEL_ORDER_PATH,
    CREATE_ORDER_PATH,
    GET_FILLS_PATH,
    GET_ORDER_PATH,
    GET_ORDERS_PATH,
    FractionalContracts,
    InvalidOrder,
    ReplyShapeError,
    VenueFill,
    VenueOrder,
    create_order_body,
    parse_cancel_reply,
    parse_create_reply,
    parse_error,
    parse_fill,
    parse_order,
    parse_page,
    price_dollars,
    venue_count_to_engine_contracts,
)
from .ratelimit import retry_after_s

log = structlog.get_logger(__name__)

KALSHI_REST_URL = "https://external-api.kalshi.com/trade-api/v2"
MAX_PAGES = 50  # pagination guard: a cursor loop must not stall the broker

__all__ = [
    "AUTH_ENV",
    "KALSHI_REST_URL",
    "LIVE_AUTHORIZATION_PHRASE",
    "LIVE_ENV",
    "FractionalContracts",
    "InvalidOrder",
    "KalshiApiError",
    "KalshiOrderClient",
    "LiveTradingRefused",
    "RateLimited",
    "ReplyShapeError",
    "UnexpectedReply",
    "live_trading_allowed",
    "live_venues",
    "price_dollars",
]


class LiveTradingRefused(RuntimeError):
    """Live trading was not explicitly authorised (see module docstring)."""


class KalshiApiError(RuntimeError):
    """A non-retryable venue error: `status` HTTP code, `code` venue error code (or "http_<status>"
    when the body has none), `message` (≤ 200 chars). Any error body shape is accepted
    (`order_wire.parse_error`)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"Kalshi HTTP {status} {code}: {message}"[:300])
        self.status, self.code, self.message = status, code, message
        self.after_lost_reply = False  # an earlier attempt of the same request lost its reply


class UnexpectedReply(RuntimeError):
    """A 2xx reply that is not JSON or not the documented object: `status`, `detail` (≤ 200 chars).
    For a create, the order may have been placed: its outcome is unknown."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"Kalshi HTTP {status}: unexpected reply: {detail}"[:300])
        self.status, self.detail = status, detail[:200]


class RateLimited(Exception):
    """HTTP 429; `retry_after_s` from the Retry-After header (seconds) or None."""

    def __init__(self, retry_after_s: float | None) -> None:
        super().__init__(f"rate limited (retry after {retry_after_s})")
        self.retry_after_s = retry_after_s


def live_trading_allowed(env: Mapping[str, str] | None = None) -> bool:
    """True only if ARBEES_LIVE names Kalshi ("1", or a list such as "kalshi,polymarket") and
    ARBEES_LIVE_AUTHORIZATION == LIVE_AUTHORIZATION_PHRASE (adapters/live.py)."""
    return "kalshi" in live_venues(env)


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

    async def _request(self, method: str, endpoint: str, *, params=None, json=None) -> object:
        """`_once`, retried on 429 and transport errors. A KalshiApiError after an attempt whose reply
        was lost is marked `after_lost_reply`: that earlier attempt may have been executed."""
        lost: list[bool] = []

        def note(retry_state) -> None:
            lost.append(isinstance(retry_state.outcome.exception(), httpx.TransportError))

        try:
            async for attempt in AsyncRetrying(
                retry=retry_if_exception_type((RateLimited, httpx.TransportError)),
                wait=self._wait,
                stop=stop_after_attempt(self._attempts),
                reraise=True,
                before_sleep=note,
            ):
                with attempt:
                    return await self._once(method, endpoint, params=params, json=json)
        except KalshiApiError as exc:
            exc.after_lost_reply = any(lost)
            raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _once(self, method: str, endpoint: str, *, params=None, json=None) -> object:
        """One signed request → the reply's JSON. Raises RateLimited (429), KalshiApiError (≥ 400,
        any body shape), UnexpectedReply (2xx not JSON), httpx.TransportError (incl. timeouts)."""
        headers = self.signer.headers(method, self._prefix + endpoint)  # sign path without query
        resp = await self._http.request(method, endpoint, params=params, json=json, headers=headers)
        if resp.status_code == 429:
            self.rate_limited += 1
            raise RateLimited(retry_after_s(resp.headers))
        if resp.status_code >= 400:
            raise KalshiApiError(resp.status_code, *parse_error(resp.status_code, resp.text))
        try:
            return resp.json()
        except ValueError:
            raise UnexpectedReply(resp.status_code, f"not JSON: {resp.text[:120]!r}") from None

    async def place_ioc(self, order: Order, **options) -> Order:
        """Send `order` as an IOC buy (CreateOrderV2Request, `order_wire.create_order_body`; `options`:
        cancel_order_on_pause / order_group_id / subaccount) and update it from the reply, or from
        the existing order when its client_order_id was already placed. Returns the same Order.

        Raises InvalidOrder (order REJECTED, nothing sent), KalshiApiError (a 4xx: REJECTED, e.g.
        401 bad signature or 410 deprecated endpoint; a 5xx, a 408, or any refusal of a resend
        whose first attempt lost its reply: left SENT, outcome unknown),
        UnexpectedReply / ReplyShapeError (2xx of the wrong shape: SENT, outcome unknown),
        RateLimited after retries (nothing placed), httpx.TransportError (SENT, outcome unknown),
        FractionalContracts (placed and known, but a count finer than 0.01 contracts; SENT)."""
        try:
            body = create_order_body(order, **options)
        except InvalidOrder as exc:
            order.status, order.reason = OrderStatus.REJECTED, str(exc)[:200]
            raise
        order.status = OrderStatus.SENT
        try:
            reply = await self._request("POST", CREATE_ORDER_PATH, json=body)
        except KalshiApiError as exc:
            if not _is_duplicate(exc):
                if exc.status >= 500 or exc.status == 408 or exc.after_lost_reply:  # it may have been placed
                    order.reason = f"{exc.status} {exc.code}: outcome unknown"
                else:
                    order.status, order.reason = OrderStatus.REJECTED, f"{exc.status} {exc.code}: {exc.message}"[:200]
                raise
            log.info("kalshi_duplicate_client_order_id", client_order_id=order.client_order_id)
            venue_order = await self.find_order(order.client_order_id, _ticker(order))
            if venue_order is None:
                raise
            return _apply_venue_order(order, venue_order)
        try:
            created = parse_create_reply(reply)
        except ReplyShapeError as exc:
            order.reason = f"outcome unknown: unexpected create reply: {exc}"[:200]
            raise UnexpectedReply(201, str(exc)) from exc
        return _apply_venue_order(order, created)

    async def cancel(self, order_id: str, ticker: str) -> tuple[str, Decimal]:
        """Cancel a resting order (DELETE /portfolio/events/orders/{id}?market_ticker=, Cancel Order
        (V2)) → (order_id, contracts taken off). Raises KalshiApiError (404: nothing to
        cancel), ReplyShapeError, RateLimited, httpx.TransportError."""
        path = CANCEL_ORDER_PATH.format(order_id=order_id)
        reply = await self._request("DELETE", path, params={"market_ticker": ticker})
        return parse_cancel_reply(reply)

    async def get_order(self, order_id: str) -> VenueOrder:
        """GET /portfolio/orders/{order_id} → the venue's order. Raises ReplyShapeError, KalshiApiError."""
        reply = await self._request("GET", GET_ORDER_PATH.format(order_id=order_id))
        return parse_order(reply.get("order") if isinstance(reply, dict) else reply)

    async def find_order(self, client_order_id: str, ticker: str) -> VenueOrder | None:
        """Our order by client_order_id among the ticker's orders (paginated), or None when the venue
        has none. Raises ReplyShapeError for a malformed page or matching order."""
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            params = {"ticker": ticker, "limit": 200, **({"cursor": cursor} if cursor else {})}
            items, cursor = parse_page(await self._request("GET", GET_ORDERS_PATH, params=params), "orders")
            for item in items:
                if isinstance(item, dict) and item.get("client_order_id") == client_order_id:
                    return parse_order(item)
            if not cursor:
                return None
        raise ReplyShapeError(f"orders of {ticker}: more than {MAX_PAGES} pages")

    async def get_fills(self, order_id: str) -> list[VenueFill]:
        """All fills of a venue order (GET /portfolio/fills?order_id=, paginated). Raises
        ReplyShapeError if any fill is malformed (it cannot be booked, so none is)."""
        fills: list[VenueFill] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            params = {"order_id": order_id, "limit": 200, **({"cursor": cursor} if cursor else {})}
            items, cursor = parse_page(await self._request("GET", GET_FILLS_PATH, params=params), "fills")
            fills += [parse_fill(item) for item in items]
            if not cursor:
                return fills
        raise ReplyShapeError(f"fills of {order_id}: more than {MAX_PAGES} pages")

    async def reconcile(self, order: Order) -> Order:
        """After a lost reply or a restart: refresh an order we may have sent (by client_order_id).
        Not found: returned unchanged (the caller may resend with the same id). Raises as find_order."""
        venue_order = await self.find_order(order.client_order_id, _ticker(order))
        if venue_order is None:
            return order
        return _apply_venue_order(order, venue_order)


def _ticker(order: Order) -> str:
    return order.market_id.split(":", 1)[-1]


def _is_duplicate(exc: KalshiApiError) -> bool:
    code = exc.code.lower()
    return exc.status == 409 or "already_exists" in code or "duplicate" in code


def _apply_venue_order(order: Order, venue: VenueOrder) -> Order:
    """Copy the venue's state (id, filled count, status) onto our Order. An order still resting
    (an IOC never should) stays SENT to be looked up again. Raises FractionalContracts after
    recording the venue id when the filled count is not whole."""
    order.venue_order_id, order.paper = venue.order_id, False
    order.filled_contracts = venue_count_to_engine_contracts(venue.fill_count)
    if venue.status == "resting":
        order.status, order.reason = OrderStatus.SENT, "outcome unknown: the venue reports the IOC resting"
    elif order.filled_contracts >= order.contracts:
        order.status = OrderStatus.FILLED
    elif order.filled_contracts > 0:
        order.status = OrderStatus.PARTIAL
    else:
        order.status = OrderStatus.CANCELLED
    return order
