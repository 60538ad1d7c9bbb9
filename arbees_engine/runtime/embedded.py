"""Private PostgreSQL and Redis servers on 127.0.0.1, started from installed binaries.

Used by the pytest harness (one server per test session) and by `arbees demo` (data kept in the
platformdirs user data dir). Nothing here talks to any address but 127.0.0.1.

PostgreSQL refuses to run as root (https://www.postgresql.org/docs/current/server-start.html),
so when the current process is root, initdb and postgres run as the `postgres` system user if it
exists, else `nobody`, and the cluster directory is owned by that user.

Readiness is polled with a bounded deadline: postgres is ready once its `postmaster.pid` status
line reads "ready" (what `pg_ctl -w` waits for; see src/include/utils/pidfile.h) and its TCP port
accepts a connection; redis once it answers PING with +PONG.

Each server gets a watchdog process (`_Watchdog`) so that it does not outlive the process that
started it, even when that process is SIGKILLed (atexit does not run then). Neither server can
watch its parent itself, and PR_SET_PDEATHSIG is tied to the creating *thread* (prctl(2): the
signal fires when that thread exits), while servers are often started from worker threads
(`async with`, `asyncio.to_thread`). The watchdog holds the read end of a pipe whose only write
end this process holds (non-inheritable, PEP 446): EOF on it means this process is gone.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import glob
import hashlib
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

#: Role created by initdb; every DSN this module hands out connects as it (trust auth, loopback).
PG_SUPERUSER = "arbees"
_START_ATTEMPTS = 3  # a free port can be taken between probing it and the server binding it


class EmbeddedServerError(RuntimeError):
    """A private server could not be set up, started or stopped; the message says why."""


class MissingBinaryError(EmbeddedServerError):
    """A server binary is not installed; the message names the Debian package providing it."""


def find_binary(name: str, package: str, extra_dirs: tuple[str, ...] = ()) -> Path:
    """Locate executable `name` on PATH, then in `extra_dirs` (glob patterns allowed).

    Returns the first match. Raises MissingBinaryError naming the Debian `package`
    (e.g. "postgresql", "redis-server") when it is nowhere to be found.
    """
    found = shutil.which(name)
    if found:
        return Path(found)
    for pattern in extra_dirs:
        for directory in sorted(glob.glob(pattern), reverse=True):  # newest version first
            candidate = Path(directory) / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    raise MissingBinaryError(
        f"{name} not found on PATH or in {', '.join(extra_dirs) or 'no extra dirs'}; "
        f"install it with `apt-get install -y {package}` (Debian/Ubuntu package {package!r})"
    )


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _pid_alive(pid: int) -> bool:
    """True if `pid` exists and is not a zombie (state from /proc/<pid>/stat, see proc(5))."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat_line.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop_process(proc: subprocess.Popen[bytes], first_signal: int, timeout_s: float) -> None:
    """Send `first_signal` to the process group, wait, then escalate to SIGKILL."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, first_signal)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        log.warning("embedded.kill", pid=proc.pid, after_s=timeout_s)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


# Run by `_Watchdog` as `python -I -S -c _WATCHDOG_CODE PID FIRST_SIGNAL GRACE_S STARTTIME` (stdlib only).
# stdin: one byte = disarmed (the server was stopped by its owner), EOF = the owner died. Then it
# signals the server's process group (the server leads it: start_new_session), waits `GRACE_S`
# for the leader to go and escalates to SIGKILL. STARTTIME (/proc/PID/stat field 22, proc(5))
# proves PID still is the server, not a later process that reused the pid.
_WATCHDOG_CODE = r"""
import os, signal, sys, time
pid, first, grace, started = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
def server_alive():
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[19] == started and fields[0] not in ("Z", "X")
if os.read(0, 1) or not server_alive():
    sys.exit(0)
try:
    os.killpg(pid, first)
except ProcessLookupError:
    sys.exit(0)
deadline = time.monotonic() + grace
while server_alive() and time.monotonic() < deadline:
    time.sleep(0.05)
if server_alive():
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
"""


def _start_time(pid: int) -> str:
    """Start time of `pid` in clock ticks since boot (/proc/<pid>/stat field 22, proc(5)); "" if gone
    (or where there is no /proc/<pid>/stat: not Linux)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[19]
    except (OSError, IndexError):
        return ""


@functools.cache
def _warn_unwatched() -> None:
    """Log once per process that servers are not watched here: without /proc/<pid>/stat a watchdog
    cannot prove a pid still is its server, so a server outlives a SIGKILLed owner on this platform."""
    log.warning("embedded.unwatched", platform=sys.platform,
                reason="no /proc/<pid>/stat: servers are not watched on this platform and outlive a killed owner")


class _Watchdog:
    """A helper process that stops server `pid` (its process group) if this process dies first.

    first_signal/grace_s: the server's own clean-shutdown signal and how long to wait for it
    before SIGKILL. The helper runs in a session of its own, so a kill of this process's group
    does not take it along. `disarm()` (from the owner's `stop()`) makes it exit doing nothing.
    A child forked from this process without exec keeps the pipe open: the server then lives
    until that child exits too.
    """

    def __init__(self, pid: int, first_signal: int, grace_s: float) -> None:
        cmd = [sys.executable, "-I", "-S", "-c", _WATCHDOG_CODE, str(pid), str(int(first_signal)), str(grace_s),
               _start_time(pid)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, cwd="/", start_new_session=True)

    def disarm(self) -> None:
        """Tell the helper the server was stopped on purpose and wait for it to exit (≤ 5 s, then SIGKILL)."""
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.write(b"x")
                self.proc.stdin.close()
            except OSError:
                pass  # it already exited
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


class _Service:
    """Shared start/stop plumbing: sync `start()`/`stop()`, sync and async context managers."""

    proc: subprocess.Popen[bytes] | None = None
    _watchdog: _Watchdog | None = None

    def _watch(self, first_signal: int, grace_s: float) -> None:
        """Arm a watchdog that stops `self.proc` with `first_signal` (then SIGKILL after `grace_s`)
        should this process die without calling `stop()`. Where /proc is unreadable (not Linux) no
        watchdog is started and a warning is logged once (`_warn_unwatched`).

        Raises EmbeddedServerError when the watchdog cannot be launched (EMFILE, ENOMEM, ...): the
        server is stopped first (`stop()`), never left running unwatched."""
        self._unwatch()
        if self.proc is None:
            return
        if not _start_time(os.getpid()):  # our own stat unreadable: no /proc on this platform
            _warn_unwatched()
            return
        try:
            self._watchdog = _Watchdog(self.proc.pid, first_signal, grace_s)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the server must not run unwatched
            pid = self.proc.pid
            log.error("embedded.watchdog_failed", pid=pid, error=repr(exc))
            self.stop()
            raise EmbeddedServerError(f"could not launch the watchdog of server pid {pid} ({exc!r}); "
                                      "the server was stopped") from exc

    def _unwatch(self) -> None:
        """Disarm the watchdog, if any (call once the server is stopped)."""
        if self._watchdog is not None:
            self._watchdog.disarm()
            self._watchdog = None

    def start(self) -> None:  # pragma: no cover - overridden
        """Start the server and wait until it serves; no-op if already running."""
        raise NotImplementedError

    def stop(self) -> None:  # pragma: no cover - overridden
        """Stop the server and wait for it to exit; no-op if not running."""
        raise NotImplementedError

    @property
    def pid(self) -> int | None:
        """Server process id while running, else None."""
        return self.proc.pid if self.proc and self.proc.poll() is None else None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self):
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)


class EmbeddedPostgres(_Service):
    """A private PostgreSQL cluster under `data_dir` listening on 127.0.0.1:<free port>.

    data_dir: directory owned by the caller; the cluster lives in `data_dir/pgdata`, the server
      log in `data_dir/postgres.log`. An existing cluster there is reused (demo restarts).
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
        self.port: int | None = None
        self.log_path = self.data_dir / "postgres.log"
        self._socket_dir: Path | None = None
        self._run_as = self._unprivileged_user() if os.geteuid() == 0 else None
        self.cluster_dir = self._choose_cluster_dir()

    @staticmethod
    def _unprivileged_user() -> pwd.struct_passwd:
        for name in ("postgres", "nobody"):
            try:
                return pwd.getpwnam(name)
            except KeyError:
                continue
        raise EmbeddedServerError("running as root but neither a 'postgres' nor a 'nobody' user exists")

    def _choose_cluster_dir(self) -> Path:
        """`data_dir/pgdata`, or (as root, when the server user cannot reach it) a /var/tmp twin."""
        wanted = self.data_dir / "pgdata"
        if self._run_as is None or self._traversable(self.data_dir):
            return wanted
        digest = hashlib.sha1(str(wanted.resolve()).encode()).hexdigest()[:12]
        fallback = Path("/var/tmp") / f"arbees-pg-{digest}"
        log.warning("embedded.pg.cluster_fallback", wanted=str(wanted), using=str(fallback))
        return fallback

    @staticmethod
    def _traversable(path: Path) -> bool:
        """True if every existing ancestor of `path` lets other users pass through (o+x)."""
        for ancestor in [path.resolve(), *path.resolve().parents]:
            if ancestor.exists() and not ancestor.stat().st_mode & stat.S_IXOTH:
                return False
        return True

    # -- process plumbing -------------------------------------------------------------------
    def _popen_kwargs(self) -> dict[str, object]:
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        kwargs: dict[str, object] = {"env": env, "cwd": "/", "start_new_session": True}
        if self._run_as is not None:
            kwargs.update(user=self._run_as.pw_uid, group=self._run_as.pw_gid, extra_groups=[])
            env["HOME"] = self._run_as.pw_dir
        return kwargs

    def _own(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o700)
        if self._run_as is not None:
            os.chown(path, self._run_as.pw_uid, self._run_as.pw_gid)

    def _initdb(self) -> None:
        if (self.cluster_dir / "PG_VERSION").exists():
            return
        initdb = find_binary("initdb", "postgresql", self.BIN_DIRS)
        self._own(self.cluster_dir)
        cmd = [str(initdb), "-D", str(self.cluster_dir), "--auth=trust", "-U", PG_SUPERUSER, "-E", "UTF8",
               "--locale=C", "--no-instructions"]
        if self.fast:
            cmd.append("--no-sync")
        result = subprocess.run(cmd, capture_output=True, timeout=self.start_timeout_s, **self._popen_kwargs())
        if result.returncode != 0:
            raise EmbeddedServerError(f"initdb failed ({result.returncode}): {result.stderr.decode(errors='replace')}")

    def _server_cmd(self, port: int) -> list[str]:
        postgres = find_binary("postgres", "postgresql", self.BIN_DIRS)
        cmd = [str(postgres), "-D", str(self.cluster_dir), "-p", str(port), "-k", str(self._socket_dir),
               "-c", "listen_addresses=127.0.0.1", "-c", f"max_connections={self.max_connections}"]
        if self.fast:
            for setting in ("fsync=off", "synchronous_commit=off", "full_page_writes=off"):
                cmd += ["-c", setting]
        return cmd

    def _ready(self) -> bool:
        try:
            lines = (self.cluster_dir / "postmaster.pid").read_text().splitlines()
        except OSError:
            return False
        return len(lines) >= 8 and lines[7].strip() == "ready" and _port_open(self.port or 0)

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
        """initdb if needed, start postgres, wait until it accepts connections.

        Raises MissingBinaryError, or EmbeddedServerError (with the server log's tail) if the
        server exits or is not ready within `start_timeout_s`, or (server stopped) if its watchdog
        cannot be launched.
        """
        if self.pid is not None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._initdb()
        self._stop_orphan()
        self._socket_dir = Path(tempfile.mkdtemp(prefix="arbees-pgsock-"))  # short: sun_path ≤ 107 bytes
        self._own(self._socket_dir)
        self._socket_dir.chmod(0o755)
        last_error = ""
        for _ in range(_START_ATTEMPTS):
            self.port = free_port()
            with open(self.log_path, "ab") as log_file:
                self.proc = subprocess.Popen(self._server_cmd(self.port), stdout=log_file, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, **self._popen_kwargs())
            self._watch(signal.SIGINT, 30)
            deadline = time.monotonic() + self.start_timeout_s
            while time.monotonic() < deadline and self.proc.poll() is None and not self._ready():
                time.sleep(0.05)
            if self.proc.poll() is None and self._ready():
                atexit.register(self.stop)
                log.info("embedded.pg.started", port=self.port, pid=self.proc.pid, cluster=str(self.cluster_dir))
                return
            last_error = _log_tail(self.log_path)
            _stop_process(self.proc, signal.SIGQUIT, 10)
            self._unwatch()
        self.stop()  # removes the socket dir
        raise EmbeddedServerError(f"postgres did not become ready; log tail:\n{last_error}")

    def stop(self) -> None:
        """Fast shutdown (SIGINT to the postmaster), wait for exit; idempotent."""
        atexit.unregister(self.stop)
        if self.proc is not None:
            _stop_process(self.proc, signal.SIGINT, 30)
            self.proc = None
        self._unwatch()
        if self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
            self._socket_dir = None

    def dsn_for(self, database: str) -> str:
        """DSN of `database` on this server: postgresql://arbees@127.0.0.1:PORT/<database>."""
        if self.port is None:
            raise EmbeddedServerError("postgres is not started")
        return f"postgresql://{PG_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    @property
    def dsn(self) -> str:
        """DSN of the maintenance database `postgres`."""
        return self.dsn_for("postgres")

    url = dsn

    async def create_database(self, name: str, *, template: str | None = None, fresh: bool = False) -> str:
        """Create database `name` (optionally `TEMPLATE template`) unless it exists; return its DSN.

        fresh=True drops an existing `name` first (its sessions are closed: `DROP DATABASE ... WITH
        (FORCE)`, PostgreSQL 13+), so the caller starts from an empty database.
        Names must be plain identifiers ([a-z_][a-z0-9_]*). Raises ValueError otherwise.
        """
        import asyncpg  # local: keeps the module importable without the driver

        for ident in (name, template):
            if ident is not None and not (ident.isidentifier() and ident.isascii() and ident == ident.lower()):
                raise ValueError(f"database name {ident!r} is not a plain lower-case identifier")
        conn = await asyncpg.connect(self.dsn)
        try:
            if fresh:
                await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                suffix = f' TEMPLATE "{template}"' if template else ""
                await conn.execute(f'CREATE DATABASE "{name}"{suffix}')
        finally:
            await conn.close()
        return self.dsn_for(name)


class EmbeddedRedis(_Service):
    """A private redis-server on 127.0.0.1:<free port>, no persistence, working files in `data_dir`.

    databases: number of logical databases (the test harness gives each test its own).
    Raises MissingBinaryError if redis-server is missing (Debian package `redis-server`).
    """

    def __init__(self, data_dir: Path | str, *, databases: int = 1024, start_timeout_s: float = 30.0) -> None:
        self.data_dir = Path(data_dir)
        self.databases = databases
        self.start_timeout_s = start_timeout_s
        self.port: int | None = None
        self.log_path = self.data_dir / "redis.log"

    def _pong(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port or 0), timeout=0.5) as sock:
                sock.sendall(b"*1\r\n$4\r\nPING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        """Start redis-server and wait for PING → PONG. Raises MissingBinaryError, or
        EmbeddedServerError if it does not answer within `start_timeout_s` or (server stopped) if
        its watchdog cannot be launched."""
        if self.pid is not None:
            return
        binary = find_binary("redis-server", "redis-server", ("/usr/local/bin", "/usr/bin"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        for _ in range(_START_ATTEMPTS):
            self.port = free_port()
            cmd = [str(binary), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--dir", str(self.data_dir), "--databases", str(self.databases), "--daemonize", "no"]
            with open(self.log_path, "ab") as log_file:
                self.proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                             start_new_session=True)
            self._watch(signal.SIGTERM, 15)
            deadline = time.monotonic() + self.start_timeout_s
            while time.monotonic() < deadline and self.proc.poll() is None and not self._pong():
                time.sleep(0.02)
            if self.proc.poll() is None and self._pong():
                atexit.register(self.stop)
                log.info("embedded.redis.started", port=self.port, pid=self.proc.pid)
                return
            _stop_process(self.proc, signal.SIGKILL, 5)
            self._unwatch()
        self.proc = None
        raise EmbeddedServerError(f"redis-server did not answer PING; log tail:\n{_log_tail(self.log_path)}")

    def stop(self) -> None:
        """SIGTERM (redis shuts down without saving: persistence is off), wait for exit; idempotent."""
        atexit.unregister(self.stop)
        if self.proc is not None:
            _stop_process(self.proc, signal.SIGTERM, 15)
            self.proc = None
        self._unwatch()

    def url_for(self, db: int = 0) -> str:
        """redis://127.0.0.1:PORT/<db>."""
        if self.port is None:
            raise EmbeddedServerError("redis is not started")
        return f"redis://127.0.0.1:{self.port}/{db}"

    @property
    def url(self) -> str:
        """URL of logical database 0."""
        return self.url_for(0)

    dsn = url
