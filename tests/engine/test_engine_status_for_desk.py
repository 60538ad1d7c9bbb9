"""Issue 15: the EngineStatus fields the desk's header and risk view read, filled by a real sim
engine (PostgreSQL and Redis from the harness)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from engine_harness import sim_engine, sim_settings

from arbees_engine.adapters.composite import StreamingVenue
from arbees_engine.adapters.kalshi.exchange import KalshiExchangeWatch
from arbees_engine.adapters.kalshi.rest import KalshiRestVenue
from arbees_engine.adapters.kalshi.ws import KalshiBookStream
from arbees_engine.adapters.watchdog import WatchdogConfig
from arbees_engine.bus.messages import EngineStatus
from arbees_engine.ops.drive import drive_sim


class _Clock:
    """The engine clock the watchdog times on, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


async def test_status_carries_engine_clock_trading_kind_feeds_and_exposures(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    async with sim_engine(settings, seed=7) as (engine, world, _store):
        await drive_sim(engine, world, 120)
        await engine.settle_queue()
        status = engine.status_view()
        assert status.engine_now == engine.clock()  # the simulated clock, not the wall clock
        assert status.trading and set(status.trading.values()) == {"sim"}
        assert set(status.venue_feeds) == set(status.trading)
        assert all(v == "ok" or v == "down" or v.startswith("stale ") for v in status.venue_feeds.values())
        portfolio = engine.portfolio
        open_games = {p.game_id for p in portfolio.positions()}
        assert open_games and set(status.exposure_by_game) == open_games
        for game_id, dollars in status.exposure_by_game.items():
            assert dollars == portfolio.exposure_by_game(game_id)
        assert sum(status.exposure_by_sport.values()) == sum(status.exposure_by_game.values())
        assert status.resume_mode == settings.mode  # the chosen mode a resume returns to
        # fees today: every fill of this short run falls on the engine clock's day, so all of them
        bankroll = engine.bankroll_view()
        assert bankroll.day_fees is not None and bankroll.day_fees > 0 and bankroll.day_fees == bankroll.fees


class _HeartbeatPlugin:
    """A venue part plugged in through the generic hook: any adapter with `venue_states()`."""

    name = "polymarket"

    def __init__(self) -> None:
        self.states = {"heartbeat": "failed: timeout"}

    def venue_states(self) -> dict[str, str]:
        return dict(self.states)


class _BrokenPlugin:
    name = "polymarket"

    def venue_states(self) -> dict[str, str]:
        raise RuntimeError("bug in a venue's status hook")


async def test_venue_states_carry_each_websocket_feeds_state_and_every_adapters_own_aspects(pg_dsn, redis_url):
    """Issue 14 item 4 / issue 15 item 3: EngineStatus.venue_states["kalshi"]["ws"] is the real
    Kalshi stream's feed state (down before it connects, "silent k/n" while k of its n markets are
    silent past the watchdog bound, live after), and an adapter offering `venue_states()` has its
    aspects merged in (a failing hook is shown, never raised); the Kalshi venue's own parts show
    through it: the stream's websocket login ("ws_auth") and the exchange watcher's "exchange"."""
    clock = _Clock(datetime(2026, 12, 7, 20, 0, tzinfo=UTC))
    tickers = [f"KXNBAGAME-26DEC07T{i}" for i in range(5)]
    settings = sim_settings(pg_dsn, redis_url)
    async with httpx.AsyncClient() as client, sim_engine(settings, seed=7) as (engine, _world, _store):
        stream = KalshiBookStream(tickers, clock=clock, watchdog=WatchdogConfig(silence_s=30.0))
        rest = KalshiRestVenue("http://127.0.0.1:9", client)  # never called: nothing is run
        exchange = KalshiExchangeWatch("http://127.0.0.1:9", client, list, clock=clock)
        engine.adapters += [StreamingVenue(rest, stream, watchers=[exchange]), _HeartbeatPlugin()]
        status = engine.status_view()
        assert status.feeds["kalshi"].state == "down"
        assert status.venue_states["kalshi"] == {"ws": "down", "ws_auth": "ok", "exchange": "open"}
        assert status.venue_states["polymarket"] == {"heartbeat": "failed: timeout"}

        dog = stream.watchdog  # driven through the calls the stream makes on its socket's events
        dog.connected()
        clock.advance(31)
        for ticker in tickers[1:]:
            dog.touch(ticker)
        stream.auth.refused(401)  # what the stream records when the upgrade answers HTTP 401
        status = engine.status_view()
        assert status.venue_states["kalshi"] == {
            "ws": "silent 1/5",
            "ws_auth": "rejected: HTTP 401 ×1 (1 in all)",
            "exchange": "open",
        }
        assert status.feeds["kalshi"].market_age_s[f"kalshi:{tickers[1]}"] == 0.0
        assert status.feeds["kalshi"].market_age_s[f"kalshi:{tickers[0]}"] is None  # never heard from

        dog.touch(tickers[0])
        stream.auth.logged_in()
        engine.adapters.append(_BrokenPlugin())
        status = engine.status_view()
        assert status.venue_states["kalshi"] == {"ws": "live", "ws_auth": "ok (1 refused before)", "exchange": "open"}
        assert status.venue_states["polymarket"] == {"heartbeat": "failed: timeout", "status": "error: RuntimeError"}
        # what the desk decodes off the bus
        decoded = EngineStatus.model_validate_json(status.model_dump_json())
        assert decoded.venue_states == status.venue_states
