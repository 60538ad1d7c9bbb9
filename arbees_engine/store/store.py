"""`Store`: the engine's PostgreSQL system of record, on an asyncpg connection pool.

Money goes in and out as Decimal (asyncpg maps NUMERIC ⇄ decimal.Decimal exactly,
https://magicstack.github.io/asyncpg/current/usage.html#type-conversion); jsonb as Python objects.
Connection failures become StoreUnavailable; rule violations StoreConstraintError.
Methods are split by area: games/markets/quotes here, trading rows in `trading.py`,
bankroll/audit/commands/engine state in `control.py`, the background writer's batches in `batch.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal

import asyncpg
import structlog

from ..model import GameState, Market
from .batch import GAME_SQL, MARKET_SQL, BatchMixin, game_job, market_job
from .control import ControlMixin
from .errors import StoreConstraintError, StoreError, StoreUnavailable
from .rows import json_dumps, market_from_row
from .trading import TradingMixin

log = structlog.get_logger(__name__)

_CONNECTION_ERRORS = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, cannot connect now, crash
    asyncpg.exceptions.TooManyConnectionsError,
)
_COUNTABLE = frozenset(
    {"games", "markets", "quotes", "signals", "orders", "fills", "positions", "bankroll_ledger", "audit_log",
     "commands", "engine_state", "settlement_expectations"}
)


async def _init_connection(conn: asyncpg.Connection) -> None:
    """jsonb/json ⇄ Python objects, Decimals inside JSON written as strings."""
    for name in ("jsonb", "json"):
        await conn.set_type_codec(name, encoder=json_dumps, decoder=json.loads, schema="pg_catalog")


class Store(TradingMixin, ControlMixin, BatchMixin):
    """Async access to the Arbees tables. Create with `await Store.connect(dsn)`; `await close()`.

    Every method raises StoreUnavailable when PostgreSQL cannot be reached and
    StoreConstraintError when a row breaks a CHECK/NOT NULL/foreign-key rule.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @classmethod
    async def connect(
        cls, dsn: str, *, min_size: int = 1, max_size: int = 10, command_timeout_s: float = 30.0
    ) -> "Store":
        """Open a pool to `dsn` (postgresql://user@host:port/db). Raises StoreUnavailable."""
        try:
            pool = await asyncpg.create_pool(
                dsn, min_size=min_size, max_size=max_size, command_timeout=command_timeout_s,
                init=_init_connection, timeout=15,
            )
        except _CONNECTION_ERRORS as exc:
            raise StoreUnavailable(f"cannot connect to PostgreSQL: {exc}") from exc
        return cls(pool)

    async def close(self) -> None:
        """Close every pooled connection (waits for queries in flight, at most 10 s)."""
        try:
            await asyncio.wait_for(self._pool.close(), 10)
        except _CONNECTION_ERRORS:  # includes TimeoutError: stuck queries are cut off
            self._pool.terminate()

    @contextlib.asynccontextmanager
    async def _acquire(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection, with driver errors mapped to the store's exceptions."""
        try:
            async with self._pool.acquire(timeout=15) as conn:
                yield conn
        except _CONNECTION_ERRORS as exc:
            raise StoreUnavailable(f"PostgreSQL unavailable: {exc}") from exc
        except asyncpg.InterfaceError as exc:
            if "closed" in str(exc) or "closing" in str(exc):
                raise StoreUnavailable(f"PostgreSQL connection closed: {exc}") from exc
            raise
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise StoreConstraintError(f"{type(exc).__name__}: {exc}", getattr(exc, "constraint_name", None)) from exc
        except asyncpg.DataError as exc:  # e.g. numeric overflow: the value does not fit the column
            raise StoreConstraintError(f"{type(exc).__name__}: {exc}") from exc

    @contextlib.asynccontextmanager
    async def _transaction(self, actor: str | None = None) -> AsyncIterator[asyncpg.Connection]:
        """A connection inside a transaction; `actor` names who acts in trigger-written audit rows."""
        async with self._acquire() as conn, conn.transaction():
            if actor:
                await conn.execute("SELECT set_config('arbees.actor', $1, true)", actor)
            yield conn

    # -- games, markets, quotes -------------------------------------------------------------
    async def upsert_game(self, state: GameState, model_p_home: float | None = None, prior_source: str = "") -> None:
        """Insert or update a game's latest state, model home-win probability (0..1 or None) and
        pre-game prior (`state.pregame_home_prob`, with its source: "", "spread", "feed", "market")."""
        async with self._acquire() as conn:
            await conn.execute(GAME_SQL, *game_job(state, model_p_home, prior_source).row)

    async def load_priors(self) -> list[tuple[str, float, str, bool]]:
        """(game_id, pregame P(home wins), source, started) for every scheduled or live game with a prior."""
        async with self._acquire() as conn:
            rows = await conn.fetch(
                """SELECT game_id, pregame_home_prob, prior_source, status FROM games
                   WHERE pregame_home_prob IS NOT NULL AND status IN ('scheduled', 'live')""")
        return [(r["game_id"], r["pregame_home_prob"], r["prior_source"] or "feed", r["status"] == "live") for r in rows]

    async def load_game_row(self, game_id: str) -> dict | None:
        """The stored `games` row as a dict, or None."""
        async with self._acquire() as conn:
            row = await conn.fetchrow("SELECT * FROM games WHERE game_id = $1", game_id)
        return dict(row) if row else None

    async def upsert_market(self, market: Market) -> None:
        """Insert or update a market by market_id. StoreConstraintError if (venue, venue_market_id)
        already belongs to another market_id."""
        async with self._acquire() as conn:
            await conn.execute(MARKET_SQL, *market_job(market).row)

    async def load_markets(self, game_id: str | None = None) -> list[Market]:
        """All stored markets, or those of one game, ordered by market_id."""
        async with self._acquire() as conn:
            rows = await conn.fetch(
                "SELECT * FROM markets WHERE $1::text IS NULL OR game_id = $1 ORDER BY market_id", game_id
            )
        return [market_from_row(r) for r in rows]

    async def insert_quote(
        self, market_id: str, ts: datetime, bid: Decimal | None, ask: Decimal | None,
        bid_size: Decimal | None = None, ask_size: Decimal | None = None,
    ) -> bool:
        """Store one top-of-book quote (dollars, contracts). Returns False if (market_id, ts) was
        already stored (the duplicate is ignored, never a second row)."""
        async with self._acquire() as conn:
            inserted = await conn.fetchval(
                """INSERT INTO quotes (market_id, ts, bid, ask, bid_size, ask_size) VALUES ($1,$2,$3,$4,$5,$6)
                   ON CONFLICT (market_id, ts) DO NOTHING RETURNING quote_id""",
                market_id, ts, bid, ask, bid_size, ask_size,
            )
        return inserted is not None

    # -- helpers for tests and health checks ---------------------------------------------------
    async def count_rows(self, table: str) -> int:
        """Row count of one of the store's tables. Raises StoreError for any other name."""
        if table not in _COUNTABLE:
            raise StoreError(f"unknown table {table!r}")
        async with self._acquire() as conn:
            return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))

    async def count_fills(self) -> int:
        """Number of stored fills."""
        return await self.count_rows("fills")

    async def count_orders(self) -> int:
        """Number of stored orders."""
        return await self.count_rows("orders")

    async def ping(self) -> bool:
        """True if a trivial query succeeds; raises StoreUnavailable otherwise."""
        async with self._acquire() as conn:
            return await conn.fetchval("SELECT 1") == 1
