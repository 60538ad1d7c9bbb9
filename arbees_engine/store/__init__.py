"""PostgreSQL system of record: `Store` (the repositories over one `Database` pool) and `migrate` (numbered SQL files).

Usage: `await migrate(dsn)`, then `store = await Store.connect(dsn)`; `await store.close()`.
"""

from .db import Database
from .errors import (
    DuplicateOrderError,
    MigrationError,
    NotFoundError,
    StoreConstraintError,
    StoreError,
    StoreUnavailable,
)
from .migrate import migrate, migrations_dir
from .rows import BankrollRow
from .store import Store

__all__ = [
    "BankrollRow",
    "Database",
    "DuplicateOrderError",
    "MigrationError",
    "NotFoundError",
    "Store",
    "StoreConstraintError",
    "StoreError",
    "StoreUnavailable",
    "migrate",
    "migrations_dir",
]
