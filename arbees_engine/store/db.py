"""The store's PostgreSQL access: the asyncpg pool, transactions, and driver errors mapped to StoreError.

Money goes in and out as Decimal (asyncpg maps NUMERIC ⇄ decimal.Decimal exactly,
https://magicstack.github.io/asyncpg/current/usage.html#type-conversion); jsonb as Python objects.
Connection failures become StoreUnavailable; rule violations StoreConstraintError. The repositories
(`games.py`, `trading.py`, `control.py`, `batch.py`) are each handed a `Database`, never the `Store`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import asyncpg

from .errors import StoreConstraintError, StoreUnavailable
from .rows import json_dumps

_CONNECTION_ERRORS = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, cannot connect now, crash
    asyncpg.exceptions.TooManyConnectionsError,
)


async def _init_connection(conn: asyncpg.Connection) -> None:
    """jsonb/json ⇄ Python objects, Decimals inside JSON written as strings."""
    for name in ("jsonb", "json"):
        await conn.set_type_codec(name, encoder=json_dumps, decoder=json.loads, schema="pg_catalog")


class Database:
    """An asyncpg pool with the store's error mapping. Create with `await Database.connect(dsn)`.

    `acquire()` and `transaction()` raise StoreUnavailable when PostgreSQL cannot be reached and
    StoreConstraintError when a statement breaks a CHECK/NOT NULL/foreign-key rule or a column's range.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @classmethod
    async def connect(
        cls, dsn: str, *, min_size: int = 1, max_size: int = 10, command_timeout_s: float = 30.0
    ) -> Database:
        """Open a pool to `dsn` (postgresql://user@host:port/db). Raises StoreUnavailable."""
        try:
            pool = await asyncpg.create_pool(
                dsn,
                min_size=min_size,
                max_size=max_size,
                command_timeout=command_timeout_s,
                init=_init_connection,
                timeout=15,
            )
        except _CONNECTION_ERRORS as exc:
            raise StoreUnavailable(f"cannot connect to PostgreSQL: {exc}") from exc
        return cls(pool)

    async def close(self) -> None:
        """Close every pooled connection (waits for queries in flight, at most 10 s)."""
        try:
            await asyncio.wait_for(self.pool.close(), 10)
        except _CONNECTION_ERRORS:  # includes TimeoutError: stuck queries are cut off
            self.pool.terminate()

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        """A pooled connection, with driver errors mapped to the store's exceptions."""
        try:
            async with self.pool.acquire(timeout=15) as conn:
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
    async def transaction(self, actor: str | None = None) -> AsyncIterator[asyncpg.Connection]:
        """A connection inside a transaction; `actor` names who acts in trigger-written audit rows."""
        async with self.acquire() as conn, conn.transaction():
            if actor:
                await conn.execute("SELECT set_config('arbees.actor', $1, true)", actor)
            yield conn


class Repository:
    """Base of the store's repositories: holds the `Database` they run their statements on."""

    def __init__(self, db: Database) -> None:
        self._db = db
