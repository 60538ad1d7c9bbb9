"""Polymarket's settings, read from the operator's `endpoints` settings (ARBEES_ENDPOINTS__POLYMARKET_*)."""

from __future__ import annotations

from dataclasses import dataclass

from ...settings import Settings
from ..deployment import same_deployment
from ..watchdog import WatchdogConfig


@dataclass(frozen=True, slots=True)
class PolymarketConfig:
    """gamma_url: market discovery (Gamma); clob_url: books and orders (CLOB); ws_url: the public
    market channel; http_timeout_s: per request; poll_s / discover_every_s: seconds between book
    polls (no websocket) and between discoveries; streaming: books stream over the market channel
    (`use_websockets` and CLOB/websocket on the same deployment); watchdog: the feed's liveness
    bounds (`feed_silence_s`, `feed_ping_interval_s`, `feed_pong_timeout_s`, seconds)."""

    gamma_url: str
    clob_url: str
    ws_url: str
    http_timeout_s: float
    poll_s: float
    discover_every_s: float
    streaming: bool
    watchdog: WatchdogConfig

    @classmethod
    def from_settings(cls, settings: Settings) -> PolymarketConfig:
        """Polymarket's part of `settings.endpoints`."""
        ep = settings.endpoints
        return cls(
            ep.polymarket_gamma_url,
            ep.polymarket_clob_url,
            ep.polymarket_ws_url,
            ep.http_timeout_s,
            ep.venue_poll_s,
            ep.discover_every_s,
            ep.use_websockets and same_deployment(ep, "polymarket_clob_url", "polymarket_ws_url"),
            WatchdogConfig(
                silence_s=ep.feed_silence_s,
                pong_timeout_s=ep.feed_pong_timeout_s,
                ping_interval_s=ep.feed_ping_interval_s,
            ),
        )
