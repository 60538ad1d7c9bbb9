"""Operator alerts delivered through apprise's JSON notifier to a local HTTP endpoint on 127.0.0.1,
from a running engine on real PostgreSQL and Redis: engine start and stop, kill switch engaged and
lifted, trading halted, a venue gone stale, the daily loss limit reached; audit-path alerts (order
outcome unknown, legged arbitrage, settlement unlike the score); deduplication, rate limit and
counted failures."""

from __future__ import annotations

import asyncio

import pytest
from alert_sink import AlertSink
from harness import command
from ops_harness import ops_engine, ops_settings

from arbees_engine.bus.client import BusClient
from arbees_engine.bus.messages import CommandAction
from arbees_engine.model import Venue
from arbees_engine.node.kernel import Engine
from arbees_engine.ops.drive import drive_sim
from arbees_engine.settings import Settings
from arbees_engine.telemetry.alerts import Alert, AlertSender


@pytest.fixture
def sink():
    endpoint = AlertSink()
    yield endpoint
    endpoint.close()


async def _command(settings, action: CommandAction, **fields):
    client = BusClient(settings.redis_url, settings.instance)
    try:
        cmd = command(action, instance=settings.instance, **fields)
        ack = await client.command_and_wait(cmd, timeout_s=10.0)
    finally:
        await client.close()
    assert ack is not None and ack.ok, ack
    return ack


async def _arrives(sink: AlertSink, title: str) -> dict:
    return await asyncio.to_thread(sink.wait_for, title)


async def test_engine_events_reach_the_operator(pg_dsn, redis_url, sink):
    settings = ops_settings(pg_dsn, redis_url, ops={"alert_urls": [sink.url]}, limits={"daily_loss_limit": "0.01"})
    async with ops_engine(settings) as (engine, world):
        assert "ops-test" in (await _arrives(sink, "Engine started"))["message"]
        await drive_sim(engine, world, 600, until=lambda e: e.executor.fills >= 1)
        await asyncio.wait_for(engine.ops.ready_event.wait(), 10)
        loss = await _arrives(sink, "Daily loss limit reached")  # fees alone pass a $0.01 limit
        assert loss["type"] == "failure"

        await _command(settings, CommandAction.KILL, reason="test kill")
        assert "test kill" in (await _arrives(sink, "Kill switch engaged"))["message"]
        await _command(settings, CommandAction.RESUME)
        assert "tester" in (await _arrives(sink, "Kill switch lifted"))["message"]
        await _command(settings, CommandAction.SET_MODE, mode="halted")
        await _arrives(sink, "Trading halted")

        for market_id, market in engine.registry.markets.items():
            if market.venue is Venue.KALSHI:
                engine.on_book_stale(market_id, "test: feed silent")
        assert "kalshi" in (await _arrives(sink, "Venue kalshi stale"))["message"]
        assert engine.ops.stale_marks[("kalshi", "test:")] == sum(
            m.venue is Venue.KALSHI for m in engine.registry.markets.values()
        )
    await _arrives(sink, "Engine stopped")
    assert engine.ops.alerts.counts["failed"] == 0
    assert engine.ops.alerts.counts["sent"] == len(sink.received)
    print("\nalerts received:", sink.titles())


async def test_audit_path_alerts(sink):
    """The executor and settlement call engine.audit with these actions (execution/engine.py,
    portfolio/settlement.py); each becomes one alert, repeats of the same entity are deduplicated."""
    engine = Engine(Settings(database_url=None, redis_url=None, ops={"alert_urls": [sink.url]}), [])
    engine.audit("engine", "order_outcome_unknown", "cid-1", "timeout after send")
    engine.audit("engine", "order_outcome_unknown", "cid-1", "timeout after send")  # same order: once
    engine.audit("engine", "arb_legged", "sig-1", "3 contracts of the first leg are unhedged")
    engine.audit("engine", "settlement_mismatch", "kalshi:X", "venue says NO, score says YES")
    engine.audit("engine", "fill", "f-1", "yes 3 kalshi:X @ 0.5 fee 0.02")  # not an alert
    for title in ("Order outcome unknown", "Arbitrage legged", "Settlement unlike the score"):
        await _arrives(sink, title)
    await asyncio.to_thread(engine.ops.alerts.close)
    assert sorted(sink.titles()) == ["Arbitrage legged", "Order outcome unknown", "Settlement unlike the score"]
    assert engine.ops.alerts.counts["deduplicated"] == 1


def test_rate_limit_and_dedupe_with_a_clock():
    now = [0.0]
    sender = AlertSender(["json://127.0.0.1:9/x"], dedupe_s=60, per_minute=2, clock=lambda: now[0])
    sender._ensure_worker = lambda: None  # counting only: nothing is delivered in this test
    assert sender.send(Alert("a", "A", "body"))
    assert not sender.send(Alert("a", "A", "body"))  # same key within 60 s
    assert sender.send(Alert("b", "B", "body"))
    assert not sender.send(Alert("c", "C", "body"))  # third in a minute
    now[0] = 61.0
    assert sender.send(Alert("a", "A", "body"))
    assert sender.counts == {"queued": 3, "sent": 0, "failed": 0, "deduplicated": 1, "rate_limited": 1, "dropped": 0}


def test_a_failed_delivery_is_counted():
    closed = AlertSink()
    url = closed.url
    closed.close()  # nothing listens on that port now
    sender = AlertSender([url])
    assert sender.send(Alert("k", "Kill switch engaged", "x"))
    sender.close(timeout_s=30)
    assert sender.counts["failed"] == 1 and sender.counts["sent"] == 0


def test_no_urls_means_logged_only():
    sender = AlertSender([])
    assert not sender.send(Alert("k", "t", "b"))
    assert sender.counts["queued"] == 0
