"""`arbees demo` hands the desk the embedded Redis's `operator` user (or `readonly` with
--read-only) through the engine's private endpoints record; the desk's URL commands the engine,
the read-only desk's cannot (issue 11 §3)."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from redis.exceptions import NoPermissionError

from arbees_engine.bus import operators
from arbees_engine.bus.client import BusClient
from arbees_engine.bus.messages import Command, CommandAction, utcnow
from arbees_tui.demo import run_demo


@pytest.fixture
def data_home(monkeypatch):
    """A private XDG data home for the demo child (traversable: its postgres user must reach it)."""
    path = Path(tempfile.mkdtemp(prefix="arbees-demo-sec-"))
    path.chmod(0o755)
    monkeypatch.setenv("XDG_DATA_HOME", str(path))
    for name in ("ARBEES_REDIS_URL", "ARBEES_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    yield path
    shutil.rmtree(path, ignore_errors=True)
    for log in Path(tempfile.gettempdir()).glob("arbees-demo-demosec*.log"):  # run_demo's engine logs
        log.unlink(missing_ok=True)


def _args(read_only: bool) -> argparse.Namespace:
    return argparse.Namespace(
        instance=f"demosec{uuid.uuid4().hex[:6]}",
        headless=False,
        seed=1,
        speed="max",
        games=2,
        keep_book=False,
        duration=120.0,
        mode=None,
        read_only=read_only,
    )


def _command(instance: str, action: CommandAction, **fields) -> Command:
    """A command signed with the demo's own operator key (run_demo points the environment at it)."""
    key = operators.load_key(operators.default_key_name(None) or "")
    return key.new_command(instance, utcnow(), 10.0, command_id=uuid.uuid4().hex, action=action, **fields)


@pytest.mark.slow
def test_demo_desk_gets_operator_then_readonly_urls(data_home):
    seen: dict[str, object] = {}

    def operator_desk(args) -> int:
        seen["url"] = args.redis
        client = BusClient(args.redis, args.instance)
        seen["ack"] = asyncio.run(_kill(client))
        return 0

    def readonly_desk(args) -> int:
        seen["ro_url"] = args.redis
        seen["ro_refused"] = asyncio.run(_refused(BusClient(args.redis, args.instance)))
        return 0

    assert run_demo(_args(False), operator_desk) == 0
    assert str(seen["url"]).startswith("unix://operator:")
    assert seen["ack"] is not None and seen["ack"].ok
    assert run_demo(_args(True), readonly_desk) == 0
    assert str(seen["ro_url"]).startswith("unix://readonly:") and seen["ro_refused"]
    for record in data_home.glob("arbees/*/endpoints.json"):  # private even when left by a killed engine
        assert record.stat().st_mode & 0o777 == 0o600 and record.parent.stat().st_mode & 0o777 == 0o700


async def _kill(client: BusClient):
    try:
        return await client.command_and_wait(
            _command(client.keys.instance, CommandAction.KILL, reason="demo acl"), timeout_s=30
        )
    finally:
        await client.close()


async def _refused(client: BusClient) -> bool:
    try:
        await client.load_snapshot()
        await client.send_command(_command(client.keys.instance, CommandAction.RESUME))
    except NoPermissionError:
        return True
    finally:
        await client.close()
    return False
