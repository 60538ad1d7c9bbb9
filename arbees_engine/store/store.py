"""`Store`: the engine's PostgreSQL system of record, one object over the store's repositories.

The statements live in the repositories, each handed the `Database` (db.py: pool, transactions,
error mapping): games/markets/quotes in `games.py`, signals/orders/fills/positions/settlements in
`trading.py`, bankroll/audit/commands/engine state in `control.py`, the background writer's batches in
`batch.py`. `Store` joins them so callers keep one handle; it adds only connect/close and health checks.
"""

from __future__ import annotations

import asyncpg

from .batch import BatchRepository
from .control import ControlRepository
from .db import Database
from .errors import StoreError
from .games import GamesRepository
from .settlements import SettlementsRepository
from .trading import TradingRepository

_COUNTABLE = frozenset(
    {
        "games",
        "markets",
        "quotes",
        "signals",
        "orders",
        "fills",
        "positions",
        "bankroll_ledger",
        "audit_log",
        "commands",
        "engine_state",
        "settlement_expectations",
    }
)


class Store(GamesRepository, TradingRepository, SettlementsRepository, ControlRepository, BatchRepository):
    """Async access to the Arbees tables. Create with `await Store.connect(dsn)`; `await close()`.

    Every method raises StoreUnavailable when PostgreSQL cannot be reached and
    StoreConstraintError when a row breaks a CHECK/NOT NULL/foreign-key rule.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__(Database(pool))

    @property
    def db(self) -> Database:
        """The pool and transactions every repository runs on (tests read the database's clock with it)."""
        return self._db

    @classmethod
    async def connect(
        cls, dsn: str, *, min_size: int = 1, max_size: int = 10, command_timeout_s: float = 30.0
    ) -> Store:
        """Open a pool to `dsn` (postgresql://user@host:port/db). Raises StoreUnavailable."""
        db = await Database.connect(dsn, min_size=min_size, max_size=max_size, command_timeout_s=command_timeout_s)
        return cls(db.pool)

    async def close(self) -> None:
        """Close every pooled connection (waits for queries in flight, at most 10 s)."""
        await self._db.close()

    # -- helpers for tests and health checks ---------------------------------------------------
    async def count_rows(self, table: str) -> int:
        """Row count of one of the store's tables. Raises StoreError for any other name."""
        if table not in _COUNTABLE:
            raise StoreError(f"unknown table {table!r}")
        async with self._db.acquire() as conn:
            return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))

    async def count_fills(self) -> int:
        """Number of stored fills."""
        return await self.count_rows("fills")

    async def count_orders(self) -> int:
        """Number of stored orders."""
        return await self.count_rows("orders")

    async def ping(self) -> bool:
        """True if a trivial query succeeds; raises StoreUnavailable otherwise."""
        async with self._db.acquire() as conn:
            return await conn.fetchval("SELECT 1") == 1
