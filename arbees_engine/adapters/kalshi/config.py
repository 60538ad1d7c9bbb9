"""Kalshi's settings, read from the operator's `endpoints` settings (ARBEES_ENDPOINTS__KALSHI_*)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ...settings import Settings
from ..deployment import same_deployment
from ..watchdog import WatchdogConfig

#: Kalshi's recommended production hosts for API traders (https://docs.kalshi.com/getting_started/api_environments:
#: "Recommended base URL" https://external-api.kalshi.com/trade-api/v2 and websocket
#: wss://external-api-ws.kalshi.com/trade-api/ws/v2; api.elections.kalshi.com is "also supported").
#: The official SDK kalshi-typescript 3.30.0 has the same default (base.ts BASE_PATH).
#: `EndpointSettings` (settings.py) defaults to these; a test keeps them equal.
KALSHI_REST_URL = "https://external-api.kalshi.com/trade-api/v2"
KALSHI_WS_URL = "wss://external-api-ws.kalshi.com/trade-api/ws/v2"


@dataclass(frozen=True, slots=True)
class KalshiConfig:
    """base_url: REST root; ws_url / ws_path: the market-data websocket and the path its requests
    are signed with; series: series tickers discovered ("KXNBAGAME"); key_id / key_file: the API
    key (a 0600 PEM file), both or neither; poll_s / discover_every_s: seconds between book polls
    (no websocket) and between discoveries; streaming: books may stream over the websocket
    (`use_websockets` and REST/websocket on the same deployment; a key is needed besides);
    watchdog: the feed's liveness bounds (`feed_silence_s`, `feed_ping_interval_s` for the protocol
    ping, `feed_pong_timeout_s`, seconds)."""

    base_url: str
    ws_url: str
    ws_path: str
    series: tuple[str, ...]
    key_id: str | None
    key_file: Path | None
    poll_s: float
    discover_every_s: float
    streaming: bool
    watchdog: WatchdogConfig

    @classmethod
    def from_settings(cls, settings: Settings) -> KalshiConfig:
        """Kalshi's part of `settings.endpoints`."""
        ep = settings.endpoints
        return cls(
            ep.kalshi_base_url,
            ep.kalshi_ws_url,
            urlsplit(ep.kalshi_ws_url).path or "/trade-api/ws/v2",
            tuple(ep.kalshi_series),
            ep.kalshi_key_id,
            ep.kalshi_key_file,
            ep.venue_poll_s,
            ep.discover_every_s,
            ep.use_websockets and same_deployment(ep, "kalshi_base_url", "kalshi_ws_url"),
            WatchdogConfig(
                silence_s=ep.feed_silence_s,
                pong_timeout_s=ep.feed_pong_timeout_s,
                ping_interval_s=ep.feed_ping_interval_s,
            ),
        )
