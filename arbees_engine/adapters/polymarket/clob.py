"""Polymarket CLOB V2 order entry through the official client, py-clob-client-v2 (1.2.x).

Every signature comes from the client's own code: orders are EIP-712 signed by
`ExchangeOrderBuilderV2` (domain "Polymarket CTF Exchange", version "2", the V2 exchange or the
neg-risk V2 exchange of `config.get_contract_config`), L1 requests (API-key creation) by
`create_level_1_headers`, L2 requests by `create_level_2_headers` (HMAC-SHA256 over
timestamp + METHOD + path + body). Endpoints (py_clob_client_v2/endpoints.py;
https://docs.polymarket.com/api-reference): POST /order {order, owner, orderType FAK|FOK|GTC,
deferExec, postOnly} → {success, orderID, status, makingAmount, takingAmount, tradeIDs, errorMsg};
GET /data/order/{orderID}; GET /data/trades?asset_id&after → {data, next_cursor}; GET
/balance-allowance?asset_type=COLLATERAL → {balance, allowances{spender: amount}} (pUSD base units,
6 decimals); POST /v1/heartbeats {heartbeat_id} → {heartbeat_id}; DELETE /cancel-all; GET /version.

An order is built deterministically from our Order: the salt from its client order id and the
order timestamp from `created_at` (ms), so its venue order id (the EIP-712 order hash,
`build_order_hash`) can be recomputed after a restart and looked up: Polymarket has no client
order id. The client is synchronous (one shared httpx client): each call runs in a worker thread
(asyncio.to_thread) under `timeout_s`. `post_order` is the client's `post_order` without its
30 s wait for settlement hashes (an IOC leg must not block on chain settlement).

Refuses to exist unless live Polymarket trading is authorised (live.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from py_clob_client_v2.client import ClobClient
from py_clob_client_v2.clob_types import AssetType, BalanceAllowanceParams, OrderType, RequestArgs, TradeParams
from py_clob_client_v2.config import get_contract_config
from py_clob_client_v2.endpoints import POST_ORDER
from py_clob_client_v2.exceptions import PolyApiException, PolyException
from py_clob_client_v2.headers.headers import create_level_2_headers
from py_clob_client_v2.http_helpers.helpers import post
from py_clob_client_v2.order_builder.builder import ROUNDING_CONFIG, OrderBuilder
from py_clob_client_v2.order_utils.exchange_order_builder_v2 import ExchangeOrderBuilderV2
from py_clob_client_v2.order_utils.model.order_data_v2 import OrderDataV2, SignedOrderV2, order_to_json_v2
from py_clob_client_v2.order_utils.model.side import Side as ClientSide

from ...model import Order
from ..live import require_live
from .credentials import ApiCredentials

#: The official client this module is written and tested against (tests pin it).
CLIENT_PACKAGE, CLIENT_VERSION = "py-clob-client-v2", "1.2.1"
POLYGON_CHAIN_ID = 137
EPOCH, MILLISECOND = datetime(1970, 1, 1, tzinfo=UTC), timedelta(milliseconds=1)
TOKEN_DECIMALS = Decimal(1_000_000)  # pUSD and outcome tokens carry 6 decimals (config.py)
_T = TypeVar("_T")


class PolymarketApiError(RuntimeError):
    """A definite venue answer refusing a request: `status` (HTTP 4xx), `message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"Polymarket HTTP {status}: {message}"[:300])
        self.status, self.message = status, message


class OutcomeUnknown(RuntimeError):
    """No definite answer (transport error, timeout, HTTP 5xx): the request may have been applied."""


class InvalidOrder(ValueError):
    """An order the client refuses to sign (off the tick grid, amounts not exact, bad terms)."""


class FundsError(RuntimeError):
    """pUSD balance or allowance unusable at start; the message says what to fix."""


@dataclass(frozen=True, slots=True)
class OrderTerms:
    """What the venue needs to accept an order on one outcome token: `token_id`, `tick` (dollars,
    a key of the client's ROUNDING_CONFIG), `neg_risk` (signed for the neg-risk exchange)."""

    token_id: str
    tick: Decimal
    neg_risk: bool


def order_salt(client_order_id: str) -> int:
    """A 48-bit salt derived from the client order id (stable, so the order hash is reproducible;
    below 2**53 so JSON readers keep it exact)."""
    return int.from_bytes(hashlib.sha256(client_order_id.encode()).digest()[:6], "big")


class PolymarketOrderClient:
    """Signed Polymarket CLOB V2 client for FAK limit buys (module docstring).

    host: CLOB REST root; private_key: the signer's hex key; credentials: the CLOB API key;
    signature_type: 0 EOA, 1 POLY_PROXY, 2 POLY_GNOSIS_SAFE, 3 POLY_1271 (SignatureTypeV2);
    funder: the address holding pUSD (default: the signer); env: checked for the live switches;
    timeout_s: per call (seconds). Raises LiveVenueRefused unless Polymarket is authorised live.
    """

    def __init__(
        self,
        *,
        host: str,
        private_key: str,
        credentials: ApiCredentials,
        chain_id: int = POLYGON_CHAIN_ID,
        signature_type: int = 0,
        funder: str | None = None,
        env: Mapping[str, str] | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        require_live("polymarket", env)
        self.timeout_s = timeout_s
        self._creds = credentials.to_client()
        self._clob = ClobClient(
            host, chain_id, key=private_key, creds=self._creds, signature_type=signature_type, funder=funder
        )
        self.version = 2  # the exchange version orders are signed for (GET /version at `start`)

    @property
    def address(self) -> str:
        """The signer's address (checksummed)."""
        return str(self._clob.get_address())

    async def _call(self, fn: Callable[..., _T], *args: Any) -> _T:
        """Run a blocking client call in a thread under `timeout_s`; map its errors (class docstrings)."""
        try:
            return await asyncio.wait_for(asyncio.to_thread(fn, *args), self.timeout_s)
        except TimeoutError:
            raise OutcomeUnknown(f"no answer within {self.timeout_s} s") from None
        except PolyApiException as exc:
            if exc.status_code is None or exc.status_code >= 500:
                raise OutcomeUnknown(f"HTTP {exc.status_code}: {str(exc.error_msg)[:160]}") from None
            raise PolymarketApiError(exc.status_code, _message(exc.error_msg)) from None

    async def start(self, min_balance: Decimal) -> Decimal:
        """Read the exchange version and check pUSD before trading; returns the balance in dollars.

        Raises FundsError (balance below `min_balance` dollars, or no allowance for an exchange
        the orders are signed for), PolymarketApiError (e.g. 401 bad API key) or OutcomeUnknown.
        """
        self.version = int(await self._call(self._clob.get_version))
        if self.version not in (2, 3):
            raise FundsError(f"the CLOB runs exchange version {self.version}; this client signs V2/V3 orders")
        params = BalanceAllowanceParams(asset_type=AssetType.COLLATERAL)
        raw = await self._call(self._clob.get_balance_allowance, params)
        return self._check_funds(raw, min_balance)

    def spenders(self) -> dict[str, str]:
        """The exchange contracts orders are signed for ({name: address}); each needs a pUSD allowance."""
        config = get_contract_config(self._clob.chain_id)
        if self.version == 3:
            return {"exchange_v3": config.exchange_v3}
        return {"exchange_v2": config.exchange_v2, "neg_risk_exchange_v2": config.neg_risk_exchange_v2}

    def _check_funds(self, raw: object, min_balance: Decimal) -> Decimal:
        if not isinstance(raw, dict):
            raise FundsError(f"balance-allowance answer is not an object: {str(raw)[:120]}")
        try:
            balance = Decimal(str(raw["balance"])) / TOKEN_DECIMALS
            allowances = {k.lower(): Decimal(str(v)) for k, v in (raw.get("allowances") or {}).items()}
        except (KeyError, ArithmeticError, AttributeError, ValueError) as exc:
            raise FundsError(f"balance-allowance answer unreadable: {exc!r}") from None
        if balance < min_balance:
            raise FundsError(
                f"pUSD balance ${balance} of {self.address} is below the ${min_balance} needed to trade live"
            )
        missing = [f"{name} {addr}" for name, addr in self.spenders().items() if not allowances.get(addr.lower())]
        if missing:
            raise FundsError(
                f"no pUSD allowance for {', '.join(missing)}: approve pUSD for the exchange before trading live"
            )
        return balance

    def signed_order(self, order: Order, terms: OrderTerms) -> SignedOrderV2:
        """`order` (a BUY of `order.contracts` at `order.limit_price`) signed for `terms`, reproducibly.

        Raises InvalidOrder for a tick the client has no rounding for, a limit off that tick, or
        amounts the client's float rounding would not write exactly (price × contracts in pUSD).
        """
        tick = format(terms.tick.normalize(), "f")
        if tick not in ROUNDING_CONFIG:
            raise InvalidOrder(f"tick {tick} is not one the CLOB supports ({', '.join(ROUNDING_CONFIG)})")
        if order.limit_price % terms.tick or not terms.tick <= order.limit_price <= 1 - terms.tick:
            raise InvalidOrder(f"limit {order.limit_price} is not on the {tick} grid inside (0, 1)")
        client_builder = self._clob.builder
        builder = OrderBuilder(self._clob.signer, client_builder.signature_type, client_builder.funder)
        _, maker, taker = builder.get_order_amounts(
            "BUY", float(order.contracts), float(order.limit_price), ROUNDING_CONFIG[tick]
        )
        if Decimal(maker) != order.limit_price * order.contracts * TOKEN_DECIMALS or Decimal(taker) != (
            order.contracts * TOKEN_DECIMALS
        ):
            raise InvalidOrder(f"amounts {maker}/{taker} are not exactly {order.contracts} @ {order.limit_price}")
        exchange = self._exchange(terms.neg_risk)
        salt = order_salt(order.client_order_id)
        signer = ExchangeOrderBuilderV2(
            exchange, self._clob.chain_id, self._clob.signer, lambda: str(salt), domain_version=str(self.version)
        )
        data = OrderDataV2(
            maker=str(builder.funder),
            tokenId=terms.token_id,
            makerAmount=str(maker),
            takerAmount=str(taker),
            side=ClientSide.BUY,
            signer=builder._v2_order_signer(),
            signatureType=builder.signature_type,
            timestamp=str((order.created_at - EPOCH) // MILLISECOND),  # exact integer ms, no float
        )
        return signer.build_signed_order(data)

    def order_id(self, signed: SignedOrderV2, neg_risk: bool) -> str:
        """The venue's order id of `signed`: its EIP-712 hash ("0x…", 66 characters)."""
        signer = ExchangeOrderBuilderV2(
            self._exchange(neg_risk), self._clob.chain_id, self._clob.signer, domain_version=str(self.version)
        )
        return str(signer.build_order_hash(signer.build_order_typed_data(signed)))

    def _exchange(self, neg_risk: bool) -> str:
        config = get_contract_config(self._clob.chain_id)
        if self.version == 3:
            return str(config.exchange_v3)
        return str(config.neg_risk_exchange_v2 if neg_risk else config.exchange_v2)

    async def post_order(self, signed: SignedOrderV2, order_type: str = OrderType.FAK) -> dict:
        """POST /order (the client's post_order, no settlement wait). Raises PolymarketApiError
        (definite refusal, e.g. 400 no match for a FAK) or OutcomeUnknown."""
        clob = self._clob
        payload = order_to_json_v2(signed, self._creds.api_key, order_type, False, False)
        serialized = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)

        def send() -> Any:
            args = RequestArgs(method="POST", request_path=POST_ORDER, body=payload, serialized_body=serialized)
            headers = create_level_2_headers(clob.signer, clob.creds, args)
            return post(f"{clob.host}{POST_ORDER}", headers=headers, data=serialized)

        reply = await self._call(send)
        if not isinstance(reply, dict):
            raise OutcomeUnknown(f"POST /order answered {str(reply)[:120]}")
        if reply.get("success") is False or reply.get("errorMsg"):
            raise PolymarketApiError(400, str(reply.get("errorMsg") or reply)[:200])
        return reply

    async def get_order(self, order_id: str) -> dict | None:
        """GET /data/order/{order_id} → the venue order, or None when the venue does not know it (404,
        400, or an empty answer). Raises OutcomeUnknown for an answer it cannot read (that proves
        nothing: the order must not be called never-sent on garbage)."""
        try:
            venue = await self._call(self._clob.get_order, order_id)
        except PolymarketApiError as exc:
            if exc.status in (400, 404):
                return None
            raise
        if not venue:
            return None
        if not isinstance(venue, dict) or venue.get("id") != order_id:
            raise OutcomeUnknown(f"GET /data/order answered {str(venue)[:120]}")
        return venue

    async def trades(self, order_id: str, token_id: str, after_s: int) -> list[dict]:
        """The account's trades where `order_id` was the taker (GET /data/trades?asset_id&after, all pages)."""
        raw = await self._call(self._clob.get_trades, TradeParams(asset_id=token_id, after=after_s))
        return [t for t in raw if isinstance(t, dict) and t.get("taker_order_id") == order_id]

    async def heartbeat(self, heartbeat_id: str) -> str:
        """POST /v1/heartbeats; the id to send next (the venue chains them)."""
        reply = await self._call(self._clob.post_heartbeat, heartbeat_id)
        return str(reply.get("heartbeat_id", "")) if isinstance(reply, dict) else ""

    async def cancel_all(self) -> None:
        """DELETE /cancel-all: every open order of the account."""
        await self._call(self._clob.cancel_all)


def _message(error: object) -> str:
    if isinstance(error, dict):
        return str(error.get("error") or error.get("errorMsg") or error)[:200]
    return str(error)[:200]


__all__ = [
    "CLIENT_PACKAGE",
    "CLIENT_VERSION",
    "FundsError",
    "InvalidOrder",
    "OrderTerms",
    "OutcomeUnknown",
    "PolyException",
    "PolymarketApiError",
    "PolymarketOrderClient",
]
