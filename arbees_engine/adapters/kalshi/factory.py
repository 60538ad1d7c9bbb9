"""Build Kalshi's adapters from its config: REST discovery + (with an API key) websocket books."""

from __future__ import annotations

import httpx
import structlog

from ...settings import Settings
from ..composite import StreamingVenue
from ..reconnect import ReportingPolicy
from ..recording import Recorder
from .config import KalshiConfig
from .evidence import listing_evidence
from .exchange import KalshiExchangeWatch, PauseGuardBroker
from .rest import KalshiRestVenue, engine_market_id
from .ws import KalshiBookStream

log = structlog.get_logger(__name__)
NAME = "kalshi"
#: Endpoint settings a recording keeps so its replay rebuilds the same adapters (base URLs select responses).
RECORDED_ENDPOINTS = ("kalshi_base_url", "kalshi_series")


def build_venue(
    settings: Settings,
    client: httpx.AsyncClient,
    *,
    signer=None,
    recorder: Recorder | None = None,
    streaming: bool = True,
) -> StreamingVenue:
    """Kalshi as one StreamingVenue. Books stream over the websocket when `streaming`, the config
    allows it and `signer` (a KalshiSigner: the market channel needs an API key) is given; else
    they are polled over REST (logged once). A live run (`streaming`) also watches the exchange's
    trading pauses (`KalshiExchangeWatch`, in `venue.watchers`); a replay does not."""
    cfg = KalshiConfig.from_settings(settings)
    rest = KalshiRestVenue(cfg.base_url, client, series_tickers=list(cfg.series), poll_s=cfg.poll_s)
    stream = None
    if streaming and cfg.streaming and signer is not None:
        stream = KalshiBookStream(
            [],
            url=cfg.ws_url,
            signer=signer,
            recorder=recorder,
            ws_path=cfg.ws_path,
            policy=ReportingPolicy(venue=NAME, recorder=recorder),
            watchdog=cfg.watchdog,
            fetch_top=rest.top_of_book,
        )
    elif streaming and cfg.streaming:
        log.warning(
            "kalshi.rest_polling",
            reason="no Kalshi API key (ARBEES_ENDPOINTS__KALSHI_KEY_ID and "
            "ARBEES_ENDPOINTS__KALSHI_KEY_FILE); Kalshi books are polled over REST",
            poll_s=cfg.poll_s,
        )
    watchers = [exchange_watch(cfg.base_url, client, rest)] if streaming else []
    return StreamingVenue(
        rest, stream, discover_every_s=cfg.discover_every_s, poll_s=cfg.poll_s, recorder=recorder, watchers=watchers
    )


def exchange_watch(base_url: str, client: httpx.AsyncClient, rest: KalshiRestVenue) -> KalshiExchangeWatch:
    """The trading-pause watch of `rest`'s venue: marks its open listings' books stale while paused."""
    return KalshiExchangeWatch(
        base_url,
        client,
        lambda: [engine_market_id(t) for t, listing in rest.listings.items() if listing.status == "open"],
    )


def guard_live_broker(broker, adapters) -> object:
    """Hook for the engine builder: `broker` wrapped in a PauseGuardBroker when one of `adapters`
    (a StreamingVenue) watches Kalshi's trading pauses, so no live order goes out during a pause
    or maintenance (REJECTED "trading_paused" / "exchange_maintenance"); else `broker` itself."""
    for adapter in adapters:
        for watcher in getattr(adapter, "watchers", ()):
            if isinstance(watcher, KalshiExchangeWatch):
                return PauseGuardBroker(broker, watcher)
    return broker


def probes(settings: Settings) -> list[tuple[str, str]]:
    """(label, URL) pairs `arbees-engine doctor` checks are reachable and whose clocks agree with ours."""
    return [("Kalshi", KalshiConfig.from_settings(settings).base_url.rstrip("/") + "/exchange/status")]


def replay_stream(venue: StreamingVenue) -> KalshiBookStream:
    """The stream a replay parses recorded Kalshi frames through (no connection)."""
    return KalshiBookStream([])


__all__ = [
    "NAME",
    "RECORDED_ENDPOINTS",
    "build_venue",
    "exchange_watch",
    "guard_live_broker",
    "listing_evidence",
    "probes",
    "replay_stream",
]
