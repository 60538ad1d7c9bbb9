"""Exceptions the store raises; callers catch these, never asyncpg's own classes."""

from __future__ import annotations


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
