"""Apply numbered SQL migrations (`NNNN_name.sql`) in order, each exactly once.

Applied files are recorded in `schema_migrations (name, checksum, applied_at)`; the whole run holds
a session-level `pg_advisory_lock`, so two engines starting together apply each file once
(https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS). Each file runs in
its own transaction together with its bookkeeping row. A file whose content changed after it was
applied is refused (MigrationError) rather than silently diverging.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
from pathlib import Path

import asyncpg
import structlog

from .errors import MigrationError, StoreUnavailable

log = structlog.get_logger(__name__)

#: Advisory lock key for migrations ("arbees" + 1 as a 64-bit int): any constant shared by all engines.
MIGRATION_LOCK_KEY = 0x6172626565730001
_FILE_RE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations_dir() -> Path:
    """Directory of migration files: $ARBEES_MIGRATIONS_DIR, else `<repo root>/migrations` in a
    checkout, else `<sys.prefix>/share/arbees/migrations` where a wheel installs them.

    Raises MigrationError if none exists.
    """
    override = os.environ.get("ARBEES_MIGRATIONS_DIR")
    checkout = Path(__file__).resolve().parents[2] / "migrations"
    installed = Path(sys.prefix) / "share" / "arbees" / "migrations"
    path = Path(override) if override else checkout if checkout.is_dir() else installed
    if not path.is_dir():
        raise MigrationError(f"migrations directory {path} not found (set ARBEES_MIGRATIONS_DIR)")
    return path


def migration_files(directory: Path) -> list[tuple[str, str, str]]:
    """Return [(name, sha256 hex, sql)] ordered by number. Raises MigrationError on duplicate numbers."""
    files: dict[str, Path] = {}
    for path in directory.iterdir():
        match = _FILE_RE.match(path.name)
        if not match:
            continue
        number = match.group(1)
        if number in files:
            raise MigrationError(f"two migrations numbered {number}: {files[number].name}, {path.name}")
        files[number] = path
    result = []
    for number in sorted(files):
        sql = files[number].read_text(encoding="utf-8")
        result.append((files[number].name, hashlib.sha256(sql.encode()).hexdigest(), sql))
    return result


async def migrate(dsn: str, directory: Path | None = None) -> list[str]:
    """Apply pending migrations to the database at `dsn`; return the names applied (may be []).

    Raises MigrationError if an applied file's checksum changed, StoreUnavailable if the server
    cannot be reached, and asyncpg errors from a failing migration (its transaction is rolled back).
    """
    files = migration_files(directory or migrations_dir())
    try:
        conn = await asyncpg.connect(dsn, timeout=15)
    except (OSError, asyncpg.PostgresConnectionError, TimeoutError) as exc:
        raise StoreUnavailable(f"cannot connect to PostgreSQL for migrations: {exc}") from exc
    applied: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name TEXT PRIMARY KEY, checksum TEXT NOT NULL,"
                " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            done = {r["name"]: r["checksum"] for r in await conn.fetch("SELECT name, checksum FROM schema_migrations")}
            for name, checksum, sql in files:
                if name in done:
                    if done[name] != checksum:
                        raise MigrationError(
                            f"migration {name} changed after it was applied (checksum {done[name][:12]} in the "
                            f"database, {checksum[:12]} on disk); add a new numbered file instead of editing it"
                        )
                    continue
                async with conn.transaction():
                    await conn.execute(sql)
                    await conn.execute("INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)", name, checksum)
                applied.append(name)
                log.info("store.migration_applied", name=name)
        finally:
            # Closing the session releases the lock too; unlocking explicitly just frees it sooner.
            with contextlib.suppress(asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
                await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
    finally:
        await conn.close()
    return applied
