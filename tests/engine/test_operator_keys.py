"""Operator keys, the authorized-operators file, the signature encoding, and the CLI that uses them
(`arbees-engine operator add|list|remove`, signed `kill`, and "timed out" only after expiry)."""

from __future__ import annotations

import asyncio
import base64
import os
import stat
from datetime import UTC, datetime, timedelta

import pytest
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from engine_harness import TEST_OPERATORS, sim_engine, sim_settings

from arbees_engine import cli
from arbees_engine.bus import operators
from arbees_engine.bus.client import BusClient
from arbees_engine.bus.messages import Command, CommandAction
from arbees_engine.bus.signing import OperatorKey, canonical_bytes, signature_valid, timed_out
from arbees_engine.model import Mode

T0 = datetime(2026, 12, 4, 18, 0, 0, 250000, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _keep_logging():
    """cli.main configures structlog to print to the (captured) stderr of the moment: undo it after."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.fixture
def key_paths(tmp_path, monkeypatch):
    """ARBEES_OPERATOR_KEYS_DIR / ARBEES_OPERATORS_FILE pointed into tmp_path."""
    keys, authorized = tmp_path / "keys", tmp_path / "conf" / "operators.toml"
    monkeypatch.setenv("ARBEES_OPERATOR_KEYS_DIR", str(keys))
    monkeypatch.setenv("ARBEES_OPERATORS_FILE", str(authorized))
    monkeypatch.delenv("ARBEES_OPERATOR", raising=False)
    return keys, authorized


def test_canonical_bytes_are_exactly_the_documented_encoding():
    cmd = Command(
        command_id="c1",
        operator="alice",
        issued_at=T0,
        expires_at=T0 + timedelta(seconds=10),
        action=CommandAction.SET_MODE,
        mode="manual",
        signature="ignored",
    )
    assert canonical_bytes(cmd, "desk-1") == (
        b'arbees-command-v1\ndesk-1\n{"action":"set_mode","command_id":"c1",'
        b'"expires_at":"2026-12-04T18:00:10.250000Z","issued_at":"2026-12-04T18:00:00.250000Z","mode":"manual",'
        b'"operator":"alice","reason":"","signal_id":null,"signal_version":null}'
    )


def test_sign_verify_round_trip_survives_the_wire_and_any_change_breaks_it():
    key = OperatorKey("alice", Ed25519PrivateKey.generate())
    cmd = key.new_command(
        "test", T0, 10, command_id="c1", action=CommandAction.APPROVE, signal_id="s-1", signal_version=3
    )
    public = key.private.public_key()
    assert cmd.operator == "alice" and cmd.expires_at == T0 + timedelta(seconds=10)
    assert len(base64.b64decode(cmd.signature)) == 64
    wire = Command.model_validate(cmd.model_dump(mode="json"))  # what the engine decodes
    assert signature_valid(wire, "test", public)
    for change in (
        {"signal_version": 4},
        {"signal_id": "s-2"},
        {"action": CommandAction.REJECT},
        {"expires_at": T0 + timedelta(seconds=11)},
        {"command_id": "c2"},
        {"operator": "bob"},
    ):
        assert not signature_valid(wire.model_copy(update=change), "test", public), change
    assert not signature_valid(wire, "other", public)
    assert not signature_valid(wire, "test", Ed25519PrivateKey.generate().public_key())
    assert not signature_valid(wire.model_copy(update={"signature": "not base64!"}), "test", public)


def test_timed_out_only_after_expiry_plus_skew():
    cmd = TEST_OPERATORS["alice"].new_command("test", T0, 10, command_id="c", action=CommandAction.KILL)
    assert not timed_out(cmd, T0 + timedelta(seconds=12), skew_s=2)
    assert timed_out(cmd, T0 + timedelta(seconds=12.001), skew_s=2)


def test_key_files_are_private_never_overwritten_and_loaded_back(key_paths):
    keys, _ = key_paths
    key = operators.create_key("alice")
    assert stat.S_IMODE((keys / "alice.key").stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    with pytest.raises(operators.OperatorError, match="refusing to overwrite"):
        operators.create_key("alice")
    assert operators.load_key("alice").public_text == key.public_text
    (keys / "alice.key").chmod(0o644)
    with pytest.raises(operators.OperatorError, match="readable by others"):
        operators.load_key("alice")
    with pytest.raises(operators.OperatorError, match="operator name"):
        operators.create_key("../etc/passwd")


def test_an_operators_file_owned_by_another_user_is_refused(key_paths):
    _, authorized = key_paths
    operators.authorize("alice", TEST_OPERATORS["alice"].public_text)
    assert set(operators.load_authorized()) == {"alice"}
    os.chown(authorized, 65534, -1)  # nobody
    with pytest.raises(operators.OperatorError, match="owned by uid 65534"):
        operators.load_authorized()
    os.chown(authorized, os.geteuid(), -1)
    authorized.parent.chmod(0o777)  # others could replace the file
    with pytest.raises(operators.OperatorError, match="writable by group or others"):
        operators.load_authorized()


def test_operator_add_list_remove_cli(key_paths, capsys):
    keys, authorized = key_paths
    assert cli.main(["operator", "add", "alice"]) == 0
    assert cli.main(["operator", "add", "alice"]) == 1
    assert "already authorized" in capsys.readouterr().err
    public = TEST_OPERATORS["bob"].public_text
    assert cli.main(["operator", "add", "bob", "--public-key", public]) == 0
    assert cli.main(["operator", "add", "eve", "--public-key", "short"]) == 1
    assert set(operators.load_authorized()) == {"alice", "bob"}
    assert stat.S_IMODE(authorized.stat().st_mode) == 0o600
    capsys.readouterr()
    assert cli.main(["operator", "list"]) == 0
    listing = capsys.readouterr().out
    assert "alice" in listing and "(key here)" in listing and public in listing
    assert cli.main(["operator", "remove", "alice"]) == 0
    assert set(operators.load_authorized()) == {"bob"} and not (keys / "alice.key").exists()
    capsys.readouterr()
    assert cli.main(["operator", "add", "gina", "--key-only"]) == 0
    printed = capsys.readouterr().out
    assert operators.load_key("gina").public_text in printed and set(operators.load_authorized()) == {"bob"}


def test_cli_kill_without_a_key_refuses_and_points_at_the_kill_file(key_paths, capsys, monkeypatch):
    monkeypatch.setenv("ARBEES_REDIS_URL", "redis://127.0.0.1:1/0")
    assert cli.main(["kill", "--reason", "x", "--operator", "nobody"]) == 1
    err = capsys.readouterr().err
    assert "no operator key" in err and "operator add" in err and "kill file" in err


async def test_cli_kill_is_signed_with_the_operators_key_and_runs(pg_dsn, redis_url, key_paths, monkeypatch, capsys):
    _, authorized = key_paths
    key = operators.create_key("frank")
    operators.authorize("frank", key.public_text)
    settings = sim_settings(pg_dsn, redis_url, operators_file=authorized)
    monkeypatch.setenv("ARBEES_REDIS_URL", redis_url)
    monkeypatch.setenv("ARBEES_INSTANCE", settings.instance)
    async with sim_engine(settings) as (engine, _world, _store):
        code = await asyncio.to_thread(cli.main, ["kill", "--reason", "cli drill"])  # the only key: frank
        assert code == 0 and engine.control.kill_engaged and engine.control.kill_operator == "frank"
        assert "kill: done" in capsys.readouterr().out
        code = await asyncio.to_thread(cli.main, ["mode", "manual", "--operator", "frank"])
        assert code == 0 and engine.control.mode is Mode.MANUAL


async def test_command_and_wait_reports_a_timeout_only_once_the_command_expired(redis_url):
    client = BusClient(redis_url, "nobody-home")  # no engine reads this instance
    cmd = TEST_OPERATORS["alice"].new_command(
        "nobody-home", datetime.now(UTC), 0.3, command_id="t1", action=CommandAction.RESUME
    )
    try:
        ack = await client.command_and_wait(cmd, timeout_s=0.01, skew_s=0.2)
    finally:
        await client.close()
    assert ack is None and timed_out(cmd, datetime.now(UTC), skew_s=0.2)
