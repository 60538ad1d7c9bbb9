"""What the builder wires for real venues: websocket vs REST books, and paper vs live orders."""

from __future__ import annotations

import argparse

import pytest

from arbees_engine.adapters.composite import StreamingVenue
from arbees_engine.adapters.espn import EspnFeed
from arbees_engine.adapters.kalshi.auth import KalshiAuthError
from arbees_engine.adapters.kalshi.orders import LIVE_AUTHORIZATION_PHRASE, KalshiOrderClient
from arbees_engine.adapters.kalshi.ws import KalshiBookStream
from arbees_engine.adapters.polymarket.ws import PolymarketBookStream
from arbees_engine.ops.builder import build_engine
from arbees_engine.settings import Settings

ARGS = argparse.Namespace(venue="kalshi,polymarket", feed="espn", replay=None, seed=1, speed=1.0, games=8)


def _settings(**endpoints) -> Settings:
    fields = {k: v for k, v in endpoints.items() if k in ("live", "live_authorization")}
    eps = {k: v for k, v in endpoints.items() if k not in fields}
    return Settings(endpoints=eps, kill_file="/nonexistent/kill", **fields)


def _venues(engine) -> dict[str, StreamingVenue]:
    return {a.name: a for a in engine.adapters if isinstance(a, StreamingVenue)}


def test_without_kalshi_key_kalshi_polls_rest_and_polymarket_streams():
    engine = build_engine(_settings(), ARGS, store=None, redis_url=None)
    venues = _venues(engine)
    assert isinstance(engine.adapters[0], EspnFeed)
    assert venues["kalshi"].mode == "rest-poll" and venues["kalshi"].stream is None
    assert isinstance(venues["polymarket"].stream, PolymarketBookStream)
    assert engine.live_orders is None


def test_polymarket_stream_shares_the_rest_listings_so_a_tick_change_re_lists_the_market():
    poly = _venues(build_engine(_settings(), ARGS, store=None, redis_url=None))["polymarket"]
    assert poly.stream.listings is poly.rest.listings  # tick_size_change updates what discovery listed
    assert poly.rest.streamed_ticks is poly.stream.ticks  # and discovery keeps the socket's newer tick


def test_with_kalshi_key_both_stream(kalshi_key_file):
    engine = build_engine(
        _settings(kalshi_key_id="kid", kalshi_key_file=kalshi_key_file, kalshi_ws_url="ws://127.0.0.1:9/x/ws"),
        ARGS,
        store=None,
        redis_url=None,
    )
    stream = _venues(engine)["kalshi"].stream
    assert isinstance(stream, KalshiBookStream) and stream.signer.key_id == "kid"
    assert stream.ws_path == "/x/ws"  # the handshake signs the configured URL's path
    assert engine.live_orders is None  # credentials alone never mean live orders


def test_websockets_can_be_switched_off(kalshi_key_file):
    engine = build_engine(
        _settings(use_websockets=False, kalshi_key_id="kid", kalshi_key_file=kalshi_key_file),
        ARGS,
        store=None,
        redis_url=None,
    )
    assert {v.mode for v in _venues(engine).values()} == {"rest-poll"}


def test_unsafe_key_file_is_refused(kalshi_key_file):
    kalshi_key_file.chmod(0o644)
    with pytest.raises(KalshiAuthError, match="0644"):
        build_engine(_settings(kalshi_key_id="kid", kalshi_key_file=kalshi_key_file), ARGS, store=None, redis_url=None)


@pytest.mark.parametrize(
    "live, authorization, with_key",
    [
        (False, LIVE_AUTHORIZATION_PHRASE, True),  # authorization without ARBEES_LIVE=1
        (True, None, True),  # ARBEES_LIVE=1 without authorization
        (True, "yes please", True),  # wrong authorization phrase
        (True, LIVE_AUTHORIZATION_PHRASE, False),  # both flags but no Kalshi credentials
    ],
)
def test_live_orders_refused_without_every_switch(live, authorization, with_key, kalshi_key_file):
    keys = {"kalshi_key_id": "kid", "kalshi_key_file": kalshi_key_file} if with_key else {}
    engine = build_engine(
        _settings(live=live, live_authorization=authorization, **keys), ARGS, store=None, redis_url=None
    )
    assert engine.live_orders is None  # paper execution


async def test_live_orders_built_with_both_switches_and_credentials(kalshi_key_file):
    settings = _settings(
        live=True,
        live_authorization=LIVE_AUTHORIZATION_PHRASE,
        kalshi_key_id="kid",
        kalshi_key_file=kalshi_key_file,
        kalshi_base_url="http://127.0.0.1:9/trade-api/v2",
    )
    engine = build_engine(settings, ARGS, store=None, redis_url=None)
    from arbees_engine.adapters.kalshi.exchange import PauseGuardBroker
    from arbees_engine.adapters.kalshi.live_setup import KalshiAccountAdapter
    from arbees_engine.model import Venue

    account = next(a for a in engine.adapters if isinstance(a, KalshiAccountAdapter))
    try:
        assert isinstance(engine.live_orders, KalshiOrderClient)
        assert engine.live_orders.signer.key_id == "kid"
        guarded = engine.live_brokers[Venue.KALSHI]  # no live order during a trading pause
        assert isinstance(guarded, PauseGuardBroker)
        assert guarded.inner.order_options == {"cancel_order_on_pause": True}  # + order_group_id once kept
        assert account.contracts_limit == 500 and account.group.order_group_id is None
    finally:
        await engine.live_orders.aclose()
        await account.client.aclose()


async def test_environment_switches_reach_the_builder(monkeypatch, kalshi_key_file):
    monkeypatch.setenv("ARBEES_LIVE", "1")
    monkeypatch.setenv("ARBEES_ENDPOINTS__KALSHI_KEY_ID", "kid")
    monkeypatch.setenv("ARBEES_ENDPOINTS__KALSHI_KEY_FILE", str(kalshi_key_file))
    monkeypatch.setenv("ARBEES_CONFIG", "/nonexistent/arbees.toml")
    engine = build_engine(Settings(), ARGS, store=None, redis_url=None)
    assert engine.live_orders is None  # ARBEES_LIVE_AUTHORIZATION missing
    monkeypatch.setenv("ARBEES_LIVE_AUTHORIZATION", LIVE_AUTHORIZATION_PHRASE)
    engine = build_engine(Settings(), ARGS, store=None, redis_url=None)
    assert isinstance(engine.live_orders, KalshiOrderClient)
    await engine.live_orders.aclose()


def test_unknown_venue_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown venue 'betfair'"):
        build_engine(
            _settings(), argparse.Namespace(**{**vars(ARGS), "venue": "kalshi,betfair"}), store=None, redis_url=None
        )


def test_local_rest_with_production_websocket_polls_instead(kalshi_key_file):
    """REST pointed at a local/demo server but the websocket left at production: never mix them."""
    engine = build_engine(
        _settings(
            polymarket_clob_url="http://127.0.0.1:9",
            kalshi_base_url="http://127.0.0.1:9/v2",
            kalshi_key_id="kid",
            kalshi_key_file=kalshi_key_file,
        ),
        ARGS,
        store=None,
        redis_url=None,
    )
    assert {v.mode for v in _venues(engine).values()} == {"rest-poll"}
    engine = build_engine(
        _settings(polymarket_clob_url="http://127.0.0.1:9", polymarket_ws_url="ws://127.0.0.1:9/ws"),
        ARGS,
        store=None,
        redis_url=None,
    )
    assert _venues(engine)["polymarket"].mode == "websocket"
