"""Games, markets and quotes: the rows the market-data path keeps (a repository of `Store`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ..model import GameState, GameStatus, Market
from .batch import GAME_SQL, MARKET_SQL, game_job, market_job
from .db import Repository
from .rows import market_from_row


class GamesRepository(Repository):
    """Games (state, model probability, pre-game prior), markets and top-of-book quotes.
    Raises StoreUnavailable / StoreConstraintError like every `Database` statement."""

    async def upsert_game(self, state: GameState, model_p_home: float | None = None, prior_source: str = "") -> None:
        """Insert or update a game's latest state, model home-win probability (0..1 or None) and
        pre-game prior (`state.pregame_home_prob`, with its source: "", "spread", "feed", "market")."""
        async with self._db.acquire() as conn:
            await conn.execute(GAME_SQL, *game_job(state, model_p_home, prior_source).row)

    async def load_priors(self) -> list[tuple[str, float, str, bool]]:
        """(game_id, pregame P(home wins), source, started) for every scheduled or live game with a prior."""
        async with self._db.acquire() as conn:
            rows = await conn.fetch(
                """SELECT game_id, pregame_home_prob, prior_source, status FROM games
                   WHERE pregame_home_prob IS NOT NULL AND status = ANY($1::text[])""",
                [GameStatus.SCHEDULED.value, GameStatus.LIVE.value],
            )
        return [
            (
                r["game_id"],
                r["pregame_home_prob"],
                r["prior_source"] or "feed",
                GameStatus(r["status"]) is GameStatus.LIVE,
            )
            for r in rows
        ]

    async def load_game_row(self, game_id: str) -> dict | None:
        """The stored `games` row as a dict, or None."""
        async with self._db.acquire() as conn:
            row = await conn.fetchrow("SELECT * FROM games WHERE game_id = $1", game_id)
        return dict(row) if row else None

    async def upsert_market(self, market: Market) -> None:
        """Insert or update a market by market_id. StoreConstraintError if (venue, venue_market_id)
        already belongs to another market_id."""
        async with self._db.acquire() as conn:
            await conn.execute(MARKET_SQL, *market_job(market).row)

    async def load_markets(self, game_id: str | None = None) -> list[Market]:
        """All stored markets, or those of one game, ordered by market_id."""
        async with self._db.acquire() as conn:
            rows = await conn.fetch(
                "SELECT * FROM markets WHERE $1::text IS NULL OR game_id = $1 ORDER BY market_id", game_id
            )
        return [market_from_row(r) for r in rows]

    async def insert_quote(
        self,
        market_id: str,
        ts: datetime,
        bid: Decimal | None,
        ask: Decimal | None,
        bid_size: Decimal | None = None,
        ask_size: Decimal | None = None,
    ) -> bool:
        """Store one top-of-book quote (dollars, contracts). Returns False if (market_id, ts) was
        already stored (the duplicate is ignored, never a second row)."""
        async with self._db.acquire() as conn:
            inserted = await conn.fetchval(
                """INSERT INTO quotes (market_id, ts, bid, ask, bid_size, ask_size) VALUES ($1,$2,$3,$4,$5,$6)
                   ON CONFLICT (market_id, ts) DO NOTHING RETURNING quote_id""",
                market_id,
                ts,
                bid,
                ask,
                bid_size,
                ask_size,
            )
        return inserted is not None
