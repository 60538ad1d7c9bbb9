"""Shared pytest fixtures: private PostgreSQL and Redis servers on 127.0.0.1.

Stable fixture names other test packages rely on:
  pg_server     (session)  EmbeddedPostgres, started once per test session in a temp dir: Unix
                           socket only, SCRAM passwords; `admin_dsn` is the superuser's.
  redis_server  (session)  EmbeddedRedis, started once per test session: Unix socket only, ACL
                           users engine/operator/readonly (`url_for(db, user)`).
  pg_dsn        (function) DSN of a fresh, fully migrated database for this test. Made by
                           `CREATE DATABASE ... TEMPLATE arbees_template` (migrated once per
                           session; about 15 ms), dropped WITH (FORCE) after the test.
  redis_url     (function) unix://engine:<pw>@<socket>?db=<n>: a logical database of its own for this test
                           (flushed before use). Pub/sub channels are server-wide, not per database,
                           so tests using pub/sub should use unique channel names.
  store         (function) a connected `arbees_engine.store.Store` on pg_dsn, closed afterwards.
  shared_dir    (session)  Path of the shared read-only material (<repo root>/../shared).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from harness import _REDIS_DATABASES, TEMPLATE_DB, fresh_database, fresh_redis_db
from hypothesis import settings as hypothesis_settings

from arbees_engine.ops.embedded import EmbeddedPostgres, EmbeddedRedis
from arbees_engine.store import Store, migrate

REPO_ROOT = Path(__file__).resolve().parents[1]


# Property tests: the same examples on every run in CI ("ci", reproducible: a red build is a real
# bug, never a lucky draw); HYPOTHESIS_PROFILE=explore searches fresh random examples.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.register_profile("explore", derandomize=False, max_examples=1000)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """<repo root>/../shared: recorded fixtures, historical data, design notes (read-only)."""
    return REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def _server_root() -> Iterator[Path]:
    # mkdtemp makes a 0700 dir; 0755 lets the unprivileged postgres user reach its cluster under it.
    root = Path(tempfile.mkdtemp(prefix="arbees-test-servers-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server(_server_root: Path) -> Iterator[EmbeddedPostgres]:
    """One private PostgreSQL for the whole session, with the migrated template database."""
    server = EmbeddedPostgres(_server_root / "postgres", fast=True)
    server.start()
    try:
        # In a worker thread: asyncio.run must not meet an event loop already running in this thread.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _build_template(server)).result(timeout=120)
        yield server
    finally:
        server.stop()


async def _build_template(server: EmbeddedPostgres) -> None:
    dsn = await server.create_database(TEMPLATE_DB)
    await migrate(dsn)
    # No connections to the template: otherwise autovacuum visits it and each CREATE DATABASE
    # waits for that worker to leave (100-300 ms per test).
    admin = await asyncpg.connect(server.admin_dsn)
    try:
        await admin.execute(f'ALTER DATABASE "{TEMPLATE_DB}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def redis_server(_server_root: Path) -> Iterator[EmbeddedRedis]:
    """One private Redis for the whole session (no persistence)."""
    server = EmbeddedRedis(_server_root / "redis", databases=_REDIS_DATABASES)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def pg_dsn(pg_server: EmbeddedPostgres) -> AsyncIterator[str]:
    """DSN of a fresh database holding every migration, private to this test."""
    async with fresh_database(pg_server) as dsn:
        yield dsn


@pytest.fixture
def redis_url(redis_server: EmbeddedRedis) -> str:
    """URL of an empty logical Redis database private to this test."""
    return fresh_redis_db(redis_server)


@pytest.fixture
async def store(pg_dsn: str) -> AsyncIterator[Store]:
    """A connected Store on this test's fresh database."""
    connected = await Store.connect(pg_dsn)
    try:
        yield connected
    finally:
        await connected.close()
