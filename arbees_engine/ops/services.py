"""PostgreSQL and Redis for a run: the configured ones, or private embedded servers.

When `ARBEES_DATABASE_URL` / `ARBEES_REDIS_URL` are unset (a newcomer's machine), private
servers are started from the binaries on PATH with their data under the platformdirs user data
dir, and stopped on exit (issue 2 §13). They listen on Unix sockets in 0700 directories and
demand passwords (ops/embedded.py). Raises EmbeddedServerError / MissingBinaryError (which
names the Debian package to install) when that is impossible.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import structlog

from ..redact import mask_url
from ..settings import Settings, data_dir
from .embedded import EmbeddedPostgres, EmbeddedRedis

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Services:
    """Connection URLs for the store and the bus, and whether they are embedded.

    database_url / redis_url: what the engine connects with (engine role / ACL user).
    redis_role_urls: for an embedded Redis, {"engine", "operator", "readonly"} → URL (what the
    discovery file hands to `status`, `kill` and the desk); empty for a configured Redis.
    """

    database_url: str
    redis_url: str
    embedded: bool
    redis_role_urls: dict[str, str] = field(default_factory=dict)


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
        db_url, redis_url = settings.configured_database_url(), settings.configured_redis_url()
        role_urls: dict[str, str] = {}
        base = data_dir() / "embedded" / settings.instance
        if db_url is None:
            pg = stack.enter_context(EmbeddedPostgres(base / "postgres", fast=False))
            db_url = await pg.create_database("arbees", fresh=fresh_book)
            if not quiet:
                print(f"embedded PostgreSQL on {pg.socket_path} (data {pg.cluster_dir})", flush=True)
        if redis_url is None:
            rd = stack.enter_context(EmbeddedRedis(base / "redis"))
            role_urls = rd.role_urls()
            redis_url = role_urls["engine"]
            if not quiet:
                print(f"embedded Redis on {rd.socket_path}", flush=True)
        log.info("services", database=mask_url(db_url), redis=mask_url(redis_url))
        yield Services(
            db_url,
            redis_url,
            embedded=settings.database_url is None or settings.redis_url is None,
            redis_role_urls=role_urls,
        )
