"""Build an Engine from settings and `arbees-engine run` arguments: which adapters, which clock."""

from __future__ import annotations

import argparse
import time

from ..adapters.http import make_client
from ..bus.publisher import BusPublisher
from ..settings import Settings
from .engine import Engine, utc_clock


def _publisher(settings: Settings, redis_url: str):
    def factory(engine: Engine) -> BusPublisher:
        return BusPublisher(
            redis_url, settings.instance, engine.all_views,
            lambda: (engine.control.effective_mode.value, engine.control.kill_engaged),
            quote_interval_s=settings.quote_publish_interval_s,
        )
    return factory


def build_engine(settings: Settings, args: argparse.Namespace, *, store, redis_url: str | None) -> Engine:
    """Engine for `--venue sim` (simulated world) or `--venue kalshi,polymarket [--feed espn]`.

    Raises ValueError for an unknown venue or feed name.
    """
    venues = [v.strip() for v in args.venue.split(",") if v.strip()]
    publisher = _publisher(settings, redis_url) if redis_url else None
    if venues == ["sim"]:
        from ..adapters.sim import SimWorld

        # A session tag keeps this run's market ids apart from earlier runs in the same database.
        session = format(int(time.time()), "x")
        world = SimWorld(seed=args.seed, speed=args.speed, n_games=args.games, session=session)
        return Engine(settings, [world], store=store, publisher_factory=publisher, clock=world.clock.now,
                      on_fill=world.consume)
    from ..matching import Matcher

    ep = settings.endpoints
    client = make_client(timeout_s=ep.http_timeout_s)
    adapters: list = []
    feed = args.feed or "espn"
    if feed != "espn":
        raise ValueError(f"unknown feed {feed!r} (expected 'espn' with real venues)")
    from ..adapters.espn import EspnFeed

    adapters.append(EspnFeed(ep.espn_leagues, ep.espn_base_url, client, ep.poll_live_s, ep.poll_idle_s))
    for venue in venues:
        if venue == "kalshi":
            from ..adapters.kalshi import KalshiRestVenue

            adapters.append(KalshiRestVenue(ep.kalshi_base_url, client, series_tickers=ep.kalshi_series, poll_s=ep.venue_poll_s))
        elif venue == "polymarket":
            from ..adapters.polymarket import PolymarketRestVenue

            adapters.append(PolymarketRestVenue(ep.polymarket_gamma_url, ep.polymarket_clob_url, client, poll_s=ep.venue_poll_s))
        else:
            raise ValueError(f"unknown venue {venue!r} (expected sim, kalshi, polymarket)")
    return Engine(settings, adapters, store=store, publisher_factory=publisher, clock=utc_clock, matcher=Matcher())
