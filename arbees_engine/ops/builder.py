"""Build an Engine from settings and `arbees-engine run` arguments: which adapters, which clock.

Real venues (`--venue kalshi,polymarket --feed espn`): markets are discovered over REST and books
stream over websockets (`adapters/streaming.py`). Polymarket's market channel is public, so it
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
import time
from urllib.parse import urlsplit

import structlog

from ..adapters.http import make_client
from ..bus.publisher import BusPublisher
from ..settings import Settings
from ..runtime.engine import Engine, utc_clock

log = structlog.get_logger(__name__)


def _publisher(settings: Settings, redis_url: str):
    def factory(engine: Engine) -> BusPublisher:
        return BusPublisher(
            redis_url, settings.instance, engine.all_views,
            lambda: (engine.control.effective_mode.value, engine.control.kill_engaged),
            quote_interval_s=settings.quote_publish_interval_s,
        )
    return factory


def parse_venues(text: str) -> list[str]:
    """"kalshi, polymarket" → ["kalshi", "polymarket"]."""
    return [v.strip() for v in text.split(",") if v.strip()]


def build_engine(settings: Settings, args: argparse.Namespace, *, store, redis_url: str | None,
                 stop: asyncio.Event | None = None) -> Engine:
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
        engine = Engine(settings, [driver], store=store, publisher_factory=publisher, clock=clock.now,
                        matcher=Matcher())
        engine.live_orders = None
        return engine
    if venues == ["sim"]:
        from ..adapters.sim import SimWorld

        # A session tag keeps this run's market ids apart from earlier runs in the same database
        # (milliseconds: an engine restarted within the same second must not reuse them).
        session = format(time.time_ns() // 1_000_000, "x")
        world = SimWorld(seed=args.seed, speed=args.speed, n_games=args.games, session=session)
        return Engine(settings, [world], store=store, publisher_factory=publisher, clock=world.clock.now,
                      on_fill=world.consume)
    from ..matching import Matcher

    feed = args.feed or "espn"
    if feed != "espn":
        raise ValueError(f"unknown feed {feed!r} (expected 'espn' with real venues)")
    unknown = [v for v in venues if v not in ("kalshi", "polymarket")]
    if unknown:
        raise ValueError(f"unknown venue {unknown[0]!r} (expected sim, kalshi, polymarket)")
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
        from ..model import Venue

        engine.live_brokers[Venue.KALSHI] = KalshiLiveBroker(engine.live_orders, engine.registry.markets)
    engine.recorder = recorder
    return engine


def recording_meta(settings: Settings, venues: list[str]) -> dict:
    """What a replay needs to rebuild the same adapters (base URLs select recorded responses)."""
    ep = settings.endpoints
    return {"venues": venues, "espn_leagues": ep.espn_leagues, "espn_base_url": ep.espn_base_url,
            "kalshi_base_url": ep.kalshi_base_url, "kalshi_series": ep.kalshi_series,
            "polymarket_gamma_url": ep.polymarket_gamma_url, "polymarket_clob_url": ep.polymarket_clob_url}


def kalshi_signer(settings: Settings):
    """A KalshiSigner from `endpoints.kalshi_key_id` + `kalshi_key_file`, or None without both.

    Raises KalshiAuthError when the key file is missing, not 0600-like, or not an RSA key.
    """
    ep = settings.endpoints
    if not (ep.kalshi_key_id and ep.kalshi_key_file):
        return None
    from ..adapters.kalshi.auth import KalshiSigner

    return KalshiSigner.from_file(ep.kalshi_key_id, ep.kalshi_key_file)


def build_real_adapters(settings: Settings, venues: list[str], *, signer=None, recorder=None,
                        client=None, start_streams: bool = True) -> list:
    """[EspnFeed, StreamingVenue per venue] for real (or replayed) venues.

    client: the httpx client every REST call goes through (default: `make_client`, with the
    response-capturing hook when recording). Raises ValueError for an unknown venue.
    """
    from ..adapters.streaming import ObservedEspnFeed, attach_capture

    ep = settings.endpoints
    if client is None:
        client = make_client(timeout_s=ep.http_timeout_s)
        if recorder is not None:
            attach_capture(client)
    espn = ObservedEspnFeed(ep.espn_leagues, ep.espn_base_url, client, ep.poll_live_s, ep.poll_idle_s)
    espn.recorder = recorder
    adapters: list = [espn]
    for venue in venues:
        composite = build_venue(settings, venue, client, signer=signer, recorder=recorder, streaming=start_streams)
        composite.after = espn.first_round  # discover markets once the games are known
        adapters.append(composite)
    return adapters


def build_venue(settings: Settings, venue: str, client, *, signer=None, recorder=None, streaming: bool = True):
    """One StreamingVenue for "kalshi" or "polymarket" (see module docstring for the choice)."""
    from ..adapters.streaming import ReportingPolicy, StreamingVenue

    ep = settings.endpoints
    if venue == "kalshi":
        from ..adapters.kalshi import KalshiRestVenue
        from ..adapters.kalshi.ws import KalshiBookStream

        rest = KalshiRestVenue(ep.kalshi_base_url, client, series_tickers=ep.kalshi_series, poll_s=ep.venue_poll_s)
        stream = None
        ws_ok = streaming and ep.use_websockets and _same_deployment(ep, "kalshi_base_url", "kalshi_ws_url")
        if ws_ok and signer is not None:
            stream = KalshiBookStream([], url=ep.kalshi_ws_url, signer=signer, recorder=recorder,
                                      ws_path=urlsplit(ep.kalshi_ws_url).path or "/trade-api/ws/v2",
                                      policy=ReportingPolicy(venue="kalshi", recorder=recorder))
        elif ws_ok:
            log.warning("kalshi.rest_polling", reason="no Kalshi API key (ARBEES_ENDPOINTS__KALSHI_KEY_ID and "
                        "ARBEES_ENDPOINTS__KALSHI_KEY_FILE); Kalshi books are polled over REST",
                        poll_s=ep.venue_poll_s)
    elif venue == "polymarket":
        from ..adapters.polymarket import PolymarketRestVenue
        from ..adapters.polymarket.ws import PolymarketBookStream, rest_book_fetcher

        rest = PolymarketRestVenue(ep.polymarket_gamma_url, ep.polymarket_clob_url, client, poll_s=ep.venue_poll_s)
        stream = None
        if streaming and ep.use_websockets and _same_deployment(ep, "polymarket_clob_url", "polymarket_ws_url"):
            stream = PolymarketBookStream([], url=ep.polymarket_ws_url, recorder=recorder, listings=rest.listings,
                                          fetch_book=rest_book_fetcher(ep.polymarket_clob_url, ep.http_timeout_s),
                                          policy=ReportingPolicy(venue="polymarket", recorder=recorder))
            rest.streamed_ticks = stream.ticks  # discovery keeps a tick the socket announced after Gamma's
    else:
        raise ValueError(f"unknown venue {venue!r} (expected sim, kalshi, polymarket)")
    composite = StreamingVenue(rest, stream, discover_every_s=ep.discover_every_s, poll_s=ep.venue_poll_s,
                               recorder=recorder)
    log.info("venue.books", venue=venue, mode=composite.mode)
    return composite


def _same_deployment(ep, rest_field: str, ws_field: str) -> bool:
    """False (and a warning) when the REST endpoint was pointed elsewhere (demo, a local server)
    but the websocket is still the production default: books would then come from another venue
    deployment than the markets, so the venue polls REST instead until both are configured."""
    defaults = type(ep).model_fields
    rest_moved = getattr(ep, rest_field) != defaults[rest_field].default
    ws_default = getattr(ep, ws_field) == defaults[ws_field].default
    if rest_moved and ws_default:
        log.warning("websocket.disabled", reason=f"{rest_field} is overridden but {ws_field} is the production "
                    f"default; set ARBEES_ENDPOINTS__{ws_field.upper()} to stream books", rest_url=getattr(ep, rest_field))
        return False
    return True


def live_order_client(settings: Settings, signer, env: dict[str, str] | None = None):
    """KalshiOrderClient when live trading is doubly authorised and credentials exist, else None.

    The two switches come from settings (`live`, `live_authorization`, i.e. ARBEES_LIVE and
    ARBEES_LIVE_AUTHORIZATION from the environment; a config file setting them is refused, see
    arbees_engine.settings) and are checked again by the client itself.
    """
    from ..adapters.kalshi.orders import (AUTH_ENV, LIVE_AUTHORIZATION_PHRASE, LIVE_ENV, KalshiOrderClient,
                                          LiveTradingRefused)

    env = env if env is not None else {LIVE_ENV: "1" if settings.live else "0",
                                       AUTH_ENV: settings.live_authorization or ""}
    if not settings.live:
        log.info("orders.paper", reason="ARBEES_LIVE is not 1")
        return None
    if signer is None:
        log.warning("orders.paper", reason="ARBEES_LIVE=1 but no Kalshi API key configured")
        return None
    try:
        client = KalshiOrderClient(signer, base_url=settings.endpoints.kalshi_base_url, env=env)
    except LiveTradingRefused as exc:
        log.warning("orders.paper", reason=str(exc))
        return None
    log.warning("orders.live", venue="kalshi", authorization=env.get(AUTH_ENV) == LIVE_AUTHORIZATION_PHRASE)
    return client
