"""Where the embedded PostgreSQL cluster lives, and the checks before Arbees uses a directory for it.

A cluster left by an older Arbees (made with trust auth, no secrets) is moved aside to
`<cluster>.trust-<unix time>` and a new one is made; a warning names both paths.

Only a cluster directory Arbees made is ever used (someone who made it first could have planted a
postgresql.conf): it must be a real directory owned by the server user, mode 0700, holding the
marker `arbees-cluster.id` whose token matches `secrets/postgres-cluster.id` (written after
initdb); otherwise start() refuses with EmbeddedServerError. An empty one is initialised; one
inside `data_dir` from before markers existed is adopted. As root, when the server user cannot
pass through `data_dir` (under /root, say), the cluster lives in a private directory made with
mkdtemp under /var/tmp (unpredictable name, owned by root, 0711: the server user may pass
through but not list or create), its path recorded in `data_dir/pgdata.location` (0600) so a
restart finds it. Arbees does not chmod directories it did not make to make `data_dir` reachable.
"""

from __future__ import annotations

import hmac
import os
import pwd
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import structlog

from ..secret_files import UnsafeSecretFile, read_secret_file, secret, write_secret_file
from .embedded_server import EmbeddedServerError

log = structlog.get_logger(__name__)

CLUSTER_MARKER = "arbees-cluster.id"  # in the cluster dir: the token of secrets/postgres-cluster.id
FALLBACK_RECORD = "pgdata.location"  # in data_dir: the cluster's private /var/tmp parent, as root


def own_for_server(path: Path, run_as: pwd.struct_passwd | None, mode: int = 0o700) -> None:
    """Give `path` mode `mode` and (when `run_as` is set, i.e. as root) to the server user;
    a missing `path` or a directory is created first (parents included)."""
    if path.is_dir() or not path.exists():
        path.mkdir(parents=True, exist_ok=True)
    path.chmod(mode)
    if run_as is not None:
        os.chown(path, run_as.pw_uid, run_as.pw_gid)


def choose_cluster_dir(data_dir: Path, run_as: pwd.struct_passwd | None) -> Path:
    """`data_dir/pgdata`, or (as root, when the server user cannot reach it) `pgdata` in the
    private /var/tmp directory recorded in `data_dir/pgdata.location` (made on first use).
    Raises EmbeddedServerError for a record or parent Arbees did not write."""
    wanted = data_dir / "pgdata"
    if run_as is None or _traversable(data_dir):
        return wanted
    fallback = _fallback_parent(data_dir) / "pgdata"
    log.warning("embedded.pg.cluster_fallback", wanted=str(wanted), using=str(fallback))
    return fallback


def _fallback_parent(data_dir: Path) -> Path:
    """The recorded private parent (checked: ours, 0711), or a new one (mkdtemp under /var/tmp,
    0711) recorded now. Raises EmbeddedServerError for a record or parent Arbees did not write."""
    record = data_dir / FALLBACK_RECORD
    if record.exists():
        try:
            parent = Path(read_secret_file(record, "PostgreSQL cluster location file"))
        except UnsafeSecretFile as exc:
            raise EmbeddedServerError(str(exc)) from None
        try:
            st = os.lstat(parent)
        except FileNotFoundError:
            log.warning("embedded.pg.cluster_parent_gone", parent=str(parent), record=str(record))
        else:
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or stat.S_IMODE(st.st_mode) != 0o711:
                raise EmbeddedServerError(
                    f"refusing PostgreSQL cluster parent {parent} (recorded in {record}): it is not a directory "
                    f"of uid {os.geteuid()} with mode 0711 as Arbees makes it; remove {record} to start afresh"
                )
            return parent
    data_dir.mkdir(parents=True, exist_ok=True)
    parent = Path(tempfile.mkdtemp(prefix="arbees-pg-", dir="/var/tmp"))
    parent.chmod(0o711)
    write_secret_file(record, str(parent))
    return parent


def _traversable(path: Path) -> bool:
    """True if every existing ancestor of `path` lets other users pass through (o+x)."""
    for ancestor in [path.resolve(), *path.resolve().parents]:
        if ancestor.exists() and not ancestor.stat().st_mode & stat.S_IXOTH:
            return False
    return True


@dataclass(frozen=True)
class ClusterDir:
    """The checks on one cluster directory before initdb or reuse (module docstring).

    path: the cluster directory; data_dir: the server's data dir (a legacy cluster is adopted only
    at `data_dir/pgdata`); secrets_dir: holds `postgres-cluster.id`, the token the marker must match;
    run_as: the server user when running as root, else None (the caller owns the cluster).
    """

    path: Path
    data_dir: Path
    secrets_dir: Path
    run_as: pwd.struct_passwd | None

    def token(self) -> str:
        """The cluster id from `secrets/postgres-cluster.id` (generated on first use)."""
        return secret(self.secrets_dir / "postgres-cluster.id", "PostgreSQL cluster id file")

    def retire_trust_cluster(self) -> None:
        """Move aside a cluster made before passwords existed (its pg_hba trusted every local user)."""
        if not (self.path / "PG_VERSION").exists():
            return
        if (self.secrets_dir / "postgres-superuser.password").exists():
            return
        aside = self.path.with_name(f"{self.path.name}.trust-{int(time.time())}")
        self.path.rename(aside)
        log.warning(
            "embedded.pg.trust_cluster_retired",
            cluster=str(self.path),
            moved_to=str(aside),
            reason="made by an older Arbees with trust auth; a password-protected cluster replaces it",
        )

    def reusable(self) -> bool:
        """True for an existing cluster Arbees made (module docstring), False when there is none to
        reuse (absent or empty: initdb). Raises EmbeddedServerError for any other directory."""
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return False
        owner = self.run_as.pw_uid if self.run_as is not None else os.geteuid()
        problem = ""
        if not stat.S_ISDIR(st.st_mode):
            problem = "is not a directory (a symlink?)"
        elif st.st_uid != owner:
            problem = f"is owned by uid {st.st_uid}, not by the server user (uid {owner})"
        elif stat.S_IMODE(st.st_mode) != 0o700:
            problem = f"has mode {stat.S_IMODE(st.st_mode):04o}, not 0700"
        elif not any(self.path.iterdir()):
            return False
        elif not self._marker_ok():
            problem = f"holds no {CLUSTER_MARKER} matching {self.secrets_dir / 'postgres-cluster.id'}"
        if problem:
            raise EmbeddedServerError(
                f"refusing PostgreSQL cluster directory {self.path}: it {problem}, so Arbees did not make it "
                f"(another user could have planted its configuration); move it aside and start again"
            )
        return True

    def _marker_ok(self) -> bool:
        marker = self.path / CLUSTER_MARKER
        if not marker.exists() and self.path == self.data_dir / "pgdata" and (self.path / "PG_VERSION").exists():
            log.warning(
                "embedded.pg.cluster_adopted",
                cluster=str(self.path),
                reason="made inside our data dir before cluster markers existed",
            )
            self.write_marker()
            return True
        try:
            found = marker.read_text().strip()
        except OSError:
            return False
        return hmac.compare_digest(found, self.token())

    def write_marker(self) -> None:
        """Write `arbees-cluster.id` (the token, 0600, server user's) into the cluster directory;
        raises FileExistsError if one is there already (never follows a planted symlink)."""
        marker = self.path / CLUSTER_MARKER
        fd = os.open(marker, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(self.token() + "\n")
        own_for_server(marker, self.run_as, 0o600)
