"""Issue 15: the EngineStatus fields the desk's header and risk view read, filled by a real sim
engine (PostgreSQL and Redis from the harness)."""

from __future__ import annotations

from engine_harness import sim_engine, sim_settings

from arbees_engine.ops.drive import drive_sim


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
