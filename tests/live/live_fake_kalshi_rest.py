"""A local Kalshi REST server (127.0.0.1, thread) for the V2 order endpoints.

Speaks the shapes of the official SDK `kalshi-typescript` 3.30.0 (see order_wire / the contract test):
POST /portfolio/events/orders (CreateOrderV2Request → flat CreateOrderV2Response),
DELETE /portfolio/events/orders/{id} (CancelOrderV2Response), GET /portfolio/orders[/{id}] (Order),
GET /portfolio/fills (Fill). The legacy POST /portfolio/orders answers 410
`deprecated_v1_order_endpoint`. Verifies every request's RSA-PSS signature over timestamp + METHOD +
path-without-query with the public key and rejects timestamps older than 5 s (401).

Order book model: one YES book; a `bid` (buy YES) or `ask` (buy NO) IOC fills at its YES `price`
against `liquidity` contracts (a Decimal: fractional fills happen), split into fills of
`fill_sizes` when set. Each fill reports `fee_cost` (default: 0.07·C·P·(1−P) rounded up to $0.0001,
the venue's own number; `fee_cost` overrides it, `report_fee=False` omits it).

Faults: 429s (`fail_429`, `Retry-After`), reply lost after placing (`drop_next_post_response`), 502
after placing (`gateway_error_after_create`), a create reply held past the client's timeout
(`hold_next_post`, released by `release`), canned replies for the next POSTs (`post_replies`:
(status, raw body, place the order first?)) and GETs (`get_replies`: (status, raw body)), failing
lookups (`fail_gets` 503s).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import deque
from datetime import UTC, datetime
from decimal import ROUND_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from arbees_engine.adapters.kalshi.auth import verify_signature

PREFIX = "/trade-api/v2"
CENT4, CENT2 = Decimal("0.0001"), Decimal("0.01")
REQUIRED = {"ticker", "side", "count", "price", "time_in_force", "self_trade_prevention_type"}
OPTIONAL = {
    "client_order_id",
    "expiration_time",
    "post_only",
    "cancel_order_on_pause",
    "reduce_only",
    "subaccount",
    "order_group_id",
    "exchange_index",
}
_COUNT = re.compile(r"^\d+(\.\d{1,2})?$")
_PRICE = re.compile(r"^[01]\.\d{2,4}$")


def _error(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def venue_fee(count: Decimal, yes_price: Decimal) -> Decimal:
    """The fake's per-fill taker fee: 0.07·C·P·(1−P) rounded up to $0.0001."""
    return (Decimal("0.07") * count * yes_price * (1 - yes_price)).quantize(CENT4, rounding=ROUND_UP)


class FakeKalshiRest:
    def __init__(self, public_key, liquidity: int | str | Decimal = 1000) -> None:
        self.public_key = public_key
        self.liquidity = Decimal(liquidity)
        self.fill_sizes: list[Decimal] = []
        self.orders: dict[str, dict] = {}
        self.fills: list[dict] = []
        self.bodies: list[dict] = []  # every create body received
        self.requests: list[tuple[str, str, int]] = []
        self.fail_429 = 0
        self.retry_after = "0.05"
        self.drop_next_post_response = False
        self.gateway_error_after_create = False
        self.hold_next_post = False
        self.release = threading.Event()
        self.post_replies: deque[tuple[int, bytes, bool]] = deque()
        self.get_replies: deque[tuple[int, bytes]] = deque()
        self.fail_gets = 0
        self.fee_cost: str | None = None
        self.report_fee = True
        self.lock = threading.Lock()

    def __enter__(self) -> FakeKalshiRest:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def do_DELETE(self) -> None:
                fake._handle(self, "DELETE")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{PREFIX}"

    def _raw(self, h, status: int, data: bytes, headers: dict | None = None) -> None:
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _reply(self, h, status: int, body: object, headers: dict | None = None) -> None:
        self._raw(h, status, json.dumps(body).encode(), headers)

    def _handle(self, h, method: str) -> None:
        url = urlsplit(h.path)
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        headers = dict(h.headers.items())
        with self.lock:
            status, reply = self._gate(method, url.path, headers)
            self.requests.append((method, url.path, status))
            if reply is not None:
                return self._raw(h, status, *reply)
            path, query = url.path[len(PREFIX) :], parse_qs(url.query)
            if method == "POST" and path == "/portfolio/events/orders":
                return self._create(h, json.loads(raw or b"{}"))
            if method == "POST" and path == "/portfolio/orders":
                return self._raw(h, 410, _error("deprecated_v1_order_endpoint", "use POST /portfolio/events/orders"))
            if method == "DELETE" and path.startswith("/portfolio/events/orders/"):
                return self._cancel(h, path.rsplit("/", 1)[1])
            if method == "GET":
                return self._get(h, path, query)
            return self._raw(h, 404, _error("not_found", path))

    def _gate(self, method: str, path: str, headers: dict) -> tuple[int, tuple | None]:
        """(status, (body, headers) or None to go on): signature, 429s, failing and canned GETs."""
        ts = int(headers.get("KALSHI-ACCESS-TIMESTAMP", "0") or 0)
        if abs(time.time() * 1000 - ts) > 5000 or not verify_signature(self.public_key, headers, method, path):
            return 401, (_error("authentication_error", "bad or expired signature"),)
        if self.fail_429:
            self.fail_429 -= 1
            return 429, (_error("too_many_requests", "slow down"), {"Retry-After": self.retry_after})
        if method == "GET" and self.fail_gets:
            self.fail_gets -= 1
            return 503, (_error("service_unavailable", "try later"),)
        if method == "GET" and self.get_replies:
            status, body = self.get_replies.popleft()
            return status, (body,)
        return 200, None

    def _get(self, h, path: str, query: dict) -> None:
        if path == "/portfolio/orders":
            orders = [o for o in self.orders.values() if o["ticker"] == query["ticker"][0]]
            return self._reply(h, 200, {"orders": orders, "cursor": ""})
        if path.startswith("/portfolio/orders/"):
            order = next((o for o in self.orders.values() if o["order_id"] == path.rsplit("/", 1)[1]), None)
            return self._reply(h, 200, {"order": order}) if order else self._raw(h, 404, _error("not_found", path))
        if path == "/portfolio/fills":
            fills = [f for f in self.fills if f["order_id"] == query["order_id"][0]]
            return self._reply(h, 200, {"fills": fills, "cursor": ""})
        return self._raw(h, 404, _error("not_found", path))

    def _invalid(self, body: dict) -> str | None:
        """Why a CreateOrderV2Request is refused (400 invalid_parameters), or None."""
        keys = set(body)
        if not REQUIRED <= keys or not keys <= REQUIRED | OPTIONAL:
            return f"fields: missing {sorted(REQUIRED - keys)}, unknown {sorted(keys - REQUIRED - OPTIONAL)}"
        if body["side"] not in ("bid", "ask") or body["self_trade_prevention_type"] not in ("taker_at_cross", "maker"):
            return "side / self_trade_prevention_type"
        if not (isinstance(body["count"], str) and _COUNT.match(body["count"]) and Decimal(body["count"]) > 0):
            return f"count {body['count']!r}"
        if not (isinstance(body["price"], str) and _PRICE.match(body["price"]) and 0 < Decimal(body["price"]) < 1):
            return f"price {body['price']!r}"
        if body["time_in_force"] not in ("fill_or_kill", "good_till_canceled", "immediate_or_cancel"):
            return "time_in_force"
        return None

    def _create(self, h, body: dict) -> None:
        self.bodies.append(body)
        if self.hold_next_post and not self._invalid(body):
            return self._deliver(h, self._place(body))
        if self.post_replies:
            status, raw, place_first = self.post_replies.popleft()
            if place_first and not self._invalid(body):
                self._place(body)
            return self._raw(h, status, raw)
        cid = body.get("client_order_id")
        if cid in self.orders:
            return self._raw(h, 409, _error("order_already_exists", "duplicate client_order_id"))
        problem = self._invalid(body)
        if problem:
            return self._raw(h, 400, _error("invalid_parameters", problem))
        reply = self._place(body)
        return self._deliver(h, reply)

    def _deliver(self, h, reply: dict) -> None:
        if self.gateway_error_after_create:
            self.gateway_error_after_create = False
            return self._raw(h, 502, _error("bad_gateway", "upstream timed out"))
        if self.drop_next_post_response:
            self.drop_next_post_response = False
            h.close_connection = True
            h.connection.shutdown(2)  # placed, but the reply never arrives
            return None
        if self.hold_next_post:
            self.hold_next_post = False
            self.lock.release()  # let the client's resend in while this reply is held
            try:
                self.release.wait(10)
            finally:
                self.lock.acquire()
        return self._reply(h, 201, reply)

    def _place(self, body: dict) -> dict:
        """Fill the IOC against the book; store the Order and its Fills; the CreateOrderV2Response."""
        count, yes_price = Decimal(body["count"]), Decimal(body["price"]).quantize(CENT4)
        filled = min(count, self.liquidity)
        self.liquidity -= filled
        order_id, now = str(uuid.uuid4()), datetime.now(UTC).isoformat()
        book_side = body["side"]
        fees = [self._fill(order_id, body["ticker"], book_side, size, yes_price, now) for size in self._sizes(filled)]
        order = {
            "order_id": order_id,
            "user_id": "user-1",
            "client_order_id": body.get("client_order_id", ""),
            "ticker": body["ticker"],
            "outcome_side": "yes" if book_side == "bid" else "no",
            "book_side": book_side,
            "type": "limit",
            "status": "executed" if filled == count else "canceled",
            "yes_price_dollars": f"{yes_price}",
            "no_price_dollars": f"{1 - yes_price}",
            "fill_count_fp": f"{filled.quantize(CENT2)}",
            "remaining_count_fp": "0.00",
            "initial_count_fp": f"{count.quantize(CENT2)}",
            "taker_fill_cost_dollars": f"{(filled * yes_price).quantize(CENT4)}",
            "maker_fill_cost_dollars": "0.0000",
            "taker_fees_dollars": f"{sum(fees, Decimal(0))}",
            "maker_fees_dollars": "0.0000",
            "created_time": now,
            "last_update_time": now,
            "self_trade_prevention_type": body["self_trade_prevention_type"],
            "order_group_id": body.get("order_group_id"),
            "cancel_order_on_pause": body.get("cancel_order_on_pause", False),
            "subaccount_number": body.get("subaccount", 0),
            "exchange_index": 0,
        }
        self.orders[order["client_order_id"] or order_id] = order
        return {
            "order_id": order_id,
            "client_order_id": order["client_order_id"],
            "fill_count": order["fill_count_fp"],
            "remaining_count": "0.00",
            "average_fill_price": f"{yes_price}",
            "average_fee_paid": f"{(sum(fees, Decimal(0)) / filled).quantize(CENT4)}" if filled else "0.0000",
            "ts_ms": int(time.time() * 1000),
        }

    def _sizes(self, filled: Decimal) -> list[Decimal]:
        sizes, left = [], filled
        for size in self.fill_sizes:
            if left <= 0:
                break
            sizes.append(min(size, left))
            left -= sizes[-1]
        return [*sizes, left] if left > 0 else sizes

    def _fill(self, order_id: str, ticker: str, book_side: str, size: Decimal, yes_price: Decimal, now: str):
        fee = Decimal(self.fee_cost) if self.fee_cost is not None else venue_fee(size, yes_price)
        fill_id = str(uuid.uuid4())
        fill = {
            "fill_id": fill_id,
            "trade_id": fill_id,
            "exchange_index": 0,
            "order_id": order_id,
            "ticker": ticker,
            "market_ticker": ticker,
            "outcome_side": "yes" if book_side == "bid" else "no",
            "book_side": book_side,
            "count_fp": f"{size.quantize(CENT2)}",
            "yes_price_dollars": f"{yes_price}",
            "no_price_dollars": f"{1 - yes_price}",
            "is_taker": True,
            "created_time": now,
            "subaccount_number": 0,
            "ts": int(time.time()),
            **({"fee_cost": f"{fee}"} if self.report_fee else {}),
        }
        self.fills.append(fill)
        return fee

    def _cancel(self, h, order_id: str) -> None:
        order = next((o for o in self.orders.values() if o["order_id"] == order_id), None)
        if order is None:
            return self._raw(h, 404, _error("not_found", order_id))
        reduced = order["remaining_count_fp"]
        order["remaining_count_fp"], order["status"] = "0.00", "canceled"
        cid, ts = order["client_order_id"], int(time.time() * 1000)
        return self._reply(h, 200, {"order_id": order_id, "client_order_id": cid, "reduced_by": reduced, "ts_ms": ts})
