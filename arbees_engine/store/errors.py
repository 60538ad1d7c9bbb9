"""Exceptions the store raises; callers catch these, never asyncpg's own classes."""

from __future__ import annotations

import asyncio


class StoreError(Exception):
    """Base class of every store failure."""


class StoreUnavailable(StoreError):
    """PostgreSQL cannot be reached (refused, dropped, shut down, timed out).

    The engine stops opening positions while this is raised and says so (ARCHITECTURE.md).
    """


class StoreConstraintError(StoreError):
    """A row broke a database rule (CHECK range, NOT NULL, foreign key). `constraint` names it."""

    def __init__(self, message: str, constraint: str | None = None) -> None:
        super().__init__(message)
        self.constraint = constraint


class DuplicateOrderError(StoreError):
    """An order intent reused a client_order_id already in the store (ids are unique forever)."""


class NotFoundError(StoreError):
    """An update named a row that does not exist (unknown order, signal or missing bankroll)."""


class MigrationError(StoreError):
    """Migrations cannot be applied: missing directory, bad file names, or a changed applied file."""


# Server conditions that pass (retry the batch later) rather than a row the database refuses: lost
# connections, shutdowns, resources (disk full, out of memory, too many connections: SQLSTATE class
# 53), a read-only server (25006, a standby being promoted), serialization/deadlock (class 40).
# https://www.postgresql.org/docs/current/errcodes-appendix.html; names are asyncpg's classes.
_TRANSIENT = frozenset(
    {
        "ConnectionDoesNotExistError",
        "InterfaceError",
        "CannotConnectNowError",
        "ConnectionFailureError",
        "TooManyConnectionsError",
        "AdminShutdownError",
        "CrashShutdownError",
        "InsufficientResourcesError",
        "DiskFullError",
        "OutOfMemoryError",
        "ReadOnlySQLTransactionError",
        "SerializationError",
        "DeadlockDetectedError",
    }
)


def is_store_outage(exc: BaseException) -> bool:
    """True when a write failed because of the server or the network (keep the rows, retry later),
    False for a bad row (drop it, count it)."""
    return (
        isinstance(exc, (OSError, ConnectionError, asyncio.TimeoutError, StoreUnavailable))
        or type(exc).__name__ in _TRANSIENT
    )
