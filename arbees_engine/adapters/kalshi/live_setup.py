"""What a live Kalshi engine sets up at start besides its order client: rate limits from the
account's tier on every signed request, and the engine's order group on every order.

`live_account_adapter` returns an adapter (run by the engine with the others) that reads the
account's limits (GET /account/limits, /account/endpoint_costs) into a `KalshiRateLimiter`
attached to the order client's and its own HTTP clients, then creates or reuses the order group
(`account.KalshiOrderGroup.keep`, sized by `order_group_limit` from the risk limits) and adds its
id to the live broker's `order_options` (with `cancel_order_on_pause: true`, set from the start).
"""

from __future__ import annotations

import asyncio

import httpx
import structlog

from ...settings import Settings, data_dir
from ..base import Sink
from .account import RESTING_ORDER_FIELDS, KalshiOrderGroup, load_rate_limits, order_group_limit
from .auth import KalshiSigner
from .config import KalshiConfig
from .ratelimit import KalshiRateLimiter

log = structlog.get_logger(__name__)


class KalshiAccountAdapter:
    """Engine adapter: limits, then the order group (retried until the venue gives one), then idle.

    broker: the live broker whose `order_options` (a dict read per order) get the group's fields.
    """

    name = "kalshi"

    def __init__(self, settings: Settings, signer: KalshiSigner, broker, order_client) -> None:
        cfg = KalshiConfig.from_settings(settings)
        self.base_url, self.signer, self.broker = cfg.base_url, signer, broker
        self.limiter = KalshiRateLimiter()
        self.client = httpx.AsyncClient(timeout=settings.endpoints.http_timeout_s)
        self.limiter.attach(self.client, cfg.base_url)
        http = getattr(order_client, "_http", None)  # the order client's own pool (orders.py)
        if isinstance(http, httpx.AsyncClient):
            self.limiter.attach(http, cfg.base_url)
        state = data_dir() / settings.instance / "kalshi-order-group.json"
        self.group = KalshiOrderGroup(self.client, cfg.base_url, signer, state)
        self.contracts_limit = order_group_limit(
            settings.limits.max_position_contracts, settings.strategy.max_contracts_per_signal
        )
        broker.order_options.update(RESTING_ORDER_FIELDS)

    async def run(self, sink: Sink) -> None:
        """Read the limits (Basic kept when unreadable), keep the order group, then wait."""
        try:
            await load_rate_limits(self.limiter, self.client, self.base_url, self.signer)
            await self.group.keep(sink, self.contracts_limit)
            self.broker.order_options.update(self.group.order_fields())
            await asyncio.Event().wait()  # nothing more to do; cancelled with the engine
        finally:
            await self.client.aclose()


def live_account_adapter(settings: Settings, signer: KalshiSigner, broker, order_client) -> KalshiAccountAdapter:
    """The start-up adapter of a live Kalshi engine (see module docstring)."""
    return KalshiAccountAdapter(settings, signer, broker, order_client)
