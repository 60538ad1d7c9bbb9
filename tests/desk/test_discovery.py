"""Issue 15: the desk and the CLI find a running engine by its discovery record (also the demo's,
whose instance is "demo"), and a desk follows the engine to its new endpoints after a restart."""

from __future__ import annotations

import argparse

import pytest
import redis

from arbees_engine.bus.discovery import resolve_instance, running_instances, write_embedded_urls
from arbees_engine.settings import Settings
from arbees_tui.source import RedisSource


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    """A private user data dir (platformdirs honours XDG_DATA_HOME)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("ARBEES_INSTANCE", raising=False)
    monkeypatch.delenv("ARBEES_REDIS_URL", raising=False)
    return tmp_path


def test_the_only_running_engine_is_found_when_no_instance_is_named(data_home):
    assert running_instances() == [] and resolve_instance("default", explicit=False) == "default"
    write_embedded_urls("demo", "postgresql://x", "redis://127.0.0.1:1/0")
    assert running_instances() == ["demo"]
    assert resolve_instance("default", explicit=False) == "demo"
    assert resolve_instance("default", explicit=True) == "default"  # --instance default means default
    write_embedded_urls("night", "postgresql://y", "redis://127.0.0.1:2/0")
    assert resolve_instance("default", explicit=False) == "default"  # two: ambiguous, nothing guessed
    write_embedded_urls("default", "postgresql://z", "redis://127.0.0.1:3/0")
    assert resolve_instance("default", explicit=False) == "default"


def test_the_cli_finds_the_demo_without_instance(data_home, capsys):
    from arbees_engine.cli import _find_instance

    write_embedded_urls("demo", "postgresql://x", "redis://127.0.0.1:1/0")
    args = argparse.Namespace(command="status", instance=None)
    assert _find_instance(Settings(), args).instance == "demo"
    assert "'demo' (the only running engine" in capsys.readouterr().err
    assert _find_instance(Settings(), argparse.Namespace(command="status", instance="x")).instance == "default"
    assert _find_instance(Settings(), argparse.Namespace(command="run", instance=None)).instance == "default"


async def test_a_desk_follows_the_engine_to_its_new_endpoints_after_a_restart(data_home, private_redis):
    dead = "redis://127.0.0.1:9/0"  # the restarted engine's old Redis: nothing listens there now
    record = {"url": dead}
    source = RedisSource(dead, "demo", resolve=lambda: record["url"])
    with pytest.raises(redis.ConnectionError):
        await source.load_snapshot()
    record["url"] = private_redis.url  # the engine came back and wrote its new record
    await source.reset()  # what the feed does after an error
    assert source.redis_url == private_redis.url and source.follows == 1
    snapshot = await source.load_snapshot()
    assert snapshot.engine is None and snapshot.entities == {}
    await source.close()


async def test_the_demo_desk_follows_a_restarted_demo_engine_to_its_new_endpoints(data_home, private_redis):
    """`arbees demo` hands the desk the URL it read from the engine's record (args.redis set): the
    desk must still re-read that record after a link error, or it retries the dead port forever."""
    from arbees_tui.cli import desk_source

    dead = "redis://127.0.0.1:9/0"
    write_embedded_urls("demo", "postgresql://x", dead, {"operator": dead})
    args = argparse.Namespace(redis=dead, follow_record=True, instance="demo", read_only=False)
    source = desk_source(args)
    with pytest.raises(redis.ConnectionError):
        await source.load_snapshot()
    write_embedded_urls("demo", "postgresql://x", private_redis.url, {"operator": private_redis.url})
    await source.reset()  # what the feed does after an error
    assert source.redis_url == private_redis.url and source.follows == 1
    assert (await source.load_snapshot()).entities == {}
    await source.close()
    # a desk on a configured --redis stays where it was told
    fixed = desk_source(argparse.Namespace(redis=dead, instance="demo", read_only=False))
    await fixed.reset()
    assert fixed.redis_url == dead and fixed.follows == 0
    await fixed.close()
