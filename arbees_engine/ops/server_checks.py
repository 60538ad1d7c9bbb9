"""Before a LIVE engine trades, prove its servers admit only holders of credentials.

Refused (InsecureServer, with the reason and the fix):
- a Redis that answers a connection made without the URL's user name and password (no ACL or
  `requirepass`: anyone who reaches it could XADD to the commands stream);
- a PostgreSQL where the DSN's role connects without a password (trust, or peer/ident on a local
  socket), or whose role is a superuser or may run server programs (`COPY ... TO PROGRAM`,
  role pg_execute_server_program: OS command execution).
Paper trading runs on any servers; the embedded ones pass (ops/embedded.py).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

import structlog

from ..redact import mask_url

log = structlog.get_logger(__name__)


class InsecureServer(RuntimeError):
    """A server a live engine must not trust with real money; the message says why and what to do."""


def without_credentials(url: str) -> str:
    """`url` with its user name, password and any `password=` query parameter removed."""
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k.lower() not in ("password", "user", "username")
        ]
    )
    # Not urlunsplit: it drops the "//" of an empty host (unix:///path, postgresql:///db?host=...).
    return f"{parts.scheme}://{host}{parts.path}" + (f"?{query}" if query else "")


async def check_redis(url: str) -> None:
    """Raise InsecureServer if Redis at `url` serves a connection made without credentials."""
    import redis.asyncio as aioredis
    from redis.exceptions import AuthenticationError, ResponseError

    anonymous = aioredis.Redis.from_url(without_credentials(url), socket_connect_timeout=2.0, socket_timeout=5.0)
    try:
        await anonymous.ping()
    except AuthenticationError:
        return  # NOAUTH: credentials are required
    except ResponseError as exc:
        if "NOAUTH" in str(exc) or "authenticated" in str(exc):
            return
        raise
    finally:
        await anonymous.aclose()
    raise InsecureServer(
        f"Redis at {mask_url(url)} accepts connections without a password: anyone who reaches it "
        "can send commands to the engine. Turn the `default` user off and give the engine its own "
        "ACL user (README: Security), then put user and password in ARBEES_REDIS_URL"
    )


async def check_postgres(dsn: str) -> None:
    """Raise InsecureServer if the DSN's role connects without its password or is too powerful."""
    import asyncpg

    try:
        conn = await asyncpg.connect(without_credentials(dsn), user=urlsplit(dsn).username, password="", timeout=5)
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError):
        pass  # a password is demanded
    except asyncpg.PostgresError as exc:
        if "password" not in str(exc).lower():
            raise
    else:
        await conn.close()
        raise InsecureServer(
            f"PostgreSQL at {mask_url(dsn)} lets its role in without a password (trust or peer "
            "auth): use scram-sha-256 in pg_hba.conf for this role (README: Security)"
        )
    conn = await asyncpg.connect(dsn, timeout=5)
    try:
        row = await conn.fetchrow(
            "SELECT rolsuper, pg_has_role(current_user, 'pg_execute_server_program', 'USAGE') "
            "AS programs FROM pg_roles WHERE rolname = current_user"
        )
    finally:
        await conn.close()
    if row is None or row["rolsuper"] or row["programs"]:
        raise InsecureServer(
            f"PostgreSQL role of {mask_url(dsn)} is a superuser or may run server programs "
            "(COPY ... TO PROGRAM): connect as a role that only owns the Arbees database "
            "(README: Security)"
        )


async def check_live_servers(database_url: str, redis_url: str) -> None:
    """Both checks; raises InsecureServer on the first failure, logs `live.servers_ok` otherwise."""
    await check_redis(redis_url)
    await check_postgres(database_url)
    log.warning("live.servers_ok", database=mask_url(database_url), redis=mask_url(redis_url))
