"""Build the ESPN scoreboard feed from its config."""

from __future__ import annotations

import httpx

from ...settings import Settings
from ..recording import Recorder
from .config import EspnConfig
from .observed import ObservedEspnFeed

NAME = "espn"
#: Endpoint settings a recording keeps so its replay rebuilds the same feed.
RECORDED_ENDPOINTS = ("espn_leagues", "espn_base_url")


def build_feed(settings: Settings, client: httpx.AsyncClient, *, recorder: Recorder | None = None) -> ObservedEspnFeed:
    """The feed, its polls recorded when `recorder` is given."""
    cfg = EspnConfig.from_settings(settings)
    feed = ObservedEspnFeed(list(cfg.leagues), cfg.base_url, client, cfg.poll_live_s, cfg.poll_idle_s)
    feed.recorder = recorder
    return feed


def probes(settings: Settings) -> list[tuple[str, str]]:
    """(label, URL) `arbees-engine doctor` checks: the first league's scoreboard (none without leagues)."""
    cfg = EspnConfig.from_settings(settings)
    return [("ESPN", f"{cfg.base_url.rstrip('/')}/{cfg.leagues[0]}/scoreboard")] if cfg.leagues else []
