"""A local Polymarket CLOB V2 order server (127.0.0.1, thread) checked with the official client's code.

Speaks the V2 REST order endpoints of py-clob-client-v2 1.2.1 (endpoints.py): POST /order, GET
/data/order/{id}, GET /data/trades, GET /balance-allowance, POST /v1/heartbeats, DELETE
/cancel-all, GET /version, and L1 POST /auth/api-key + GET /auth/derive-api-key. Every L2 request's
HMAC (`signing.hmac.build_hmac_signature`) and API key are verified, every L1 request's ClobAuth
EIP-712 signature (`signing.eip712`, recovered with eth_account), and every order's EIP-712
signature: the typed data is rebuilt with `ExchangeOrderBuilderV2.build_order_typed_data` for the
exchange the token's neg-risk flag selects, so an order signed for the wrong exchange is refused.
The order id is the client's `build_order_hash`.

Matching: a BUY takes `asks[token]` ([(price, size)], best first) at or below its limit; FAK/FOK
fill what they can and never rest, GTC rests. Each match is one trade (CONFIRMED) with its maker
orders and the `fee_rate_bps` of `fee_bps[token]`. The dead-man switch: after a first heartbeat,
no heartbeat for `heartbeat_timeout_s` cancels the account's open orders (`heartbeat_cancels`).
Faults: `fail_heartbeats`, `drop_next_post_response`, `fail_gets`, `balance` / `allowances`.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from py_clob_client_v2.config import get_contract_config
from py_clob_client_v2.order_utils.exchange_order_builder_v2 import ExchangeOrderBuilderV2
from py_clob_client_v2.order_utils.model.order_data_v2 import OrderV2
from py_clob_client_v2.order_utils.model.side import Side as ClientSide
from py_clob_client_v2.signing.eip712 import MSG_TO_SIGN, get_clob_auth_domain
from py_clob_client_v2.signing.hmac import build_hmac_signature
from py_clob_client_v2.signing.model import ClobAuth

CHAIN_ID = 137
SIX = Decimal(1_000_000)
NO_MATCH = "no orders found to match with FAK order. FAK orders are partially filled or killed if no match is found."


class FakeClob:
    def __init__(self, account_address: str, *, neg_risk: dict[str, bool] | None = None) -> None:
        self.address = account_address
        self.api_key = str(uuid.uuid4())
        self.api_secret = base64.urlsafe_b64encode(uuid.uuid4().bytes * 2).decode()
        self.api_passphrase = uuid.uuid4().hex
        self.neg_risk = neg_risk or {}
        self.asks: dict[str, list[tuple[Decimal, Decimal]]] = {}
        self.fee_bps: dict[str, int] = {}
        self.orders: dict[str, dict] = {}
        self.trades: list[dict] = []
        self.requests: list[tuple[str, str, int]] = []
        self.balance, self.allowances = "1000000000", None  # 1000 pUSD; None: every exchange approved
        self.fail_heartbeats = False
        self.drop_next_post_response = False
        self.fail_gets = 0
        self.heartbeat_timeout_s = 10.0
        self.heartbeats = 0
        self.heartbeat_cancels = 0
        self.last_heartbeat: float | None = None
        self.cancelled = threading.Event()
        self.lock = threading.Lock()
        self._stop = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------------
    def __enter__(self) -> FakeClob:
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
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        threading.Thread(target=self._dead_man_switch, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def _dead_man_switch(self) -> None:
        while not self._stop.wait(0.02):
            with self.lock:
                last = self.last_heartbeat
                if last is None or time.monotonic() - last < self.heartbeat_timeout_s:
                    continue
                self.last_heartbeat = None
                for order in self.orders.values():
                    if order["status"] == "LIVE":
                        order["status"] = "CANCELED"
                        self.heartbeat_cancels += 1
                self.cancelled.set()

    # -- plumbing --------------------------------------------------------------------------------
    def _reply(self, h, status: int, body) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    def _l2_ok(self, headers: dict, method: str, path: str, body: str) -> bool:
        if headers.get("POLY_API_KEY") != self.api_key or headers.get("POLY_PASSPHRASE") != self.api_passphrase:
            return False
        if headers.get("POLY_ADDRESS") != self.address:
            return False
        ts = headers.get("POLY_TIMESTAMP", "0")
        if abs(time.time() - int(ts)) > 30:
            return False
        expected = build_hmac_signature(self.api_secret, ts, method, path, body or None)
        return headers.get("POLY_SIGNATURE") == expected

    def _l1_ok(self, headers: dict) -> bool:
        auth = ClobAuth(
            address=headers.get("POLY_ADDRESS", ""),
            timestamp=headers.get("POLY_TIMESTAMP", ""),
            nonce=int(headers.get("POLY_NONCE", "0")),
            message=MSG_TO_SIGN,
        )
        digest = keccak(auth.signable_bytes(get_clob_auth_domain(CHAIN_ID)))
        try:
            signer = Account._recover_hash(digest, signature=bytes.fromhex(headers["POLY_SIGNATURE"][2:]))
        except Exception:  # noqa: BLE001 - any malformed signature is a refusal
            return False
        return signer == self.address

    def _handle(self, h, method: str) -> None:
        url = urlsplit(h.path)
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0)).decode()
        headers = {k.upper(): v for k, v in h.headers.items()}
        path, query = url.path, {k: v[0] for k, v in parse_qs(url.query).items()}
        with self.lock:
            if path in ("/auth/api-key", "/auth/derive-api-key"):
                return self._api_key(h, headers, method, path)
            if path == "/version":
                return self._reply(h, 200, {"version": 2})
            if not self._l2_ok(headers, method, path, raw):
                self.requests.append((method, path, 401))
                return self._reply(h, 401, {"error": "Unauthorized/Invalid api key"})
            if method == "GET" and self.fail_gets:
                self.fail_gets -= 1
                self.requests.append((method, path, 503))
                return self._reply(h, 503, {"error": "service unavailable"})
            self.requests.append((method, path, 200))
            return self._route(h, method, path, query, raw)

    def _route(self, h, method: str, path: str, query: dict, raw: str) -> None:
        if method == "POST" and path == "/order":
            return self._post_order(h, json.loads(raw))
        if method == "POST" and path == "/v1/heartbeats":
            return self._heartbeat(h, json.loads(raw or "{}"))
        if method == "DELETE" and path == "/cancel-all":
            ids = [oid for oid, o in self.orders.items() if o["status"] == "LIVE"]
            for oid in ids:
                self.orders[oid]["status"] = "CANCELED"
            return self._reply(h, 200, {"canceled": ids, "not_canceled": {}})
        if path.startswith("/data/order/"):
            order = self.orders.get(path.rsplit("/", 1)[1])
            return self._reply(h, 200, order) if order else self._reply(h, 404, {"error": "order not found"})
        if path == "/data/trades":
            return self._reply(h, 200, {"data": self._trades(query), "next_cursor": "LTE=", "count": 0})
        if path == "/balance-allowance":
            return self._reply(h, 200, {"balance": self.balance, "allowances": self._allowances()})
        return self._reply(h, 404, {"error": f"no route {method} {path}"})

    def _api_key(self, h, headers: dict, method: str, path: str) -> None:
        if not self._l1_ok(headers):
            self.requests.append((method, path, 401))
            return self._reply(h, 401, {"error": "Invalid L1 Request headers"})
        self.requests.append((method, path, 200))
        return self._reply(
            h, 200, {"apiKey": self.api_key, "secret": self.api_secret, "passphrase": self.api_passphrase}
        )

    def _allowances(self) -> dict:
        if self.allowances is not None:
            return self.allowances
        config = get_contract_config(CHAIN_ID)
        return {config.exchange_v2: str(2**256 - 1), config.neg_risk_exchange_v2: str(2**256 - 1)}

    def _trades(self, query: dict) -> list[dict]:
        out = [t for t in self.trades if not query.get("asset_id") or t["asset_id"] == query["asset_id"]]
        return [t for t in out if int(t["match_time"]) >= int(query.get("after", 0))]

    # -- heartbeats ------------------------------------------------------------------------------
    def _heartbeat(self, h, body: dict) -> None:
        if self.fail_heartbeats:
            return self._reply(h, 503, {"error": "heartbeats unavailable"})
        self.heartbeats += 1
        self.last_heartbeat = time.monotonic()
        return self._reply(
            h, 200, {"heartbeat_id": str(uuid.uuid4()), "status": "ok", "previous": body.get("heartbeat_id")}
        )

    # -- orders ----------------------------------------------------------------------------------
    def _verify_order(self, o: dict) -> str:
        """The order's id (its hash) if its EIP-712 signature recovers to its signer, else ""."""
        config = get_contract_config(CHAIN_ID)
        exchange = config.neg_risk_exchange_v2 if self.neg_risk.get(o["tokenId"]) else config.exchange_v2
        builder = ExchangeOrderBuilderV2(exchange, CHAIN_ID, None)
        order = OrderV2(
            salt=str(o["salt"]),
            maker=o["maker"],
            signer=o["signer"],
            tokenId=o["tokenId"],
            makerAmount=o["makerAmount"],
            takerAmount=o["takerAmount"],
            side=ClientSide.BUY if o["side"] == "BUY" else ClientSide.SELL,
            signatureType=o["signatureType"],
            timestamp=o["timestamp"],
            metadata=o["metadata"],
            builder=o["builder"],
            expiration=o["expiration"],
        )
        typed = builder.build_order_typed_data(order)
        signer = Account.recover_message(encode_typed_data(full_message=typed), signature=o["signature"])
        return builder.build_order_hash(typed) if signer == o["signer"] == self.address else ""

    def _post_order(self, h, body: dict) -> None:
        o = body["order"]
        if body.get("owner") != self.api_key:
            return self._reply(h, 400, {"error": "owner does not match the API key"})
        order_id = self._verify_order(o)
        if not order_id:
            return self._reply(h, 400, {"error": "invalid order signature"})
        if order_id in self.orders:
            return self._reply(h, 400, {"error": "order already exists"})
        size = Decimal(o["takerAmount"]) / SIX
        limit = Decimal(o["makerAmount"]) / Decimal(o["takerAmount"])
        trade = self._match(o["tokenId"], order_id, limit, size)
        matched = Decimal(trade["size"]) if trade else Decimal(0)
        kind = body["orderType"]
        rests = kind in ("GTC", "GTD") and matched < size
        self.orders[order_id] = {
            "id": order_id,
            "status": "LIVE" if rests else "MATCHED" if matched else "CANCELED",
            "owner": self.api_key,
            "maker_address": o["maker"],
            "market": "0xcond",
            "asset_id": o["tokenId"],
            "side": o["side"],
            "original_size": str(size),
            "size_matched": str(matched),
            "price": str(limit),
            "order_type": kind,
            "associate_trades": [trade["id"]] if trade else [],
            "created_at": int(time.time()),
        }
        if not matched and kind in ("FAK", "FOK"):
            return self._reply(
                h,
                400,
                {"error": NO_MATCH},
            )
        if self.drop_next_post_response:
            self.drop_next_post_response = False
            h.close_connection = True
            h.connection.shutdown(2)  # placed and matched, but the reply never arrives
            return None
        return self._reply(
            h,
            200,
            {
                "success": True,
                "errorMsg": "",
                "orderID": order_id,
                "status": "matched" if matched else "live",
                "makingAmount": str(matched * limit),
                "takingAmount": str(matched),
                "tradeIDs": [trade["id"]] if trade else [],
                "transactionsHashes": ["0x" + "ab" * 32] if trade else [],
            },
        )

    def _match(self, token: str, order_id: str, limit: Decimal, size: Decimal) -> dict | None:
        book, makers, left = self.asks.get(token, []), [], size
        while book and left > 0 and book[0][0] <= limit:
            price, avail = book[0]
            take = min(avail, left)
            makers.append(
                {
                    "order_id": str(uuid.uuid4()),
                    "price": str(price),
                    "matched_amount": str(take),
                    "asset_id": token,
                    "owner": "maker",
                    "maker_address": "0xmaker",
                    "side": "SELL",
                    "outcome": "Yes",
                    "fee_rate_bps": "0",
                }
            )
            left -= take
            book[0] = (price, avail - take)
            if book[0][1] == 0:
                book.pop(0)
        if not makers:
            return None
        trade = {
            "id": str(uuid.uuid4()),
            "taker_order_id": order_id,
            "market": "0xcond",
            "asset_id": token,
            "side": "BUY",
            "size": str(size - left),
            "price": str(limit),
            "status": "CONFIRMED",
            "fee_rate_bps": str(self.fee_bps.get(token, 0)),
            "match_time": str(int(time.time())),
            "last_update": str(int(time.time())),
            "trader_side": "TAKER",
            "outcome": "Yes",
            "owner": self.api_key,
            "maker_address": self.address,
            "bucket_index": 0,
            "transaction_hash": "0x" + "ab" * 32,
            "maker_orders": makers,
        }
        self.trades.append(trade)
        return trade
