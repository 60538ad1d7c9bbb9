"""Build Polymarket's adapters from its config: Gamma discovery + the public market channel."""

from __future__ import annotations

import httpx

from ...settings import Settings
from ..composite import StreamingVenue
from ..reconnect import ReportingPolicy
from ..recording import Recorder
from .config import PolymarketConfig
from .evidence import listing_evidence
from .rest import PolymarketRestVenue
from .ws import PolymarketBookStream, rest_book_fetcher

NAME = "polymarket"
#: Endpoint settings a recording keeps so its replay rebuilds the same adapters (base URLs select responses).
RECORDED_ENDPOINTS = ("polymarket_gamma_url", "polymarket_clob_url")


def build_venue(
    settings: Settings,
    client: httpx.AsyncClient,
    *,
    signer=None,
    recorder: Recorder | None = None,
    streaming: bool = True,
) -> StreamingVenue:
    """Polymarket as one StreamingVenue; books stream when `streaming` and the config allows it
    (the market channel is public: no key), else they are polled over REST. `signer` is unused."""
    cfg = PolymarketConfig.from_settings(settings)
    rest = PolymarketRestVenue(cfg.gamma_url, cfg.clob_url, client, poll_s=cfg.poll_s)
    stream = None
    if streaming and cfg.streaming:
        stream = PolymarketBookStream(
            [],
            url=cfg.ws_url,
            recorder=recorder,
            listings=rest.listings,
            fetch_book=rest_book_fetcher(cfg.clob_url, cfg.http_timeout_s),
            policy=ReportingPolicy(venue=NAME, recorder=recorder),
            watchdog=cfg.watchdog,
        )
        rest.streamed_ticks = stream.ticks  # discovery keeps a tick the socket announced after Gamma's
    return StreamingVenue(rest, stream, discover_every_s=cfg.discover_every_s, poll_s=cfg.poll_s, recorder=recorder)


def probes(settings: Settings) -> list[tuple[str, str]]:
    """(label, URL) pairs `arbees-engine doctor` checks are reachable and whose clocks agree with ours."""
    cfg = PolymarketConfig.from_settings(settings)
    return [
        ("Polymarket Gamma", cfg.gamma_url.rstrip("/") + "/markets/keyset?limit=1"),
        ("Polymarket CLOB", cfg.clob_url.rstrip("/") + "/time"),
    ]


def replay_stream(venue: StreamingVenue) -> PolymarketBookStream:
    """The stream a replay parses recorded frames through; tick changes re-list the market and
    outlive Gamma's older tick, as live."""
    stream = PolymarketBookStream([], listings=venue.rest.listings)
    venue.rest.streamed_ticks = stream.ticks
    return stream


__all__ = ["NAME", "RECORDED_ENDPOINTS", "build_venue", "listing_evidence", "probes", "replay_stream"]
