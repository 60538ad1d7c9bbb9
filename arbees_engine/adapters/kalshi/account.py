"""Signed Kalshi account calls: the account's rate limits and the engine's order group.

Order groups (SDK kalshi-typescript 3.30.0, OrderGroupsApi; https://docs.kalshi.com/api-reference/order-groups):
  POST /portfolio/order_groups/create {contracts_limit_fp: "N.00", subaccount?, exchange_index?}
       → {order_group_id, subaccount}     (a contracts cap over a rolling 15-second window)
  GET  /portfolio/order_groups/{id}      → {is_auto_cancel_enabled, contracts_limit_fp, orders}
  PUT  /portfolio/order_groups/{id}/limit {contracts_limit_fp}
When a group's cap is hit Kalshi cancels every order in it and refuses new ones until reset. One
group per engine, sized by `order_group_limit` from our risk limits, is created at start or
reused (its id remembered in a 0600 state file), and its id goes on every order
(`KalshiOrderGroup.order_group_id`, the `order_group_id` field of CreateOrderV2Request) together
with `cancel_order_on_pause: true` (`RESTING_ORDER_FIELDS`).
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path

import httpx
import structlog

from ...secret_files import write_secret_file
from ..base import Sink
from ..wire import ParseError, need, need_dict
from .auth import KalshiSigner
from .ratelimit import ApiLimits, KalshiRateLimiter, parse_account_limits, parse_endpoint_costs

log = structlog.get_logger(__name__)

#: Fields every resting-capable order carries (CreateOrderV2Request): Kalshi cancels it on a pause.
RESTING_ORDER_FIELDS = {"cancel_order_on_pause": True}


class KalshiAccountError(RuntimeError):
    """A signed account call that failed: `status` (HTTP, 0 for transport) and `detail`."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"Kalshi account call failed: HTTP {status}: {detail}"[:300])
        self.status, self.detail = status, detail


async def signed_json(
    client: httpx.AsyncClient, base_url: str, signer: KalshiSigner, method: str, path: str, body: dict | None = None
) -> object:
    """`method` {base_url}{path} signed over the path without query; its JSON body ({} if empty).
    Raises KalshiAccountError for a transport failure, an HTTP error or a non-JSON answer."""
    prefix = httpx.URL(base_url).path.rstrip("/")
    try:
        resp = await client.request(
            method, base_url.rstrip("/") + path, json=body, headers=signer.headers(method, prefix + path)
        )
    except httpx.HTTPError as exc:
        raise KalshiAccountError(0, f"{type(exc).__name__}: {exc}") from exc
    if resp.status_code >= 400:
        raise KalshiAccountError(resp.status_code, resp.text[:200])
    try:
        return resp.json() if resp.content else {}
    except ValueError as exc:
        raise KalshiAccountError(resp.status_code, "not JSON") from exc


async def load_rate_limits(
    limiter: KalshiRateLimiter, client: httpx.AsyncClient, base_url: str, signer: KalshiSigner
) -> ApiLimits | None:
    """Size `limiter` from GET /account/limits and GET /account/endpoint_costs; None (and the
    limiter left as it was: Basic) when either cannot be read, logged."""
    try:
        limits = parse_account_limits(await signed_json(client, base_url, signer, "GET", "/account/limits"))
        default, costs = parse_endpoint_costs(
            await signed_json(client, base_url, signer, "GET", "/account/endpoint_costs")
        )
    except (KalshiAccountError, ParseError) as exc:
        log.warning("kalshi_limits_unread", error=str(exc)[:200], kept=limiter.limits.usage_tier)
        return None
    limiter.configure(limits, default, costs)
    return limits


def order_group_limit(max_position_contracts: int | Decimal, max_contracts_per_signal: int | Decimal) -> Decimal:
    """Contracts the engine's order group may match in any rolling 15 s, from our risk limits: the
    larger of one full position (RiskLimits.max_position_contracts) and one signal's size
    (StrategySettings.max_contracts_per_signal). More than that in 15 s is a runaway, which the
    venue then stops on its own. Raises ValueError for a non-positive limit."""
    limit = Decimal(max(max_position_contracts, max_contracts_per_signal))
    if limit <= 0:
        raise ValueError(f"order group limit {limit} is not positive")
    return limit


class KalshiOrderGroup:
    """The engine's order group: `await ensure(limit)` once at start, then `order_group_id` on every
    order. state_file: where the id is remembered across restarts (0600), or None."""

    def __init__(
        self, client: httpx.AsyncClient, base_url: str, signer: KalshiSigner, state_file: Path | None = None
    ) -> None:
        self.client, self.base_url, self.signer, self.state_file = client, base_url, signer, state_file
        self.order_group_id: str | None = None
        self.contracts_limit: Decimal | None = None
        self.ready = asyncio.Event()  # set once `order_group_id` is known

    def order_fields(self) -> dict[str, object]:
        """What an order body adds: {"order_group_id": id (once ensured), "cancel_order_on_pause": True}."""
        fields: dict[str, object] = dict(RESTING_ORDER_FIELDS)
        if self.order_group_id:
            fields["order_group_id"] = self.order_group_id
        return fields

    async def ensure(self, contracts_limit: Decimal) -> str:
        """Reuse the remembered group (its limit set to `contracts_limit` if it differs) or create
        one; returns its id. Raises KalshiAccountError when no group can be had."""
        limit = f"{contracts_limit.quantize(Decimal('0.01'))}"
        body = {"contracts_limit_fp": limit}
        remembered = self._remembered()
        if remembered is not None:
            try:
                group = need_dict(await self._call("GET", f"/portfolio/order_groups/{remembered}"), "order group")
                if group.get("contracts_limit_fp") != limit:
                    await self._call("PUT", f"/portfolio/order_groups/{remembered}/limit", body)
                return self._use(remembered, contracts_limit, "reused")
            except (KalshiAccountError, ParseError) as exc:
                log.warning("kalshi_order_group_not_reused", order_group_id=remembered, error=str(exc)[:200])
        created = need_dict(await self._call("POST", "/portfolio/order_groups/create", body), "created group")
        group_id = need(created, "order_group_id", "create order group")
        if not isinstance(group_id, str) or not 0 < len(group_id) <= 100:
            raise KalshiAccountError(200, f"bad order_group_id {group_id!r:.60}")
        self._remember(group_id)
        return self._use(group_id, contracts_limit, "created")

    async def keep(
        self, sink: Sink, contracts_limit: Decimal, retry_s: float = 5.0, retry_cap_s: float = 300.0
    ) -> None:
        """Engine-start hook (run as a task): `ensure` until it succeeds, each failure counted as
        `sink.reject("kalshi", "order_group_unavailable")` and retried after retry_s doubling to
        retry_cap_s seconds; then returns. Orders sent before `ready` carry no group."""
        delay = retry_s
        while True:
            try:
                await self.ensure(contracts_limit)
                return
            except (KalshiAccountError, ParseError) as exc:
                sink.reject("kalshi", "order_group_unavailable", str(exc)[:200])
            await asyncio.sleep(delay)  # backoff before asking the venue again
            delay = min(retry_cap_s, delay * 2)

    async def _call(self, method: str, path: str, body: dict | None = None) -> object:
        return await signed_json(self.client, self.base_url, self.signer, method, path, body)

    def _use(self, group_id: str, limit: Decimal, how: str) -> str:
        self.order_group_id, self.contracts_limit = group_id, limit
        self.ready.set()
        log.info("kalshi_order_group", order_group_id=group_id, contracts_limit=str(limit), how=how)
        return group_id

    def _remembered(self) -> str | None:
        if self.state_file is None or not self.state_file.exists():
            return None
        try:
            value = json.loads(self.state_file.read_text()).get("order_group_id")
        except (OSError, ValueError, AttributeError):
            return None
        return value if isinstance(value, str) and value else None

    def _remember(self, group_id: str) -> None:
        if self.state_file is not None:
            write_secret_file(self.state_file, json.dumps({"order_group_id": group_id}))
