"""The embedded servers admit only the operator (issue 11 §1): no TCP listener, no connection
without credentials, none at all from another Unix user (even one holding the passwords); the
Redis ACL users can do only their part; the engine's PostgreSQL role is no superuser."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aioredis
from redis.exceptions import AuthenticationError, NoPermissionError

from arbees_engine.bus.client import BusClient
from arbees_engine.bus.messages import BusKeys, Command, CommandAction, utcnow
from arbees_engine.ops.embedded import PG_ENGINE_ROLE, EmbeddedPostgres, find_binary

IS_ROOT = os.geteuid() == 0


def _listening_tcp_inodes() -> set[str]:
    """Socket inodes in LISTEN state (st 0A) over IPv4 and IPv6 (proc(5): /proc/net/tcp)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":
                inodes.add(fields[9])
    return inodes


def _socket_inodes(pid: int) -> set[str]:
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target[8:-1])
    return found


def test_no_server_listens_on_tcp(pg_server, redis_server) -> None:
    listening = _listening_tcp_inodes()
    for server in (pg_server, redis_server):
        assert server.pid is not None
        assert not _socket_inodes(server.pid) & listening, f"{type(server).__name__} listens on TCP"


def _real_uid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line for pid {pid}")


@pytest.mark.skipif(not IS_ROOT, reason="as another user the servers run as that user")
def test_neither_server_runs_as_root(pg_server, redis_server) -> None:
    for server in (pg_server, redis_server):
        assert _real_uid(server.pid) == server.run_as.pw_uid != 0
        assert server.socket_dir.stat().st_uid == server.run_as.pw_uid


def test_socket_dirs_are_private(pg_server, redis_server) -> None:
    for server in (pg_server, redis_server):
        st = server.socket_dir.stat()
        assert st.st_mode & 0o777 == 0o700
        for path in server.secrets_dir.iterdir():
            assert path.stat().st_mode & 0o777 == 0o600 and path.stat().st_uid == os.geteuid()
        assert server.secrets_dir.stat().st_mode & 0o777 == 0o700


# ---- another Unix user ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def other_user(pg_server):
    """A Unix user that is neither us nor the PostgreSQL server's user (`nobody`, or a temporary one)."""
    server_user = pg_server.run_as.pw_name if pg_server.run_as else None
    if server_user != "nobody":
        yield pwd.getpwnam("nobody")
        return
    name = f"arbt{uuid.uuid4().hex[:8]}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", name], check=False)


def _as(user: pwd.struct_passwd, argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv,
        user=user.pw_uid,
        group=user.pw_gid,
        extra_groups=[],
        cwd="/",
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


_RAW_CONNECT = "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ntry:\n s.connect(sys.argv[1])\nexcept OSError as e:\n print(e.errno); sys.exit(1)\nprint('connected')"  # noqa: E501


@pytest.mark.skipif(not IS_ROOT, reason="switching to another Unix user needs root")
def test_another_unix_user_cannot_connect_even_with_the_passwords(pg_server, redis_server, other_user) -> None:
    psql = find_binary("psql", "postgresql", EmbeddedPostgres.BIN_DIRS)
    redis_cli = shutil.which("redis-cli")
    python = shutil.which("python3", path="/usr/bin:/bin")
    attempts: list[subprocess.CompletedProcess] = []
    for dsn in (pg_server.dsn_for("postgres"), pg_server.admin_dsn):
        attempts.append(_as(other_user, [str(psql), dsn, "-Atc", "SELECT 1"]))
    attempts.append(
        _as(
            other_user,
            [str(psql), "-h", str(pg_server.socket_dir), "-U", PG_ENGINE_ROLE, "-d", "postgres", "-Atc", "SELECT 1"],
            env={"PGPASSWORD": pg_server.engine_password},
        )
    )
    for user in ("engine", "operator", "readonly"):
        attempts.append(
            _as(
                other_user,
                [
                    redis_cli,
                    "-s",
                    str(redis_server.socket_path),
                    "--user",
                    user,
                    "--pass",
                    redis_server.password(user),
                    "--no-auth-warning",
                    "PING",
                ],
            )
        )
    for path in (pg_server.socket_path, redis_server.socket_path):
        attempts.append(_as(other_user, [python, "-c", _RAW_CONNECT, str(path)]))
    succeeded = [a for a in attempts if a.returncode == 0 or "PONG" in a.stdout or "connected" in a.stdout]
    print(f"{other_user.pw_name}: {len(succeeded)} of {len(attempts)} connection attempts succeeded")
    assert not succeeded, [a.args for a in succeeded]
    assert all("ermission denied" in a.stderr + a.stdout or a.stdout.strip() == "13" for a in attempts), [
        (a.stdout, a.stderr) for a in attempts
    ]


# ---- no credentials -------------------------------------------------------------------------
async def test_postgres_refuses_connections_without_the_password(pg_server) -> None:
    host = {"host": str(pg_server.socket_dir), "port": pg_server.port, "database": "postgres"}
    for user, password in ((PG_ENGINE_ROLE, ""), ("arbees", ""), (PG_ENGINE_ROLE, "wrong"), ("postgres", "")):
        with pytest.raises((asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)):
            await asyncpg.connect(user=user, password=password, **host)
    conn = await asyncpg.connect(pg_server.dsn)
    await conn.close()


async def test_redis_refuses_connections_without_credentials(redis_server) -> None:
    anonymous = aioredis.Redis(unix_socket_path=str(redis_server.socket_path))
    wrong = aioredis.Redis(unix_socket_path=str(redis_server.socket_path), username="engine", password="wrong")
    try:
        for client in (anonymous, wrong):
            with pytest.raises(AuthenticationError):
                await client.ping()
    finally:
        await anonymous.aclose()
        await wrong.aclose()


# ---- what each role may do ------------------------------------------------------------------
async def test_engine_role_is_no_superuser_and_cannot_run_programs(pg_dsn) -> None:
    conn = await asyncpg.connect(pg_dsn)
    try:
        assert await conn.fetchval("SELECT current_user") == PG_ENGINE_ROLE
        assert await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") is False
        # It ran the migrations: it owns the tables (nothing there needed a superuser).
        owners = await conn.fetch("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")
        assert [r["tableowner"] for r in owners] == [PG_ENGINE_ROLE]
        for sql in (
            "COPY (SELECT 1) TO PROGRAM 'id'",
            "SELECT pg_read_file('/etc/passwd')",
            "CREATE ROLE intruder SUPERUSER",
            "ALTER SYSTEM SET listen_addresses = '*'",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute(sql)
    finally:
        await conn.close()


async def test_operator_may_only_send_commands_and_read_the_view(redis_server, redis_url) -> None:
    db = int(redis_url.rsplit("db=", 1)[1])
    keys = BusKeys("acl")
    engine = aioredis.from_url(redis_url)
    await engine.hset(keys.snapshot, mapping={"last_event_id": "1-0"})
    await engine.xadd(keys.events, {"k": "x", "d": b"x"}, id="1-0")
    await engine.set(keys.heartbeat, b"hb")
    await engine.lpush(keys.audit, b"a")
    operator = BusClient(redis_server.url_for(db, "operator"), "acl")
    raw = operator.redis
    try:
        snap = await operator.load_snapshot()  # MULTI HGETALL LRANGE EXEC
        assert snap.last_event_id == "1-0"
        assert await operator.last_event_id() == "1-0"
        assert await raw.get(keys.heartbeat) == b"hb"
        assert await raw.xread({keys.events: "0-0"}, block=None)
        await operator.send_command(
            Command(command_id="c1", operator="op", issued_at=utcnow(), action=CommandAction.RESUME)
        )
        assert await engine.xlen(keys.commands) == 1
        denied = [
            lambda: raw.set(keys.heartbeat, b"forged"),
            lambda: raw.xadd(keys.events, {"d": b"forged"}),
            lambda: raw.hset(keys.snapshot, "x", b"forged"),
            lambda: raw.delete(keys.commands),
            lambda: raw.xrange(keys.commands),
            lambda: raw.xtrim(keys.commands, maxlen=0),
            lambda: raw.xreadgroup("g", "c", {keys.commands: ">"}),
            lambda: raw.flushdb(),
            lambda: raw.config_get("dir"),
            lambda: raw.keys("*"),
            lambda: raw.eval("return 1", 0),
            lambda: raw.xadd("other:key", {"d": b"x"}),
            lambda: raw.get("arbees:acl:elsewhere"),
        ]
        for attempt in denied:
            with pytest.raises(NoPermissionError):
                await attempt()
        assert await engine.get(keys.heartbeat) == b"hb" and await engine.xlen(keys.events) == 1
    finally:
        await operator.close()
        await engine.aclose()


async def test_readonly_reads_the_view_but_cannot_send_commands(redis_server, redis_url) -> None:
    db = int(redis_url.rsplit("db=", 1)[1])
    reader = BusClient(redis_server.url_for(db, "readonly"), "ro")
    try:
        await reader.load_snapshot()
        assert await reader.heartbeat() is None
        assert await reader.read_events("0-0", block_ms=None) == []
        with pytest.raises(NoPermissionError):
            await reader.send_command(
                Command(command_id="c1", operator="op", issued_at=utcnow(), action=CommandAction.KILL, reason="x")
            )
    finally:
        await reader.close()


async def test_engine_user_cannot_reconfigure_the_server(redis_url) -> None:
    engine = aioredis.from_url(redis_url)
    try:
        for attempt in (
            lambda: engine.config_set("dir", "/tmp"),
            lambda: engine.acl_list(),
            lambda: engine.execute_command("SHUTDOWN"),
            lambda: engine.execute_command("MODULE", "LIST"),
        ):
            with pytest.raises(NoPermissionError):
                await attempt()
    finally:
        await engine.aclose()


# ---- upgrades and restarts ------------------------------------------------------------------
async def test_a_cluster_without_passwords_is_retired_not_reused(open_dir) -> None:
    first = EmbeddedPostgres(open_dir / "pg")
    with first:
        conn = await asyncpg.connect(await first.create_database("old"))
        await conn.execute("CREATE TABLE kept (v int)")
        await conn.close()
    shutil.rmtree(first.secrets_dir)  # what a cluster made by an older Arbees (trust auth) looks like
    again = EmbeddedPostgres(open_dir / "pg")
    with again:
        retired = list(again.cluster_dir.parent.glob(f"{again.cluster_dir.name}.trust-*"))
        assert len(retired) == 1 and (retired[0] / "PG_VERSION").exists()  # kept aside, not deleted
        conn = await asyncpg.connect(again.dsn)
        try:
            assert await conn.fetchval("SELECT count(*) FROM pg_database WHERE datname = 'old'") == 0
        finally:
            await conn.close()
    shutil.rmtree(retired[0], ignore_errors=True)


async def test_restarted_redis_keeps_its_url_and_users(tmp_path) -> None:
    from arbees_engine.ops.embedded import EmbeddedRedis

    server = EmbeddedRedis(tmp_path / "redis", databases=2)
    with server:
        urls = server.role_urls(1)
    with server:
        assert server.role_urls(1) == urls
        for url in urls.values():
            client = aioredis.from_url(url)
            try:
                assert await client.ping()
            finally:
                await client.aclose()


@pytest.fixture
def open_dir():
    """A temp dir other users can traverse (the unprivileged postgres user must reach its cluster)."""
    path = Path(tempfile.mkdtemp(prefix="arbees-security-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)
