"""Each store repository runs on a `Database` alone (no Store behind it), and the Database maps driver
errors to the store's own: the cut that removed the store mixins' import cycle (issue 12)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import store_factories as f

from arbees_engine.model import Decision
from arbees_engine.store import Database, StoreConstraintError, StoreUnavailable
from arbees_engine.store.control import ControlRepository
from arbees_engine.store.games import GamesRepository
from arbees_engine.store.trading import TradingRepository


async def test_repositories_share_one_database_without_a_store(pg_dsn: str) -> None:
    db = await Database.connect(pg_dsn)
    try:
        games, trading, control = GamesRepository(db), TradingRepository(db), ControlRepository(db)
        await games.upsert_game(f.game(), model_p_home=0.61)
        assert (await games.load_game_row("espn:nba:1"))["model_p_home"] == 0.61
        sig = f.signal(decision=Decision.PENDING)
        await trading.insert_signal(sig)
        assert await trading.load_signals(game_id="espn:nba:1") == [sig]
        await control.init_bankroll(Decimal("1000"))
        row = await control.apply_bankroll_delta("fill:x", Decimal("0"), Decimal("0.07"))
        assert row.fees == Decimal("0.07") and row.applied
        async with db.transaction(actor="test") as conn:
            assert await conn.fetchval("SELECT current_setting('arbees.actor', true)") == "test"
        with pytest.raises(StoreConstraintError):
            await trading.record_fill(f.fill(client_order_id="never-sent"))  # foreign key, mapped
    finally:
        await db.close()
    with pytest.raises(StoreUnavailable):
        async with db.acquire():
            pass  # a closed pool is an outage to callers, not an asyncpg error
