"""Private PostgreSQL and Redis servers that only the operator can use, started from installed binaries.

Used by the pytest harness (one server per test session) and by `arbees demo` / `arbees-engine run`
without configured URLs (data kept in the platformdirs user data dir). Neither server opens a TCP
port: each listens on a Unix socket in a 0700 directory, and each demands a password (PostgreSQL
SCRAM-SHA-256, Redis ACL users) generated on first use and kept in 0600 files under
`<data_dir>/secrets/` (see embedded_postgres.py, embedded_redis.py and arbees_engine.secret_files).

PostgreSQL refuses to run as root (https://www.postgresql.org/docs/current/server-start.html),
so when the current process is root, initdb and postgres run as the `postgres` system user if it
exists, else `nobody` (`unprivileged_user`), and the cluster and socket directories are owned by
that user (root still reaches the socket; no other user can). redis-server runs as that user too
(a compromised server is then no root process).

Readiness is polled with a bounded deadline: postgres is ready once its `postmaster.pid` status
line reads "ready" (what `pg_ctl -w` waits for; see src/include/utils/pidfile.h) and its socket
accepts a connection; redis once it answers PING with a NOAUTH error or +PONG.

Each server gets a watchdog process (`_Watchdog`) so that it does not outlive the process that
started it, even when that process is SIGKILLed (atexit does not run then). Neither server can
watch its parent itself, and PR_SET_PDEATHSIG is tied to the creating *thread* (prctl(2): the
signal fires when that thread exits), while servers are often started from worker threads
(`async with`, `asyncio.to_thread`). The watchdog holds the read end of a pipe whose only write
end this process holds (non-inheritable, PEP 446): EOF on it means this process is gone.
"""

from __future__ import annotations

import asyncio
import functools
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO

import structlog

log = structlog.get_logger(__name__)

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


def _socket_open(path: Path | str | None) -> bool:
    """True if the Unix socket at `path` accepts a connection."""
    if path is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            sock.connect(str(path))
            return True
    except OSError:
        return False


def unprivileged_user() -> pwd.struct_passwd:
    """The user servers run as when we are root: `postgres` if it exists, else `nobody`.
    Raises EmbeddedServerError when neither exists."""
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise EmbeddedServerError("running as root but neither a 'postgres' nor a 'nobody' user exists")


def private_socket_dir(prefix: str, previous: Path | None, owner: pwd.struct_passwd | None = None) -> Path:
    """A 0700 directory for a server's Unix socket, owned by `owner` (default: this user).

    Short (under the system temp dir: sun_path holds at most 107 bytes, unix(7)). Reuses the path
    `previous` when it can be created afresh (a restarted server keeps its URL); a path that
    already exists is never reused, since someone else may have made it."""
    path = None
    if previous is not None:
        try:
            os.mkdir(previous, 0o700)
            path = previous
        except OSError:
            path = None
    if path is None:
        path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o700)
    if owner is not None:
        os.chown(path, owner.pw_uid, owner.pw_gid)
    return path


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


def _open_private_log(path: Path) -> BinaryIO:
    """`path` opened for appending as a 0600 file (made so if it exists: server logs can name
    databases, roles and queries); a symlink planted there is refused (O_NOFOLLOW, OSError)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "ab")


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


# Run by `_Watchdog` as `python -I -S -c _WATCHDOG_CODE PID FIRST_SIGNAL GRACE_S STARTTIME [DIR...]`
# (stdlib only). stdin: one byte = disarmed (the server was stopped by its owner), EOF = the owner
# died. Then it signals the server's process group (the server leads it: start_new_session), waits
# `GRACE_S` for the leader to go, escalates to SIGKILL, and removes the DIRs the owner would have
# removed (the server's socket directory). STARTTIME (/proc/PID/stat field 22, proc(5)) proves PID
# still is the server, not a later process that reused the pid.
_WATCHDOG_CODE = r"""
import os, shutil, signal, sys, time
pid, first, grace, started = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
def server_alive():
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[19] == started and fields[0] not in ("Z", "X")
def stop_server():
    try:
        os.killpg(pid, first)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while server_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    if server_alive():
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
if os.read(0, 1):
    sys.exit(0)
if server_alive():
    stop_server()
for leftover in sys.argv[5:]:
    shutil.rmtree(leftover, ignore_errors=True)
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
    log.warning(
        "embedded.unwatched",
        platform=sys.platform,
        reason="no /proc/<pid>/stat: servers are not watched on this platform and outlive a killed owner",
    )


class _Watchdog:
    """A helper process that stops server `pid` (its process group) if this process dies first.

    first_signal/grace_s: the server's own clean-shutdown signal and how long to wait for it
    before SIGKILL. The helper runs in a session of its own, so a kill of this process's group
    does not take it along. `disarm()` (from the owner's `stop()`) makes it exit doing nothing.
    A child forked from this process without exec keeps the pipe open: the server then lives
    until that child exits too.
    """

    def __init__(self, pid: int, first_signal: int, grace_s: float, leftovers: tuple[Path, ...] = ()) -> None:
        cmd = [
            sys.executable,
            "-I",
            "-S",
            "-c",
            _WATCHDOG_CODE,
            str(pid),
            str(int(first_signal)),
            str(grace_s),
            _start_time(pid),
            *map(str, leftovers),
        ]
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd="/",
            start_new_session=True,
        )

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

    def _watch(self, first_signal: int, grace_s: float, leftovers: tuple[Path, ...] = ()) -> None:
        """Arm a watchdog that stops `self.proc` with `first_signal` (then SIGKILL after `grace_s`)
        and removes the `leftovers` directories should this process die without calling `stop()`. Where /proc is
        unreadable (not Linux) no
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
            self._watchdog = _Watchdog(self.proc.pid, first_signal, grace_s, leftovers)
        except Exception as exc:  # noqa: BLE001 - whatever failed, the server must not run unwatched
            pid = self.proc.pid
            log.error("embedded.watchdog_failed", pid=pid, error=repr(exc))
            self.stop()
            raise EmbeddedServerError(
                f"could not launch the watchdog of server pid {pid} ({exc!r}); the server was stopped"
            ) from exc

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
