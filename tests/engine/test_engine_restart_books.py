"""After a restart the portfolio keeps the store's starting bankroll and today's P&L, so a changed
config cannot resize the bankroll and the daily loss limit does not reset."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

from engine_harness import sim_settings

from arbees_engine.node.kernel import Engine
from arbees_engine.risk.checks import daily_loss
from arbees_engine.store.store import Store


async def test_restart_keeps_stored_starting_bankroll_and_the_days_losses(pg_dsn, redis_url):
    now = datetime.now(UTC)
    store = await Store.connect(pg_dsn)
    try:
        first = Engine(sim_settings(pg_dsn, redis_url, starting_bankroll=D("1000")), [], store=store, clock=lambda: now)
        await first.start(with_adapters=False)
        await store.apply_bankroll_delta("settle:lost-today", D("-240"), D("0"))
        await store.apply_bankroll_delta("fill:fee-today", D("0"), D("12.50"))
        await first.shutdown()

        settings = sim_settings(pg_dsn, redis_url, starting_bankroll=D("5000"))  # the config changed
        again = Engine(settings, [], store=store, clock=lambda: now)
        await again.start(with_adapters=False)
        try:
            bankroll = again.portfolio.bankroll
            assert bankroll.starting == D("1000") and bankroll.equity == D("1000") - D("240") - D("12.50")
            assert again.portfolio.day_net_pnl(now) == D("-252.50")
            assert again.portfolio.day_fees(now) == D("12.50")  # the desk's "fees today" survives too
            assert daily_loss(None, again.trader.risk_context(), settings.limits) == "daily_loss"  # limit $250
        finally:
            await again.shutdown()
    finally:
        await store.close()
