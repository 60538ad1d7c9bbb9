"""A Kalshi market whose `price_ranges` were malformed is listed (settlement needs it) but never
traded: the executor refuses every order on it with a counted `bad_tick_grid`, before any send.
Engines, signals and the fake Kalshi REST API come from test_tick_grid_orders."""

from __future__ import annotations

import pytest
from live_fake_kalshi_rest import FakeKalshiRest
from live_fixtures import load_fixture
from test_tick_grid_orders import LIVE, NYK, SAS, _engine, _kalshi_engine, _posts, _signal

from arbees_engine.adapters.kalshi.auth import KalshiSigner
from arbees_engine.adapters.kalshi.orders import KalshiOrderClient
from arbees_engine.adapters.kalshi.parse import parse_market
from arbees_engine.model import Side

BROKEN_RANGES = [{"start": "0.0000", "end": "1.0000", "step": "0.0000"}]  # a zero step: no grid at all


def _broken(ticker: str) -> dict:
    """The recorded market `ticker`, trading, with a zero-step `price_ranges`."""
    recorded = {m["ticker"]: m for m in load_fixture("kalshi/markets_nba_game_settled.json")["markets"]}
    return dict(recorded[ticker], status="active", price_ranges=BROKEN_RANGES)


def _assert_refused(engine, sid: str) -> None:
    signal = engine.signal_book.signals[sid]
    assert signal.decision.value == "rejected" and signal.reason.startswith(f"bad_tick_grid: kalshi:{SAS}: ")
    assert engine.input_rejections["execution:bad_tick_grid"] == 1
    assert not engine.executor.recent_orders


@pytest.mark.parametrize(("side", "limit"), [(Side.YES, "0.55"), (Side.NO, "0.40")])
async def test_a_market_listed_with_a_broken_grid_is_never_traded(side, limit):
    engine = _engine()  # paper: the refusal comes before any broker
    engine.on_listing(parse_market(_broken(SAS)))
    assert f"kalshi:{SAS}" in engine.registry.markets  # listed and matched, just not tradable
    await engine.executor.execute(_signal("s1", (f"kalshi:{SAS}", side, limit)))
    _assert_refused(engine, "s1")


async def test_a_grid_that_breaks_later_refuses_the_whole_arbitrage_before_any_send(rsa_key):
    with FakeKalshiRest(rsa_key.public_key()) as server:
        client = KalshiOrderClient(KalshiSigner("kid", rsa_key), base_url=server.base_url, env=LIVE)
        engine = _kalshi_engine(client)
        engine.on_listing(parse_market(_broken(SAS)))  # the next discovery returns a broken grid
        await engine.executor.execute(
            _signal("s1", (f"kalshi:{NYK}", Side.NO, "0.45"), (f"kalshi:{SAS}", Side.YES, "0.55"))
        )
        _assert_refused(engine, "s1")
        assert _posts(server) == 0  # the good NYK leg never went either
        await client.aclose()
