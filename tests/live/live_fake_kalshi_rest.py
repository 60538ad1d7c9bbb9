"""A local Kalshi REST server (127.0.0.1, thread) for the order endpoints.

Verifies every request's RSA-PSS signature over timestamp + METHOD + path-without-query with the
public key and rejects timestamps older than 5 s (401). Fills IOC buys against `liquidity`,
answers a reused client_order_id with 409 `order_already_exists`, and injects 429s
(`Retry-After`), a "response lost after the order was placed" fault, a 502 after the order was
placed (`gateway_error_after_create`) and failing lookups (`fail_gets` 503s).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from arbees_engine.adapters.kalshi.auth import verify_signature

PREFIX = "/trade-api/v2"


class FakeKalshiRest:
    def __init__(self, public_key, liquidity: int = 1000) -> None:
        self.public_key = public_key
        self.liquidity = liquidity
        self.orders: dict[str, dict] = {}
        self.fills: list[dict] = []
        self.requests: list[tuple[str, str, int]] = []
        self.fail_429 = 0
        self.retry_after = "0.05"
        self.drop_next_post_response = False
        self.gateway_error_after_create = False
        self.fail_gets = 0
        self.fee_cost: str | None = None  # when set, fills report Kalshi's `fee_cost` (dollars)
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

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{PREFIX}"

    def _reply(self, h, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _handle(self, h, method: str) -> None:
        url = urlsplit(h.path)
        body = json.loads(h.rfile.read(int(h.headers.get("Content-Length") or 0)) or b"{}")
        headers = dict(h.headers.items())
        ts = int(headers.get("KALSHI-ACCESS-TIMESTAMP", "0") or 0)
        with self.lock:
            if abs(time.time() * 1000 - ts) > 5000 or not verify_signature(self.public_key, headers, method, url.path):
                self.requests.append((method, url.path, 401))
                return self._reply(
                    h, 401, {"error": {"code": "authentication_error", "message": "bad or expired signature"}}
                )
            if self.fail_429:
                self.fail_429 -= 1
                self.requests.append((method, url.path, 429))
                return self._reply(
                    h,
                    429,
                    {"error": {"code": "too_many_requests", "message": "slow down"}},
                    {"Retry-After": self.retry_after},
                )
            if method == "GET" and self.fail_gets:
                self.fail_gets -= 1
                self.requests.append((method, url.path, 503))
                return self._reply(h, 503, {"error": {"code": "service_unavailable", "message": "try later"}})
            self.requests.append((method, url.path, 200))
            path, query = url.path[len(PREFIX) :], parse_qs(url.query)
            if method == "POST" and path == "/portfolio/orders":
                return self._create(h, body)
            if path == "/portfolio/orders":
                orders = [o for o in self.orders.values() if o["ticker"] == query["ticker"][0]]
                return self._reply(h, 200, {"orders": orders, "cursor": ""})
            if path.startswith("/portfolio/orders/"):
                order = next((o for o in self.orders.values() if o["order_id"] == path.rsplit("/", 1)[1]), None)
                return self._reply(
                    h, 200 if order else 404, {"order": order} if order else {"error": {"code": "not_found"}}
                )
            if path == "/portfolio/fills":
                return self._reply(
                    h, 200, {"fills": [f for f in self.fills if f["order_id"] == query["order_id"][0]], "cursor": ""}
                )
            return self._reply(h, 404, {"error": {"code": "not_found", "message": path}})

    def _create(self, h, body: dict) -> None:
        cid = body["client_order_id"]
        if cid in self.orders:
            return self._reply(
                h, 409, {"error": {"code": "order_already_exists", "message": "duplicate client_order_id"}}
            )
        assert body["time_in_force"] == "immediate_or_cancel" and body["type"] == "limit"
        filled = min(int(body["count"]), self.liquidity)
        self.liquidity -= filled
        order = {
            "order_id": str(uuid.uuid4()),
            "client_order_id": cid,
            "ticker": body["ticker"],
            "side": body["side"],
            "action": body["action"],
            "status": "executed" if filled == body["count"] else "canceled",
            "fill_count_fp": f"{filled:.2f}",
            "remaining_count_fp": "0.00",
            "yes_price_dollars": body.get("yes_price_dollars"),
            "no_price_dollars": body.get("no_price_dollars"),
        }
        self.orders[cid] = order
        if filled:
            self.fills.append(
                {
                    "fill_id": str(uuid.uuid4()),
                    "order_id": order["order_id"],
                    "ticker": body["ticker"],
                    "side": body["side"],
                    "count_fp": f"{filled:.2f}",
                    "yes_price_dollars": body.get("yes_price_dollars"),
                    "no_price_dollars": body.get("no_price_dollars"),
                    **({"fee_cost": self.fee_cost} if self.fee_cost is not None else {}),
                }
            )
        if self.gateway_error_after_create:
            self.gateway_error_after_create = False
            return self._reply(h, 502, {"error": {"code": "bad_gateway", "message": "upstream timed out"}})
        if self.drop_next_post_response:
            self.drop_next_post_response = False
            h.close_connection = True
            h.connection.shutdown(2)  # placed, but the reply never arrives
            return
        return self._reply(h, 201, {"order": order})
