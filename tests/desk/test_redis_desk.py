"""The desk against a real Redis (127.0.0.1) and a fake engine speaking the bus layout."""

from __future__ import annotations

import asyncio
import itertools
from decimal import Decimal

import pytest

from arbees_engine.bus.messages import CommandAction
from arbees_tui.app import ArbeesApp
from arbees_tui.panels.header import HaltedBanner, HeaderBar
from arbees_tui.panels.signals import PendingTable
from arbees_tui.sample import sample_snapshot
from arbees_tui.source import RedisSource

from .deskkit import ALICE, NOW, settle, wait_for
from .fake_engine import FakeEngine


def desk(url: str) -> ArbeesApp:
    ids = itertools.count(1)
    return ArbeesApp(
        RedisSource(url, "default"),
        key=ALICE,
        clock=lambda: NOW,
        frozen=True,
        new_id=lambda: f"r-{next(ids):04d}",
        heartbeat_interval_s=0.05,
    )


@pytest.fixture
async def engine(redis_url):
    fake = FakeEngine(redis_url)
    task = asyncio.create_task(fake.serve_commands())
    yield fake
    task.cancel()
    await fake.close()


async def test_attach_reads_snapshot_then_tails_without_doubling(redis_url, engine):
    snap = sample_snapshot(NOW, mode="manual")
    await engine.seed(snap, stream_events=5)  # events 1..5 are already in the snapshot
    await engine.beat()
    app = desk(redis_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.state.last_event_id == "5-0" and app.state.events_applied == 0
        game = app.state.games["g0000"]
        await engine.publish(game.model_copy(update={"home_score": 42}))
        await wait_for(pilot, lambda: app.state.games["g0000"].home_score == 42)
        assert app.state.events_applied == 1 and app.state.last_event_id == "6-0"


async def test_kill_hotkey_round_trip_over_redis(redis_url, engine):
    await engine.seed(sample_snapshot(NOW))
    await engine.beat()
    app = desk(redis_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "confirm-reason")
        await pilot.press(*"drill", "enter")  # typing replaces the prefilled reason; enter confirms
        await wait_for(
            pilot,
            lambda: app.state.commands.get("r-0001") is not None and app.state.commands["r-0001"].status == "done",
        )
        assert engine.commands[0].action == CommandAction.KILL and engine.commands[0].operator == "alice"
        assert engine.commands[0].reason == "drill"
        await wait_for(pilot, lambda: app.state.engine.kill_operator == "alice")
        assert app.state.engine.kill_reason == "drill"
        app.tick()
        await pilot.pause()
        assert app.screen.query_one(HaltedBanner).display
        assert "HALTED" in str(app.screen.query_one(HeaderBar).render())


async def test_stale_approval_is_refused_with_engine_detail(redis_url, engine):
    await engine.seed(sample_snapshot(NOW, mode="manual"))
    await engine.beat()
    engine.refuse_versions_below["s-003"] = 3  # the engine has a newer version than the desk saw
    app = desk(redis_url)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await wait_for(
            pilot,
            lambda: app.state.commands.get("r-0001") is not None and app.state.commands["r-0001"].status == "refused",
        )
        assert engine.commands[0].signal_version == 2
        app.tick()
        cell = str(app.screen.query_one(PendingTable).get_cell("s-003", "cmd"))
        assert "refused" in cell and "stale signal version 2 < 3" in cell


async def test_engine_offline_then_back_resyncs(redis_url, engine):
    await engine.seed(sample_snapshot(NOW))
    await engine.beat(pid=1)
    app = desk(redis_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        attaches = app.feed.attaches
        await engine.redis.delete(engine.keys.heartbeat)
        await wait_for(pilot, lambda: app.state.heartbeat is None)
        app.tick()
        assert "OFFLINE" in str(app.screen.query_one(HeaderBar).render())
        # the engine restarts with new state; the stream restarts too
        engine.seq = 0
        await engine.seed(sample_snapshot(NOW, games=3))
        await engine.beat(pid=2)
        await wait_for(pilot, lambda: app.feed.attaches > attaches and len(app.state.games) == 3)
        app.tick()
        assert "ONLINE" in str(app.screen.query_one(HeaderBar).render())


async def test_redis_restart_reconnects_and_resyncs(private_redis):
    fake = FakeEngine(private_redis.url)
    await fake.seed(sample_snapshot(NOW))
    await fake.beat()
    app = desk(private_redis.url)
    app.feed.max_backoff_s = 0.3
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await fake.close()
        private_redis.stop()
        await wait_for(pilot, lambda: app.link == "down", timeout_s=10)
        await pilot.press("down")  # still responsive while the link is down
        assert app.is_running and any("link" in e for e in app.errors)
        private_redis.start()
        fake = FakeEngine(private_redis.url)
        snap = sample_snapshot(NOW, games=2)
        snap.entities["bankroll"]["bankroll"] = snap.entities["bankroll"]["bankroll"].model_copy(
            update={"equity": Decimal("9999.00")}
        )
        await fake.seed(snap)
        await fake.beat()
        await wait_for(pilot, lambda: app.link == "connected" and len(app.state.games) == 2, timeout_s=15)
        assert app.state.bankroll.equity == Decimal("9999.00")
        await fake.close()
