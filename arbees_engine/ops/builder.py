"""Build an Engine from settings and `arbees-engine run` arguments: which adapters, which clock.

Real venues (`--venue kalshi,polymarket --feed espn`): markets are discovered over REST and books
stream over websockets (`adapters/composite.py`). Polymarket's market channel is public, so it
streams whenever `endpoints.use_websockets`; Kalshi's needs an API key
(`ARBEES_ENDPOINTS__KALSHI_KEY_ID` + `ARBEES_ENDPOINTS__KALSHI_KEY_FILE`, a 0600 PEM file), and
without one Kalshi books are polled over REST (logged once at start). A venue whose REST URL
was overridden while its websocket URL was not also polls REST (never mix deployments). With `settings.record_file`
every raw input is appended to that file; `--replay FILE` runs a recording instead
(`ops/replay.py`). Live Kalshi orders need `ARBEES_LIVE=1`, `ARBEES_LIVE_AUTHORIZATION` =
the documented phrase AND credentials; the client (or None) is `engine.live_orders`.
"""

from __future__ import annotations

import argparse
import asyncio
import json

import structlog

from ..adapters import registry
from ..adapters.registry import build_real_adapters
from ..bus.publisher import BusPublisher
from ..node.kernel import Engine, utc_clock
from ..settings import Settings

log = structlog.get_logger(__name__)


def _publisher(settings: Settings, redis_url: str):
    def factory(engine: Engine) -> BusPublisher:
        return BusPublisher(
            redis_url,
            settings.instance,
            engine.all_views,
            lambda: (engine.control.effective_mode.value, engine.control.kill_engaged),
            quote_interval_s=settings.quote_publish_interval_s,
        )

    return factory


def parse_venues(text: str) -> list[str]:
    """ "kalshi, polymarket" → ["kalshi", "polymarket"]."""
    return [v.strip() for v in text.split(",") if v.strip()]


def build_engine(
    settings: Settings, args: argparse.Namespace, *, store, redis_url: str | None, stop: asyncio.Event | None = None
) -> Engine:
    """Engine for `--venue sim` (simulated world), `--venue kalshi,polymarket [--feed espn]`, or
    `--replay FILE` (then `stop` is set when the recording has been fed through).

    Raises ValueError for an unknown venue or feed name; KalshiAuthError for an unusable key file.
    """
    venues = parse_venues(args.venue)
    publisher = _publisher(settings, redis_url) if redis_url else None
    if getattr(args, "replay", None):
        from ..matching import Matcher
        from .replay import ReplayClock, ReplayDriver

        clock = ReplayClock()
        driver = ReplayDriver(args.replay, speed=args.speed, clock=clock, done=stop, build_adapters=build_real_adapters)
        engine = Engine(
            settings, [driver], store=store, publisher_factory=publisher, clock=clock.now, matcher=Matcher()
        )
        engine.live_orders = None
        return engine
    if len(venues) == 1 and venues[0] in registry.WORLDS:
        from ..adapters.sim.config import SimConfig

        world = registry.WORLDS[venues[0]](SimConfig.from_args(args))
        return Engine(
            settings, [world], store=store, publisher_factory=publisher, clock=world.clock.now, on_fill=world.consume
        )
    from ..matching import Matcher

    feed = args.feed or "espn"
    if feed not in registry.FEEDS:
        raise ValueError(f"unknown feed {feed!r} (expected {', '.join(registry.FEEDS)} with real venues)")
    for name in venues:
        registry.venue_entry(name)  # raises ValueError for an unknown venue, before any file is opened
    signer = kalshi_signer(settings)  # before the recording is opened: a bad key file fails first
    recorder = None
    if settings.record_file is not None:
        from ..adapters.recording import Recorder

        recorder = Recorder(settings.record_file)
        recorder.record("meta", json.dumps(recording_meta(settings, venues)))
        log.info("recording", file=str(settings.record_file))
    adapters = build_real_adapters(settings, venues, signer=signer, recorder=recorder)
    engine = Engine(settings, adapters, store=store, publisher_factory=publisher, clock=utc_clock, matcher=Matcher())
    engine.live_orders = live_order_client(settings, signer)
    if engine.live_orders is not None:
        from ..adapters.kalshi.broker import KalshiLiveBroker
        from ..adapters.kalshi.factory import guard_live_broker
        from ..model import Venue

        live = KalshiLiveBroker(engine.live_orders, engine.registry.markets)
        engine.live_brokers[Venue.KALSHI] = guard_live_broker(live, adapters)  # no orders during a pause
        from ..adapters.kalshi.live_setup import live_account_adapter

        engine.adapters.append(live_account_adapter(settings, signer, live, engine.live_orders))  # limits, order group
    engine.recorder = recorder
    return engine


def recording_meta(settings: Settings, venues: list[str]) -> dict:
    """What a replay needs to rebuild the same adapters (base URLs select recorded responses)."""
    return {"venues": venues, **registry.recorded_endpoints(settings)}


def kalshi_signer(settings: Settings):
    """A KalshiSigner from `endpoints.kalshi_key_id` + `kalshi_key_file`, or None without both.

    Raises KalshiAuthError when the key file is missing, not 0600-like, or not an RSA key.
    """
    ep = settings.endpoints
    if not (ep.kalshi_key_id and ep.kalshi_key_file):
        return None
    from ..adapters.kalshi.auth import KalshiSigner

    return KalshiSigner.from_file(ep.kalshi_key_id, ep.kalshi_key_file)


def live_order_client(settings: Settings, signer, env: dict[str, str] | None = None):
    """KalshiOrderClient when live trading is doubly authorised and credentials exist, else None.

    The two switches come from settings (`live`, `live_authorization`, i.e. ARBEES_LIVE and
    ARBEES_LIVE_AUTHORIZATION from the environment; a config file setting them is refused, see
    arbees_engine.settings) and are checked again by the client itself.
    """
    from ..adapters.kalshi.orders import (
        AUTH_ENV,
        LIVE_AUTHORIZATION_PHRASE,
        LIVE_ENV,
        KalshiOrderClient,
        LiveTradingRefused,
    )

    env = env if env is not None else {LIVE_ENV: settings.live, AUTH_ENV: settings.live_authorization or ""}
    if "kalshi" not in settings.live_venues:
        log.info("orders.paper", venue="kalshi", reason="ARBEES_LIVE does not name kalshi")
        return None
    if signer is None:
        log.warning("orders.paper", reason="ARBEES_LIVE names kalshi but no Kalshi API key is configured")
        return None
    try:
        client = KalshiOrderClient(signer, base_url=settings.endpoints.kalshi_base_url, env=env)
    except LiveTradingRefused as exc:
        log.warning("orders.paper", reason=str(exc))
        return None
    log.warning("orders.live", venue="kalshi", authorization=env.get(AUTH_ENV) == LIVE_AUTHORIZATION_PHRASE)
    return client


async def start_polymarket_live(engine: Engine, settings: Settings, env: dict[str, str] | None = None) -> bool:
    """Open live Polymarket trading on `engine` when ARBEES_LIVE names polymarket and the authorization
    phrase is set: registers the live broker and its heartbeat adapter (adapters/polymarket/live_setup.py).
    Returns False (paper) when not authorised. Raises PolymarketLiveStartError (credentials, pUSD
    balance or allowance, API key refused): the caller refuses to start."""
    from ..adapters.live import AUTH_ENV, LIVE_AUTHORIZATION_PHRASE, LIVE_ENV
    from ..adapters.polymarket.live_setup import open_polymarket_live
    from ..model import Venue

    env = env if env is not None else {LIVE_ENV: settings.live, AUTH_ENV: settings.live_authorization or ""}
    if "polymarket" not in settings.live_venues or env.get(AUTH_ENV) != LIVE_AUTHORIZATION_PHRASE:
        log.info("orders.paper", venue="polymarket", reason="ARBEES_LIVE does not name polymarket (or no phrase)")
        return False
    broker, heartbeat = await open_polymarket_live(
        settings,
        engine.registry.markets,
        may_trade=lambda: engine.control.may_open_positions,
        on_reject=lambda code, detail: engine.out.reject("execution", code, detail),
        env=env,
    )
    engine.live_brokers[Venue.POLYMARKET] = broker
    engine.adapters.append(heartbeat)
    log.warning("orders.live", venue="polymarket", signer=broker.client.address)
    return True
