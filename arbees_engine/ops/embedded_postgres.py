"""A private PostgreSQL cluster: Unix socket in a 0700 directory, SCRAM-SHA-256 passwords only.

Roles (https://www.postgresql.org/docs/current/role-attributes.html):
- `arbees` (PG_SUPERUSER), made by initdb: administration only (creating/dropping databases).
- `arbees_engine` (PG_ENGINE_ROLE): LOGIN, no SUPERUSER/CREATEDB/CREATEROLE; owns every database
  `create_database` makes (so its `public` schema, PostgreSQL 15+) and runs the migrations. Being
  no superuser it cannot `COPY ... TO PROGRAM` (needs pg_execute_server_program) or read server files.
Both passwords are generated on first start and kept in `<data_dir>/secrets/*.password` (0600,
owned by the caller). The server only ever sees a SCRAM verifier of the engine password, never
the password itself (`scram_verifier`). pg_hba.conf is rewritten at every start to one line:
`local all all scram-sha-256` (no TCP: listen_addresses is empty; trust is never used).

Which directory holds the cluster, and the checks that refuse one Arbees did not make (a planted
postgresql.conf) or retire one an older Arbees made with trust auth: pg_cluster_dir.py.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import concurrent.futures
import hashlib
import hmac
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import structlog

from ..secret_files import secret
from .embedded_server import (
    EmbeddedServerError,
    _log_tail,
    _open_private_log,
    _pid_alive,
    _Service,
    _socket_open,
    _stop_process,
    find_binary,
    private_socket_dir,
    unprivileged_user,
)
from .pg_cluster_dir import ClusterDir, choose_cluster_dir, own_for_server

log = structlog.get_logger(__name__)

PG_SUPERUSER = "arbees"
PG_ENGINE_ROLE = "arbees_engine"
#: Only names the socket file (.s.PGSQL.5432): there is no TCP listener to collide with.
PG_SOCKET_PORT = 5432
_HBA = "# Written by Arbees at every start: Unix socket only, SCRAM passwords only.\nlocal all all scram-sha-256\n"


def scram_verifier(password: str, *, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password`:
    `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>` (base64 parts), per RFC 5802 §3 /
    RFC 7677 and PostgreSQL's src/common/scram-common.c. `ALTER ROLE ... PASSWORD '<verifier>'`
    sets it without the server ever seeing the password."""
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")
    b64 = lambda raw: base64.b64encode(raw).decode()  # noqa: E731
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def _run_coroutine(factory) -> object:
    """Run `factory()` (a coroutine) to completion on a private loop in a worker thread: start()
    is synchronous and may be called from inside a running event loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, factory()).result(timeout=60)


class EmbeddedPostgres(_Service):
    """A private PostgreSQL cluster under `data_dir`, reachable only through a Unix socket in a 0700
    directory with a password (module docstring).

    data_dir: directory owned by the caller; the cluster lives in `data_dir/pgdata`, the server
      log in `data_dir/postgres.log`, the passwords in `data_dir/secrets/`. An existing cluster
      there is reused (demo restarts).
    fast: turn off fsync/synchronous_commit/full_page_writes (tests; data may be lost on a crash).
    max_connections: server connection limit.
    start_timeout_s: deadline for initdb + readiness; EmbeddedServerError after it.
    Raises MissingBinaryError if initdb/postgres are not installed (Debian package `postgresql`).
    """

    BIN_DIRS = ("/usr/lib/postgresql/*/bin", "/usr/local/bin", "/usr/local/pgsql/bin")

    def __init__(
        self, data_dir: Path | str, *, fast: bool = True, max_connections: int = 300, start_timeout_s: float = 60.0
    ) -> None:
        self.data_dir = Path(data_dir)
        self.fast = fast
        self.max_connections = max_connections
        self.start_timeout_s = start_timeout_s
        self.port = PG_SOCKET_PORT
        self.log_path = self.data_dir / "postgres.log"
        self.secrets_dir = self.data_dir / "secrets"
        self.socket_dir: Path | None = None
        self.run_as = unprivileged_user() if os.geteuid() == 0 else None
        self.cluster_dir = choose_cluster_dir(self.data_dir, self.run_as)

    # -- secrets ------------------------------------------------------------------------------
    @property
    def superuser_password(self) -> str:
        """Password of PG_SUPERUSER (admin only), from `secrets/postgres-superuser.password`."""
        return secret(self.secrets_dir / "postgres-superuser.password", "PostgreSQL superuser password file")

    @property
    def engine_password(self) -> str:
        """Password of PG_ENGINE_ROLE, from `secrets/postgres-engine.password`."""
        return secret(self.secrets_dir / "postgres-engine.password", "PostgreSQL engine password file")

    # -- process plumbing -------------------------------------------------------------------
    def _popen_kwargs(self) -> dict[str, object]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", LANG="C")
        kwargs: dict[str, object] = {"env": env, "cwd": "/", "start_new_session": True}
        if self.run_as is not None:
            kwargs.update(user=self.run_as.pw_uid, group=self.run_as.pw_gid, extra_groups=[])
            env["HOME"] = self.run_as.pw_dir
        return kwargs

    def _own(self, path: Path, mode: int = 0o700) -> None:
        own_for_server(path, self.run_as, mode)

    def _cluster(self) -> ClusterDir:
        """The checks on `cluster_dir` as it is now (tests point it elsewhere after construction)."""
        return ClusterDir(self.cluster_dir, self.data_dir, self.secrets_dir, self.run_as)

    def _cluster_token(self) -> str:
        """The cluster id the marker must match (`secrets/postgres-cluster.id`, made on first use)."""
        return self._cluster().token()

    def _initdb(self) -> None:
        cluster = self._cluster()
        cluster.retire_trust_cluster()
        if cluster.reusable():
            return
        initdb = find_binary("initdb", "postgresql", self.BIN_DIRS)
        self._own(self.cluster_dir)
        pw_dir = Path(tempfile.mkdtemp(prefix="arbees-pgpw-"))
        try:
            self._own(pw_dir)
            pwfile = pw_dir / "pw"
            fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(self.superuser_password + "\n")
            self._own(pwfile, 0o600)
            cmd = [
                str(initdb),
                "-D",
                str(self.cluster_dir),
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "-U",
                PG_SUPERUSER,
                "-E",
                "UTF8",
                "--locale=C",
                "--no-instructions",
            ]
            if self.fast:
                cmd.append("--no-sync")
            result = subprocess.run(cmd, capture_output=True, timeout=self.start_timeout_s, **self._popen_kwargs())
        finally:
            shutil.rmtree(pw_dir, ignore_errors=True)
        if result.returncode != 0:
            raise EmbeddedServerError(f"initdb failed ({result.returncode}): {result.stderr.decode(errors='replace')}")
        cluster.write_marker()

    def _write_hba(self) -> None:
        hba = self.cluster_dir / "pg_hba.conf"
        hba.write_text(_HBA)
        self._own(hba, 0o600)

    def _server_cmd(self) -> list[str]:
        postgres = find_binary("postgres", "postgresql", self.BIN_DIRS)
        cmd = [
            str(postgres),
            "-D",
            str(self.cluster_dir),
            "-p",
            str(self.port),
            "-k",
            str(self.socket_dir),
            "-c",
            "listen_addresses=",
            "-c",
            "unix_socket_permissions=0700",
            "-c",
            "password_encryption=scram-sha-256",
            "-c",
            f"max_connections={self.max_connections}",
        ]
        if self.fast:
            for setting in ("fsync=off", "synchronous_commit=off", "full_page_writes=off"):
                cmd += ["-c", setting]
        return cmd

    @property
    def socket_path(self) -> Path | None:
        """The server's Unix socket (`<socket_dir>/.s.PGSQL.5432`), None before the first start."""
        return self.socket_dir / f".s.PGSQL.{self.port}" if self.socket_dir else None

    def _ready(self) -> bool:
        try:
            lines = (self.cluster_dir / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return len(lines) >= 8 and lines[7].strip() == "ready" and _socket_open(self.socket_path)

    def _stop_orphan(self) -> None:
        """Stop a postmaster left running on this cluster by a killed earlier run (else start fails)."""
        try:
            pid = int((self.cluster_dir / "postmaster.pid").read_text().splitlines()[0])
            # The postmaster chdirs into its data dir: a reused pid belonging to anything else won't match.
            alive = os.readlink(f"/proc/{pid}/cwd") == str(self.cluster_dir.resolve())
        except (OSError, ValueError, IndexError):
            return
        if not alive:
            return
        log.warning("embedded.pg.orphan_stopped", pid=pid, cluster=str(self.cluster_dir))
        os.kill(pid, signal.SIGINT)  # fast shutdown
        deadline = time.monotonic() + 30
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def start(self) -> None:
        """initdb if needed, start postgres, wait until it accepts connections, make sure the engine
        role exists with the password on file.

        Raises MissingBinaryError, or EmbeddedServerError (with the server log's tail) if the
        server exits or is not ready within `start_timeout_s`, or (server stopped) if its watchdog
        cannot be launched.
        """
        if self.pid is not None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._stop_orphan()
        self._initdb()
        self._write_hba()
        self.socket_dir = private_socket_dir("arbees-pgsock-", self.socket_dir, self.run_as)
        with _open_private_log(self.log_path) as log_file:
            self.proc = subprocess.Popen(
                self._server_cmd(),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                **self._popen_kwargs(),
            )
        self._watch(signal.SIGINT, 30, (self.socket_dir,))
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline and self.proc.poll() is None and not self._ready():
            time.sleep(0.05)
        if self.proc.poll() is None and self._ready():
            atexit.register(self.stop)
            try:
                _run_coroutine(self._ensure_engine_role)
            except Exception as exc:
                self.stop()
                raise EmbeddedServerError(f"could not set up role {PG_ENGINE_ROLE} ({exc}); server stopped") from exc
            log.info(
                "embedded.pg.started", socket=str(self.socket_path), pid=self.proc.pid, cluster=str(self.cluster_dir)
            )
            return
        last_error = _log_tail(self.log_path)
        self.stop()  # removes the socket dir
        raise EmbeddedServerError(f"postgres did not become ready; log tail:\n{last_error}")

    async def _ensure_engine_role(self) -> None:
        import asyncpg  # local: keeps the module importable without the driver

        conn = await asyncpg.connect(self.admin_dsn)
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", PG_ENGINE_ROLE)
            verb = "ALTER" if exists else "CREATE"
            verifier = scram_verifier(self.engine_password)  # base64 + '$:': no quote can occur
            await conn.execute(
                f"{verb} ROLE {PG_ENGINE_ROLE} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                f"NOREPLICATION NOBYPASSRLS PASSWORD '{verifier}'"
            )
        finally:
            await conn.close()

    def stop(self) -> None:
        """Fast shutdown (SIGINT to the postmaster), wait for exit; idempotent. The socket
        directory is removed; its path is remembered so a restart reuses it when it can."""
        atexit.unregister(self.stop)
        if self.proc is not None:
            _stop_process(self.proc, signal.SIGINT, 30)
            self.proc = None
        self._unwatch()
        if self.socket_dir is not None:
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    def _dsn(self, user: str, password: str, database: str) -> str:
        if self.socket_dir is None:
            raise EmbeddedServerError("postgres is not started")
        return (
            f"postgresql://{user}:{quote(password, safe='')}@/{database}"
            f"?host={quote(str(self.socket_dir))}&port={self.port}"
        )

    def dsn_for(self, database: str) -> str:
        """DSN of `database` as the engine role:
        postgresql://arbees_engine:<password>@/<database>?host=<socket dir>&port=5432."""
        return self._dsn(PG_ENGINE_ROLE, self.engine_password, database)

    def admin_dsn_for(self, database: str) -> str:
        """DSN of `database` as the superuser (creating/dropping databases only)."""
        return self._dsn(PG_SUPERUSER, self.superuser_password, database)

    @property
    def dsn(self) -> str:
        """Engine DSN of the maintenance database `postgres`."""
        return self.dsn_for("postgres")

    @property
    def admin_dsn(self) -> str:
        """Superuser DSN of the maintenance database `postgres`."""
        return self.admin_dsn_for("postgres")

    url = dsn

    async def create_database(self, name: str, *, template: str | None = None, fresh: bool = False) -> str:
        """Create database `name` owned by the engine role (optionally `TEMPLATE template`) unless it
        exists; return its engine DSN.

        fresh=True drops an existing `name` first (its sessions are closed: `DROP DATABASE ... WITH
        (FORCE)`, PostgreSQL 13+), so the caller starts from an empty database.
        Names must be plain identifiers ([a-z_][a-z0-9_]*). Raises ValueError otherwise.
        """
        import asyncpg  # local: keeps the module importable without the driver

        for ident in (name, template):
            if ident is not None and not (ident.isidentifier() and ident.isascii() and ident == ident.lower()):
                raise ValueError(f"database name {ident!r} is not a plain lower-case identifier")
        conn = await asyncpg.connect(self.admin_dsn)
        try:
            if fresh:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                suffix = f' TEMPLATE "{template}"' if template else ""
                await conn.execute(f'CREATE DATABASE "{name}" OWNER {PG_ENGINE_ROLE}{suffix}')
        finally:
            await conn.close()
        return self.dsn_for(name)
