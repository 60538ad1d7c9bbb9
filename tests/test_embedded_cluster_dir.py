"""The embedded PostgreSQL uses only a cluster directory Arbees made (issue 11 review, finding 9):
one planted by someone else is refused; as root with an unreachable data dir the cluster lives in
a private, unpredictable /var/tmp directory recorded for restarts; both server logs are 0600."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import asyncpg
import pytest

from arbees_engine.ops.embedded import EmbeddedPostgres, EmbeddedServerError

IS_ROOT = os.geteuid() == 0
root_only = pytest.mark.skipif(not IS_ROOT, reason="the /var/tmp fallback exists only when running as root")


def test_both_server_logs_are_private(pg_server, redis_server) -> None:
    for path in (pg_server.log_path, redis_server.log_path):
        st = path.stat()
        assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_uid == os.geteuid(), path


def _plant(server: EmbeddedPostgres, *, uid: int, mode: int, marker: str | None) -> Path:
    """What another user could leave where the cluster goes: PG_VERSION and a postgresql.conf."""
    planted = server.cluster_dir
    planted.mkdir(parents=True)
    (planted / "PG_VERSION").write_text("16\n")
    (planted / "postgresql.conf").write_text("shared_preload_libraries = 'evil'\n")
    if marker is not None:
        (planted / "arbees-cluster.id").write_text(marker)
    planted.chmod(mode)
    os.chown(planted, uid, -1)
    return planted


@pytest.mark.parametrize("case", ["other_owner", "open_mode", "no_marker", "wrong_marker"])
def test_a_cluster_dir_arbees_did_not_make_is_refused(open_dir, case) -> None:
    server = EmbeddedPostgres(open_dir / "pg")
    server.cluster_dir = open_dir / "elsewhere" / "pgdata"  # not the in-data-dir path legacy clusters use
    owner = server.run_as.pw_uid if server.run_as else os.geteuid()
    server._cluster_token(), server.superuser_password  # secrets exist, as after a first start
    uid = {"other_owner": 12345}.get(case, owner)
    marker = {"wrong_marker": "guessed", "no_marker": None}.get(case, server._cluster_token())
    _plant(server, uid=uid, mode=0o755 if case == "open_mode" else 0o700, marker=marker)
    try:
        with pytest.raises(EmbeddedServerError, match="refusing PostgreSQL cluster directory"):
            server.start()
    finally:
        server.stop()
    assert (server.cluster_dir / "postgresql.conf").read_text().startswith("shared_preload")  # left as found


def test_a_symlink_in_place_of_the_cluster_dir_is_refused(open_dir) -> None:
    server = EmbeddedPostgres(open_dir / "pg")
    (open_dir / "target").mkdir()
    server.data_dir.mkdir()
    server._cluster_token(), server.superuser_password
    server.cluster_dir.symlink_to(open_dir / "target")
    try:
        with pytest.raises(EmbeddedServerError, match="not a directory"):
            server.start()
    finally:
        server.stop()


@root_only
async def test_an_unreachable_data_dir_puts_the_cluster_in_a_private_recorded_dir(open_dir) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="arbees-private-"))  # 0700: the server user cannot pass
    first = EmbeddedPostgres(data_dir / "pg")
    parent = first.cluster_dir.parent
    try:
        st = parent.stat()
        assert parent.parent == Path("/var/tmp") and parent.name.startswith("arbees-pg-")
        assert st.st_uid == 0 and stat.S_IMODE(st.st_mode) == 0o711
        assert (data_dir / "pg" / "pgdata.location").read_text().strip() == str(parent)
        with first:
            await first.create_database("kept")
        again = EmbeddedPostgres(data_dir / "pg")
        assert again.cluster_dir == first.cluster_dir  # the record, not a name derived from the path
        with again:
            conn = await asyncpg.connect(again.admin_dsn)
            try:
                assert await conn.fetchval("SELECT count(*) FROM pg_database WHERE datname = 'kept'") == 1
            finally:
                await conn.close()
        parent.chmod(0o755)  # no longer as Arbees made it
        with pytest.raises(EmbeddedServerError, match="refusing PostgreSQL cluster parent"):
            EmbeddedPostgres(data_dir / "pg")
    finally:
        shutil.rmtree(parent, ignore_errors=True)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def open_dir():
    """A temp dir other users can traverse (the unprivileged postgres user must reach its cluster)."""
    path = Path(tempfile.mkdtemp(prefix="arbees-cluster-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)
