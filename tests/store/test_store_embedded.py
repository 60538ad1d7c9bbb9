"""Embedded servers start, serve on a private Unix socket, stop cleanly; postgres never runs as root;
a vanished server surfaces as StoreUnavailable."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis

from arbees_engine.ops.embedded import EmbeddedPostgres, EmbeddedRedis, MissingBinaryError, find_binary
from arbees_engine.store import Store, StoreUnavailable


def _uid_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])  # real uid
    raise AssertionError(f"no Uid line for pid {pid}")


def _socket_open(path) -> bool:
    with socket.socket(socket.AF_UNIX) as sock:
        return sock.connect_ex(str(path)) == 0


@pytest.fixture
def open_dir() -> Path:
    """A temp dir other users can traverse (the unprivileged postgres user must reach it)."""
    path = Path(tempfile.mkdtemp(prefix="arbees-embedded-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_postmaster_never_runs_as_root(pg_server) -> None:
    uid = _uid_of(pg_server.pid)
    if os.geteuid() == 0:
        assert uid != 0
    else:
        assert uid == os.geteuid()


async def test_postgres_start_stop_restart_keeps_data(open_dir: Path) -> None:
    server = EmbeddedPostgres(open_dir / "pg")
    async with server:
        first_socket, pid = server.socket_path, server.pid
        conn = await asyncpg.connect(await server.create_database("keep"))
        await conn.execute("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")
        await conn.close()
    assert server.pid is None
    assert not Path(f"/proc/{pid}").exists()
    assert not _socket_open(first_socket)
    async with server:  # reuses the cluster: no second initdb
        conn = await asyncpg.connect(server.dsn_for("keep"))
        assert await conn.fetchval("SELECT v FROM kept") == 42
        await conn.close()
    assert server.pid is None


async def test_fresh_database_is_empty_even_with_a_session_open(pg_server) -> None:
    conn = await asyncpg.connect(await pg_server.create_database("fresh_book"))
    await conn.execute("CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)")
    dsn = await pg_server.create_database("fresh_book", fresh=True)  # FORCE closes `conn`
    assert conn.is_closed() or not await _still_usable(conn)
    again = await asyncpg.connect(dsn)
    try:
        assert await again.fetchval("SELECT count(*) FROM pg_tables WHERE tablename = 'kept'") == 0
    finally:
        await again.close()


async def _still_usable(conn) -> bool:
    try:
        await conn.fetchval("SELECT 1")
        return True
    except (asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError):
        return False


async def test_store_reports_unavailable_when_server_goes_away(open_dir: Path) -> None:
    server = EmbeddedPostgres(open_dir / "pg")
    server.start()
    try:
        store = await Store.connect(await server.create_database("gone"))
        assert await store.ping()
    finally:
        server.stop()
    with pytest.raises(StoreUnavailable):
        await store.ping()
    await store.close()
    with pytest.raises(StoreUnavailable):
        await Store.connect(server.dsn_for("gone"))


def test_unreachable_data_dir_as_root_moves_cluster(tmp_path: Path) -> None:
    tmp_path.chmod(0o700)
    server = EmbeddedPostgres(tmp_path / "pg")
    if os.geteuid() == 0:  # the postgres user cannot pass a 0700 root-owned dir: a private /var/tmp dir
        assert server.cluster_dir.parent.parent == Path("/var/tmp")
        shutil.rmtree(server.cluster_dir.parent)
    else:
        assert server.cluster_dir == tmp_path / "pg" / "pgdata"


async def test_redis_start_ping_stop(open_dir: Path) -> None:
    server = EmbeddedRedis(open_dir / "redis", databases=4)
    async with server:
        client = aioredis.from_url(server.url_for(3))
        assert await client.ping()
        await client.aclose()
        sock, pid = server.socket_path, server.pid
    assert not Path(f"/proc/{pid}").exists()
    assert not _socket_open(sock)


async def test_redis_url_fixture_gives_an_empty_private_db(redis_url: str, redis_server) -> None:
    assert redis_url.startswith("unix://engine:") and f"@{redis_server.socket_path}?db=" in redis_url
    client = aioredis.from_url(redis_url)
    try:
        assert await client.dbsize() == 0
        await client.set("k", "v")
        assert await client.get("k") == b"v"
    finally:
        await client.aclose()


def test_missing_binary_names_the_debian_package() -> None:
    with pytest.raises(MissingBinaryError, match=r"apt-get install -y postgresql"):
        find_binary("arbees-no-such-binary", "postgresql", ("/nonexistent/*/bin",))
    assert find_binary("redis-server", "redis-server").name == "redis-server"


async def test_postmaster_left_by_a_killed_run_is_stopped_on_start(open_dir: Path) -> None:
    crashed = EmbeddedPostgres(open_dir / "pg")
    crashed.start()
    orphan, crashed.proc = crashed.proc, None  # forget it, as a SIGKILLed demo would: postgres keeps running
    restarted = EmbeddedPostgres(open_dir / "pg")
    with restarted:
        assert orphan.wait(timeout=5) == 0  # the old postmaster was shut down (fast, clean exit)
        assert restarted.pid != orphan.pid
        conn = await asyncpg.connect(restarted.dsn)
        assert await conn.fetchval("SELECT 1") == 1
        await conn.close()
    crashed.stop()  # unregisters its atexit hook; nothing left to stop
