"""Live only on purpose (issue 11 §4-5): live switches come from the environment only, key and
password files must be private, and a LIVE engine refuses servers that admit anyone."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg
import pytest
import structlog

from arbees_engine import cli
from arbees_engine.adapters.kalshi.auth import KalshiAuthError, KalshiSigner
from arbees_engine.adapters.kalshi.orders import LIVE_AUTHORIZATION_PHRASE
from arbees_engine.bus.discovery import embedded_redis_url, read_embedded_urls, write_embedded_urls
from arbees_engine.cli_commands import cmd_run
from arbees_engine.ops.embedded import EmbeddedPostgres, find_binary
from arbees_engine.ops.server_checks import InsecureServer, check_live_servers, check_postgres, check_redis
from arbees_engine.secret_files import UnsafeSecretFile, write_secret_file
from arbees_engine.settings import LiveFromFileRefused, Settings

LIVE_ENV = {"ARBEES_LIVE": "1", "ARBEES_LIVE_AUTHORIZATION": LIVE_AUTHORIZATION_PHRASE}


# ---- live switches --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "toml",
    [
        "live = true\n",
        f'live_authorization = "{LIVE_AUTHORIZATION_PHRASE}"\n',
        f'live = true\nlive_authorization = "{LIVE_AUTHORIZATION_PHRASE}"\n',
    ],
)
def test_a_config_file_cannot_switch_live_on(tmp_path, monkeypatch, toml):
    config = tmp_path / "config.toml"
    config.write_text(toml)
    monkeypatch.setenv("ARBEES_CONFIG", str(config))
    for name in LIVE_ENV:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(LiveFromFileRefused, match="only from the environment"):
        Settings()


def test_the_cli_refuses_such_a_config_with_a_clear_error(tmp_path, monkeypatch, capsys):
    config = tmp_path / "config.toml"
    config.write_text("live = true\n")
    monkeypatch.setenv("ARBEES_CONFIG", str(config))
    saved, level = structlog.get_config(), logging.getLogger().level
    try:
        assert cli.main(["status"]) == 2  # configures logging onto this test's captured stderr
    finally:
        structlog.configure(**saved)
        logging.getLogger().setLevel(level)
    assert "live trading is enabled only from the environment" in capsys.readouterr().err


def test_the_cli_refuses_an_unsafe_password_file_with_a_clear_error(tmp_path, monkeypatch, capsys):
    password = write_secret_file(tmp_path / "s" / "redis.password", "pw")
    password.chmod(0o644)
    monkeypatch.setenv("ARBEES_CONFIG", "/nonexistent/arbees.toml")
    monkeypatch.setenv("ARBEES_REDIS_URL", "redis://engine@127.0.0.1:1/0")
    monkeypatch.setenv("ARBEES_REDIS_PASSWORD_FILE", str(password))
    saved, level = structlog.get_config(), logging.getLogger().level
    try:
        assert cli.main(["kill", "--reason", "x"]) == 2
    finally:
        structlog.configure(**saved)
        logging.getLogger().setLevel(level)
    assert "Redis password file" in capsys.readouterr().err


def test_the_environment_switches_live_on(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('mode = "manual"\n')
    monkeypatch.setenv("ARBEES_CONFIG", str(config))
    for name, value in LIVE_ENV.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.live and settings.live_authorization == LIVE_AUTHORIZATION_PHRASE and settings.mode == "manual"


# ---- key files ------------------------------------------------------------------------------
def _pem(kalshi_key_file: Path, directory: Path, mode: int = 0o600) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / "key.pem"
    path.write_bytes(kalshi_key_file.read_bytes())
    path.chmod(mode)
    return path


def test_key_file_in_a_directory_others_can_write_is_refused(kalshi_key_file, tmp_path):
    for mode in (0o777, 0o775, 0o757):
        key = _pem(kalshi_key_file, tmp_path / f"d{mode:o}")
        key.parent.chmod(mode)
        with pytest.raises(KalshiAuthError, match=f"{mode:04o}; another user could replace"):
            KalshiSigner.from_file("kid", key)


def test_key_file_deeper_under_a_writable_directory_is_refused(kalshi_key_file, tmp_path):
    (tmp_path / "open").mkdir()
    (tmp_path / "open").chmod(0o777)
    key = _pem(kalshi_key_file, tmp_path / "open" / "private")
    key.parent.chmod(0o700)
    with pytest.raises(KalshiAuthError, match="open has mode 0777"):
        KalshiSigner.from_file("kid", key)


def test_symlink_from_a_writable_directory_is_refused(kalshi_key_file, tmp_path):
    (tmp_path / "open").mkdir()
    (tmp_path / "open").chmod(0o777)
    link = tmp_path / "open" / "key.pem"
    link.symlink_to(kalshi_key_file)
    with pytest.raises(KalshiAuthError, match="another user could replace"):
        KalshiSigner.from_file("kid", link)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o700])
def test_key_file_readable_by_others_is_refused(kalshi_key_file, tmp_path, mode):
    key = _pem(kalshi_key_file, tmp_path / "keys", mode)
    with pytest.raises(KalshiAuthError, match=f"mode {mode:04o}"):
        KalshiSigner.from_file("kid", key)


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_key_file_owned_by_another_user_is_refused(kalshi_key_file, tmp_path):
    key = _pem(kalshi_key_file, tmp_path / "keys")
    nobody = pwd.getpwnam("nobody")
    os.chown(key, nobody.pw_uid, nobody.pw_gid)
    with pytest.raises(KalshiAuthError, match="owned by uid"):
        KalshiSigner.from_file("kid", key)


def test_private_key_files_are_accepted(kalshi_key_file, tmp_path):
    assert KalshiSigner.from_file("kid", _pem(kalshi_key_file, tmp_path / "a", 0o400)).key_id == "kid"
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)  # like /tmp: others may not rename or delete our file
    assert KalshiSigner.from_file("kid", _pem(kalshi_key_file, sticky)).key_id == "kid"


def test_password_files_fill_in_the_configured_urls(tmp_path):
    db_pw = write_secret_file(tmp_path / "s" / "db.password", "p@ss/word\n")
    redis_pw = write_secret_file(tmp_path / "s" / "redis.password", "r3dis")
    settings = Settings(
        database_url="postgresql://arbees@db.example:5432/arbees?sslmode=verify-full",
        redis_url="rediss://engine@redis.example:6380/0",
        database_password_file=db_pw,
        redis_password_file=redis_pw,
    )
    assert (
        settings.configured_database_url()
        == "postgresql://arbees:p%40ss%2Fword@db.example:5432/arbees?sslmode=verify-full"
    )
    assert settings.configured_redis_url() == "rediss://engine:r3dis@redis.example:6380/0"
    db_pw.chmod(0o644)
    with pytest.raises(UnsafeSecretFile, match="0644"):
        settings.configured_database_url()


def test_the_desk_takes_its_redis_password_from_a_file(tmp_path, monkeypatch):
    from arbees_tui.cli import build_parser, desk_redis_url

    password = write_secret_file(tmp_path / "s" / "operator.password", "op-pw")
    monkeypatch.setenv("ARBEES_REDIS_PASSWORD_FILE", str(password))
    args = build_parser().parse_args(["--redis", "rediss://operator@redis.example:6380/0"])
    assert desk_redis_url(args) == "rediss://operator:op-pw@redis.example:6380/0"


# ---- discovery records ----------------------------------------------------------------------
def test_discovery_record_is_private_and_an_unsafe_one_is_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    urls = {
        "engine": "unix://engine:e@/s?db=0",
        "operator": "unix://operator:o@/s?db=0",
        "readonly": "unix://readonly:r@/s?db=0",
    }
    write_embedded_urls("disc", "postgresql://arbees_engine:p@/arbees?host=/s", urls["engine"], urls)
    record = tmp_path / "data" / "arbees" / "disc" / "endpoints.json"
    assert record.stat().st_mode & 0o777 == 0o600 and record.parent.stat().st_mode & 0o777 == 0o700
    assert [embedded_redis_url("disc", role) for role in urls] == list(urls.values())
    record.chmod(0o644)  # readable by others: its passwords may be known, so it is not trusted
    assert read_embedded_urls("disc") is None and embedded_redis_url("disc", "operator") is None


# ---- servers a live engine refuses ----------------------------------------------------------
async def test_embedded_servers_pass_the_live_checks(pg_dsn, redis_url):
    await check_live_servers(pg_dsn, redis_url)


@pytest.fixture
def open_redis():
    """A redis-server with no password and no ACL, on a Unix socket."""
    work = Path(tempfile.mkdtemp(prefix="arbees-open-redis-"))
    sock = work / "redis.sock"
    proc = subprocess.Popen(
        [
            str(find_binary("redis-server", "redis-server")),
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(work),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(unix_socket_path=str(sock))
        deadline = time.monotonic() + 30
        while True:  # poll the child's start-up (no event to wait on), bounded
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                assert proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.02)
        client.close()
        yield f"unix://{sock}?db=0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


async def test_live_refuses_a_redis_without_credentials(open_redis):
    with pytest.raises(InsecureServer, match="accepts connections without a password"):
        await check_redis(open_redis)
    with pytest.raises(InsecureServer):  # credentials in the URL do not help when none are needed
        await check_redis(open_redis.replace("unix://", "unix://someone:secret@"))


async def test_live_refuses_a_superuser_role(pg_server):
    with pytest.raises(InsecureServer, match="superuser"):
        await check_postgres(pg_server.admin_dsn)


async def test_live_refuses_a_trust_auth_postgres(open_dir):
    pg = EmbeddedPostgres(open_dir / "pg")
    with pg:
        dsn = pg.dsn
        await check_postgres(dsn)
        (pg.cluster_dir / "pg_hba.conf").write_text("local all all trust\n")
        os.kill(pg.pid, signal.SIGHUP)  # reload pg_hba.conf
        deadline = time.monotonic() + 30
        while True:  # poll until the reload took effect, bounded
            try:
                conn = await asyncpg.connect(
                    host=str(pg.socket_dir), port=pg.port, user="arbees_engine", password="", database="postgres"
                )
                await conn.close()
                break
            except asyncpg.InvalidPasswordError:
                assert time.monotonic() < deadline, "pg_hba.conf reload did not take effect"
                await asyncio.sleep(0.05)
        with pytest.raises(InsecureServer, match="without a password"):
            await check_postgres(dsn)


async def test_live_run_stops_before_trading_on_an_insecure_redis(pg_dsn, open_redis, capsys):
    settings = Settings(
        database_url=pg_dsn,
        redis_url=open_redis,
        instance="livecheck",
        live=True,
        live_authorization=LIVE_AUTHORIZATION_PHRASE,
        kill_file="/nonexistent/kill",
    )
    args = argparse.Namespace(
        mode=None,
        fresh_book=False,
        venue="sim",
        replay=None,
        seed=1,
        speed=None,
        games=2,
        duration=1.0,
        json_summary=False,
    )
    assert await cmd_run(settings, args) == 2
    err = capsys.readouterr().err
    assert "live trading refused" in err and "without a password" in err
    conn = await asyncpg.connect(pg_dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM orders") == 0
    finally:
        await conn.close()


@pytest.fixture
def open_dir():
    """A temp dir other users can traverse (the unprivileged postgres user must reach its cluster)."""
    path = Path(tempfile.mkdtemp(prefix="arbees-security-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)
