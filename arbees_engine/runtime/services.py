"""PostgreSQL and Redis for a run: the configured ones, or private embedded servers.

When `ARBEES_DATABASE_URL` / `ARBEES_REDIS_URL` are unset (a newcomer's machine), private
servers are started from the binaries on PATH with their data under the platformdirs user data
dir, and stopped on exit (issue 2 §13). Raises EmbeddedServerError / MissingBinaryError (which
names the Debian package to install) when that is impossible.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import structlog

from ..settings import Settings, data_dir
from .embedded import EmbeddedPostgres, EmbeddedRedis

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Services:
    """Connection URLs for the store and the bus, and whether they are embedded."""

    database_url: str
    redis_url: str
    embedded: bool


@contextlib.asynccontextmanager
async def services(settings: Settings, *, quiet: bool = False, fresh_book: bool = False) -> AsyncIterator[Services]:
    """Yield Services, starting embedded servers for whichever URL is not configured.

    fresh_book=True drops and recreates the embedded database (an empty book: `arbees demo`
    starts a new simulated world each run). Raises ValueError when a database URL is configured:
    an operator's own database is never dropped.
    """
    if fresh_book and settings.database_url is not None:
        raise ValueError("a fresh book drops the embedded database only; ARBEES_DATABASE_URL is set")
    async with contextlib.AsyncExitStack() as stack:
        db_url, redis_url = settings.database_url, settings.redis_url
        base = data_dir() / "embedded" / settings.instance
        if db_url is None:
            pg = stack.enter_context(EmbeddedPostgres(base / "postgres", fast=False))
            db_url = await pg.create_database("arbees", fresh=fresh_book)
            if not quiet:
                print(f"embedded PostgreSQL on 127.0.0.1:{pg.port} (data {pg.cluster_dir})", flush=True)
        if redis_url is None:
            rd = stack.enter_context(EmbeddedRedis(base / "redis"))
            redis_url = rd.url
            if not quiet:
                print(f"embedded Redis on 127.0.0.1:{rd.port}", flush=True)
        yield Services(db_url, redis_url, embedded=settings.database_url is None or settings.redis_url is None)
