"""Opening live Polymarket trading at engine start: credentials, pUSD check, broker and heartbeats.

Run once before the engine trades, only when ARBEES_LIVE names polymarket and the authorization
phrase is set (adapters/live.py). In order: the wallet key from its 0600 file, the CLOB API key from
its 0600 file (created from the venue the first time: credentials.py), the exchange version and the
pUSD balance and allowances (clob.py `start`), then the broker and the heartbeat keeper, which the
engine runs as one more adapter ("polymarket-heartbeat"). Any failure is a PolymarketLiveStartError
whose message says what to fix, and the engine does not start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path

from py_clob_client_v2.client import ClobClient
from py_clob_client_v2.exceptions import PolyException

from ...model import Market
from ...settings import Settings
from ..base import Sink
from .broker import PolymarketLiveBroker
from .clob import FundsError, OutcomeUnknown, PolymarketApiError, PolymarketOrderClient
from .credentials import ApiCredentials, PolymarketCredentialError, api_credentials, read_private_key
from .heartbeat import HeartbeatKeeper

API_KEY_FILE_NAME = "polymarket-api-key.json"


class PolymarketLiveStartError(RuntimeError):
    """Live Polymarket trading cannot start; the message names the cause and the fix, never a secret."""


class HeartbeatAdapter:
    """The heartbeat keeper as an engine adapter: `run` keeps the venue's dead-man switch until cancelled."""

    name = "polymarket-heartbeat"

    def __init__(self, keeper: HeartbeatKeeper) -> None:
        self.keeper = keeper

    async def run(self, sink: Sink) -> None:
        """Beat until cancelled (the sink is unused: heartbeats bring no market data)."""
        await self.keeper.run()


async def open_polymarket_live(
    settings: Settings,
    markets: Mapping[str, Market],
    *,
    may_trade: Callable[[], bool],
    on_reject: Callable[[str, str], None],
    env: Mapping[str, str] | None = None,
) -> tuple[PolymarketLiveBroker, HeartbeatAdapter]:
    """The live broker and its heartbeat adapter (module docstring). Raises PolymarketLiveStartError."""
    ep = settings.endpoints
    if ep.polymarket_private_key_file is None:
        raise PolymarketLiveStartError(
            "ARBEES_LIVE names polymarket but ARBEES_ENDPOINTS__POLYMARKET_PRIVATE_KEY_FILE is not set"
        )
    try:
        key = read_private_key(ep.polymarket_private_key_file)
        creds = await asyncio.to_thread(_credentials, settings, key)
        client = PolymarketOrderClient(
            host=ep.polymarket_clob_url,
            private_key=key,
            credentials=creds,
            chain_id=ep.polymarket_chain_id,
            signature_type=ep.polymarket_signature_type,
            funder=ep.polymarket_funder,
            env=env,
            timeout_s=ep.http_timeout_s,
        )
        await client.start(ep.polymarket_min_balance)
    except (PolymarketCredentialError, FundsError, PolymarketApiError, OutcomeUnknown) as exc:
        raise PolymarketLiveStartError(str(exc)) from None
    except PolyException as exc:  # API-key creation refused by the venue
        raise PolymarketLiveStartError(f"the CLOB refused to create or derive an API key: {exc}") from None
    keeper = HeartbeatKeeper(
        client.heartbeat, client.cancel_all, interval_s=ep.polymarket_heartbeat_s, may_trade=may_trade
    )
    return PolymarketLiveBroker(client, markets, keeper, on_reject), HeartbeatAdapter(keeper)


def _credentials(settings: Settings, key: str) -> ApiCredentials:
    """The API key from its file, created from the venue (L1-signed by the official client) when missing."""
    ep = settings.endpoints
    assert ep.polymarket_private_key_file is not None
    path = ep.polymarket_api_key_file or Path(ep.polymarket_private_key_file).with_name(API_KEY_FILE_NAME)

    def create():  # type: ignore[no-untyped-def]
        clob = ClobClient(
            ep.polymarket_clob_url,
            ep.polymarket_chain_id,
            key=key,
            signature_type=ep.polymarket_signature_type,
            funder=ep.polymarket_funder,
        )
        return clob.create_or_derive_api_key()

    return api_credentials(path, create)
