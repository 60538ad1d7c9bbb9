"""A local Kalshi REST server (127.0.0.1, thread) for the exchange, account and order-group endpoints.

Shapes per the official SDK kalshi-typescript 3.30.0 (models ExchangeStatus, GetExchangeScheduleResponse,
GetAccountApiLimitsResponse, GetAccountEndpointCostsResponse, CreateOrderGroupRequest/Response,
GetOrderGroupsResponse, UpdateOrderGroupLimitRequest):
  GET  /exchange/status, /exchange/schedule           (public; `paused` / `maintenance` switch them)
  GET  /account/limits, /account/endpoint_costs       (signed)
  GET  /portfolio/order_groups, /portfolio/order_groups/{id}; POST /portfolio/order_groups/create;
  PUT  /portfolio/order_groups/{id}/limit             (signed)
Signed requests are checked like the order fake (RSA-PSS over timestamp + METHOD + path, 5 s).
`fail_429` answers that many requests with 429 {"error": "too many requests"} — the body Kalshi
documents (https://docs.kalshi.com/getting_started/rate_limits); with `retry_after` set, a
Retry-After header too (Kalshi sends none today; the client must work either way).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from arbees_engine.adapters.kalshi.auth import verify_signature

PREFIX = "/trade-api/v2"
PUBLIC = {"/exchange/status", "/exchange/schedule"}


class FakeKalshiExchange:
    def __init__(self, public_key=None, *, usage_tier: str = "basic", read=(200, 200), write=(100, 200)) -> None:
        self.public_key = public_key
        self.paused = False  # trading_active false (a halt)
        self.maintenance = False  # exchange_active false too
        self.maintenance_windows: list[dict] = []
        self.limits = {
            "usage_tier": usage_tier,
            "read": {"refill_rate": read[0], "bucket_capacity": read[1]},
            "write": {"refill_rate": write[0], "bucket_capacity": write[1]},
            "grants": [],
        }
        self.endpoint_costs = [{"method": "DELETE", "path": "/trade-api/v2/portfolio/orders/{order_id}", "cost": 2}]
        self.groups: dict[str, dict] = {}
        self.fail_429 = 0
        self.retry_after: str | None = None
        self.requests: list[tuple[str, str, int]] = []
        self.lock = threading.Lock()

    def __enter__(self) -> FakeKalshiExchange:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                fake._handle(self, "GET")

            def do_POST(self) -> None:
                fake._handle(self, "POST")

            def do_PUT(self) -> None:
                fake._handle(self, "PUT")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{PREFIX}"

    def hits(self, path: str) -> int:
        return sum(1 for _, p, _ in self.requests if p == PREFIX + path)

    def _reply(self, h, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _signed(self, h, method: str, path: str) -> bool:
        if self.public_key is None:
            return True
        headers = dict(h.headers.items())
        ts = int(headers.get("KALSHI-ACCESS-TIMESTAMP", "0") or 0)
        return abs(time.time() * 1000 - ts) <= 5000 and verify_signature(self.public_key, headers, method, path)

    def _handle(self, h, method: str) -> None:
        url = urlsplit(h.path)
        body = json.loads(h.rfile.read(int(h.headers.get("Content-Length") or 0)) or b"{}")
        path = url.path[len(PREFIX) :]
        with self.lock:
            if path not in PUBLIC and not self._signed(h, method, url.path):
                self.requests.append((method, url.path, 401))
                return self._reply(h, 401, {"error": {"code": "authentication_error", "message": "bad signature"}})
            if self.fail_429:
                self.fail_429 -= 1
                self.requests.append((method, url.path, 429))
                headers = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
                return self._reply(h, 429, {"error": "too many requests"}, headers)
            status, reply = self._route(method, path, body)
            self.requests.append((method, url.path, status))
            return self._reply(h, status, reply)

    def _route(self, method: str, path: str, body: dict) -> tuple[int, dict]:
        if path == "/exchange/status":
            down = self.paused or self.maintenance
            return 200, {
                "exchange_active": not self.maintenance,
                "trading_active": not down,
                "exchange_estimated_resume_time": "2026-12-08T01:00:00Z" if down else None,
            }
        if path == "/exchange/schedule":
            return 200, {"schedule": {"standard_hours": [], "maintenance_windows": self.maintenance_windows}}
        if path == "/account/limits":
            return 200, self.limits
        if path == "/account/endpoint_costs":
            return 200, {"default_cost": 10, "endpoint_costs": self.endpoint_costs}
        return self._order_groups(method, path, body)

    def _order_groups(self, method: str, path: str, body: dict) -> tuple[int, dict]:
        if method == "POST" and path == "/portfolio/order_groups/create":
            limit = body.get("contracts_limit_fp")
            if not isinstance(limit, str) or float(limit) < 1:
                return 400, {"error": {"code": "invalid_parameters", "message": "contracts_limit_fp"}}
            gid = str(uuid.uuid4())
            self.groups[gid] = {"id": gid, "contracts_limit_fp": f"{float(limit):.2f}", "is_auto_cancel_enabled": False}
            return 201, {"order_group_id": gid, "subaccount": body.get("subaccount", 0)}
        if method == "GET" and path == "/portfolio/order_groups":
            return 200, {"order_groups": list(self.groups.values())}
        parts = path.split("/")  # ["", "portfolio", "order_groups", id, ...]
        if len(parts) >= 4 and parts[2] == "order_groups" and parts[3] in self.groups:
            group = self.groups[parts[3]]
            if method == "PUT" and parts[4:] == ["limit"]:
                group["contracts_limit_fp"] = f"{float(body['contracts_limit_fp']):.2f}"
                return 200, {}
            if method == "GET" and len(parts) == 4:
                limit = group["contracts_limit_fp"]
                return 200, {"is_auto_cancel_enabled": False, "contracts_limit_fp": limit, "orders": []}
        return 404, {"error": {"code": "not_found", "message": path}}
