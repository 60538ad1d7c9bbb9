"""A private redis-server: Unix socket in a 0700 directory (no TCP: `port 0`), ACL users only.

Users (https://redis.io/docs/latest/operate/oss_and_stack/management/security/acl/):
- `default`: off, so a connection without credentials can run nothing but AUTH.
- `engine`: every key and command except @dangerous (CONFIG, DEBUG, SHUTDOWN, ACL, MODULE,
  MONITOR, KEYS, MIGRATE, ...; the classic `CONFIG SET dir` file-write attack is closed) and
  @scripting (Lua: nothing uses it, and sandbox escapes exist, e.g. CVE-2022-0543), plus FLUSHDB
  (the test harness empties its logical databases with it).
- `operator`: the desk and `arbees-engine kill/resume/mode`: XADD to `arbees:<instance>:commands`
  (write-only: it cannot read or trim what others sent) and read the view: the snapshot hash
  (HGETALL), the audit list (LRANGE), the event stream with its acknowledgements (XREAD,
  XREVRANGE, XRANGE) and the heartbeat (GET); MULTI/EXEC for the atomic snapshot read
  (bus/client.py). Key selectors %R~/%W~ need Redis 7.0+.
- `readonly`: the same reads, no XADD (`arbees --read-only`, `arbees-engine status`).
Passwords are generated on first start and kept in `<data_dir>/secrets/redis-<user>.password`
(0600). The configuration reaches redis-server on its stdin (`redis-server -`), holding only the
passwords' SHA-256 (`#<hex>` ACL syntax): neither passwords nor hashes appear in a process list
or in any file the server can read. As root, the server runs as `unprivileged_user()` (the socket
directory is then owned by that user; root still reaches it).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import structlog

from ..secret_files import private_dir, secret
from .embedded_server import (
    EmbeddedServerError,
    _log_tail,
    _open_private_log,
    _Service,
    _stop_process,
    find_binary,
    private_socket_dir,
    unprivileged_user,
)

log = structlog.get_logger(__name__)

_VIEW_KEYS = ("snapshot", "events", "heartbeat", "audit")
_VIEW_READS = ("+hgetall", "+lrange", "+xread", "+xrevrange", "+xrange", "+get", "+multi", "+exec", "+discard")
_SESSION = ("+ping", "+select", "+auth", "+hello", "+quit", "+reset")

#: ACL rules per user, after `on` and its password (see module docstring).
REDIS_USERS: dict[str, str] = {
    "engine": "~* &* +@all -@dangerous -@scripting +flushdb",
    "operator": " ".join(
        [
            "resetchannels",
            *(f"%R~arbees:*:{k}" for k in _VIEW_KEYS),
            "%W~arbees:*:commands",
            "-@all",
            *_VIEW_READS,
            *_SESSION,
            "+xadd",
        ]
    ),
    "readonly": " ".join(
        ["resetchannels", *(f"%R~arbees:*:{k}" for k in _VIEW_KEYS), "-@all", *_VIEW_READS, *_SESSION]
    ),
}


class EmbeddedRedis(_Service):
    """A private redis-server, no persistence, working files in `data_dir`, reachable only through
    a Unix socket in a 0700 directory by the ACL users of REDIS_USERS (module docstring).

    databases: number of logical databases (the test harness gives each test its own).
    Raises MissingBinaryError if redis-server is missing (Debian package `redis-server`).
    """

    def __init__(self, data_dir: Path | str, *, databases: int = 1024, start_timeout_s: float = 30.0) -> None:
        self.data_dir = Path(data_dir)
        self.databases = databases
        self.start_timeout_s = start_timeout_s
        self.port = 0  # no TCP listener
        self.log_path = self.data_dir / "redis.log"
        self.secrets_dir = self.data_dir / "secrets"
        self.socket_dir: Path | None = None
        self.run_as = unprivileged_user() if os.geteuid() == 0 else None

    @property
    def socket_path(self) -> Path | None:
        """The server's Unix socket (`<socket_dir>/redis.sock`), None before the first start."""
        return self.socket_dir / "redis.sock" if self.socket_dir else None

    def password(self, user: str) -> str:
        """Password of ACL `user` (one of REDIS_USERS), generated on first use. Raises KeyError for others."""
        if user not in REDIS_USERS:
            raise KeyError(f"no Redis user {user!r} (expected one of {', '.join(REDIS_USERS)})")
        return secret(self.secrets_dir / f"redis-{user}.password", f"Redis {user} password file")

    def _config(self) -> str:
        lines = [
            f"port {self.port}",
            f"unixsocket {self.socket_path}",
            "unixsocketperm 700",
            "protected-mode yes",
            'save ""',
            "appendonly no",
            f"dir {self.socket_dir}",
            f"databases {self.databases}",
            "daemonize no",
            "user default off resetpass resetkeys resetchannels -@all",
        ]
        for user, rules in REDIS_USERS.items():
            digest = hashlib.sha256(self.password(user).encode()).hexdigest()
            lines.append(f"user {user} on #{digest} {rules}")
        return "\n".join(lines) + "\n"

    def _popen_kwargs(self) -> dict[str, object]:
        kwargs: dict[str, object] = {"start_new_session": True, "cwd": "/"}
        if self.run_as is not None:
            kwargs.update(
                user=self.run_as.pw_uid,
                group=self.run_as.pw_gid,
                extra_groups=[],
                env={**os.environ, "HOME": self.run_as.pw_dir},
            )
        return kwargs

    def _answers(self) -> bool:
        """True once the server replies to PING (NOAUTH counts: it is serving, and refusing us)."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(0.5)
                sock.connect(str(self.socket_path))
                sock.sendall(b"*1\r\n$4\r\nPING\r\n")
                return sock.recv(64).startswith((b"+PONG", b"-NOAUTH"))
        except OSError:
            return False

    def start(self) -> None:
        """Start redis-server and wait until it answers. Raises MissingBinaryError, or
        EmbeddedServerError if it does not answer within `start_timeout_s` or (server stopped) if
        its watchdog cannot be launched."""
        if self.pid is not None:
            return
        binary = find_binary("redis-server", "redis-server", ("/usr/local/bin", "/usr/bin"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        private_dir(self.secrets_dir)
        self.socket_dir = private_socket_dir("arbees-redis-", self.socket_dir, self.run_as)
        with _open_private_log(self.log_path) as log_file:
            self.proc = subprocess.Popen(
                [str(binary), "-"],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.PIPE,
                **self._popen_kwargs(),
            )
        with contextlib.suppress(BrokenPipeError):  # it died at once: reported below with the log
            self.proc.stdin.write(self._config().encode())
        self.proc.stdin.close()
        self._watch(signal.SIGTERM, 15, (self.socket_dir,))
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline and self.proc.poll() is None and not self._answers():
            time.sleep(0.02)
        if self.proc.poll() is None and self._answers():
            atexit.register(self.stop)
            log.info("embedded.redis.started", socket=str(self.socket_path), pid=self.proc.pid)
            return
        self.stop()
        raise EmbeddedServerError(f"redis-server did not answer PING; log tail:\n{_log_tail(self.log_path)}")

    def stop(self) -> None:
        """SIGTERM (redis shuts down without saving: persistence is off), wait for exit; idempotent.
        The socket directory is removed; its path is remembered so a restart reuses it when it can."""
        atexit.unregister(self.stop)
        if self.proc is not None:
            _stop_process(self.proc, signal.SIGTERM, 15)
            self.proc = None
        self._unwatch()
        if self.socket_dir is not None:
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    def url_for(self, db: int = 0, user: str = "engine") -> str:
        """unix://<user>:<password>@<socket path>?db=<db> (redis-py's Unix socket URL form)."""
        if self.socket_dir is None:
            raise EmbeddedServerError("redis is not started")
        return f"unix://{user}:{quote(self.password(user), safe='')}@{self.socket_path}?db={db}"

    @property
    def url(self) -> str:
        """Engine URL of logical database 0."""
        return self.url_for(0)

    def role_urls(self, db: int = 0) -> dict[str, str]:
        """{"engine": url, "operator": url, "readonly": url} of logical database `db`."""
        return {user: self.url_for(db, user) for user in REDIS_USERS}

    dsn = url
