"""Opening live Polymarket trading at engine start (ops/builder.py `start_polymarket_live`), against
the local fake CLOB: credentials created into a 0600 file, pUSD checked, broker and heartbeats wired."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from eth_account import Account
from live_fake_clob import FakeClob

from arbees_engine.adapters.live import LIVE_AUTHORIZATION_PHRASE
from arbees_engine.adapters.polymarket.broker import PolymarketLiveBroker
from arbees_engine.adapters.polymarket.live_setup import HeartbeatAdapter, PolymarketLiveStartError
from arbees_engine.model import Venue
from arbees_engine.node.kernel import Engine
from arbees_engine.ops.builder import start_polymarket_live
from arbees_engine.settings import Settings

KEY = "0x" + "5d" * 32
ADDRESS = Account.from_key(KEY).address


def _settings(fake: FakeClob, tmp_path: Path, live: str = "kalshi,polymarket") -> Settings:
    key_file = tmp_path / "secrets" / "polymarket.key"
    key_file.parent.mkdir(mode=0o700)
    key_file.write_text(KEY)
    os.chmod(key_file, 0o600)
    return Settings(
        database_url=None,
        redis_url=None,
        live=live,
        live_authorization=LIVE_AUTHORIZATION_PHRASE,
        endpoints={
            "polymarket_clob_url": fake.url,
            "polymarket_private_key_file": key_file,
            "polymarket_heartbeat_s": 0.05,
        },
    )


def test_arbees_live_names_venues():
    assert Settings(live="polymarket, kalshi").live_venues == {"kalshi", "polymarket"}
    assert Settings(live="1").live_venues == {"kalshi"} and Settings(live=True).live_venues == {"kalshi"}
    assert Settings(live="0").live_venues == frozenset() and not Settings().live
    with pytest.raises(ValueError, match="ARBEES_LIVE names kraken"):
        Settings(live="kalshi,kraken")


async def test_a_live_start_creates_the_api_key_checks_pusd_and_keeps_heartbeats(tmp_path: Path):
    with FakeClob(ADDRESS) as fake:
        settings = _settings(fake, tmp_path)
        engine = Engine(settings, [])
        assert await start_polymarket_live(engine, settings)
        broker = engine.live_brokers[Venue.POLYMARKET]
        assert isinstance(broker, PolymarketLiveBroker)
        api_file = tmp_path / "secrets" / "polymarket-api-key.json"
        assert oct(api_file.stat().st_mode & 0o777) == "0o600" and fake.api_secret in api_file.read_text()
        (heartbeat,) = [a for a in engine.adapters if isinstance(a, HeartbeatAdapter)]
        task = asyncio.create_task(heartbeat.run(engine.data))
        while heartbeat.keeper.beats < 2:
            await heartbeat.keeper.wait_changed(5)
        assert not broker.halted and fake.heartbeats >= 2
        heartbeat.keeper.stop()
        await asyncio.wait_for(task, 5)


async def test_a_live_start_without_pusd_is_refused_with_the_reason(tmp_path: Path):
    with FakeClob(ADDRESS) as fake:
        fake.balance = "0"
        settings = _settings(fake, tmp_path)
        engine = Engine(settings, [])
        with pytest.raises(PolymarketLiveStartError, match=r"pUSD balance \$0 .* below"):
            await start_polymarket_live(engine, settings)
        assert Venue.POLYMARKET not in engine.live_brokers


async def test_polymarket_stays_paper_unless_arbees_live_names_it(tmp_path: Path):
    with FakeClob(ADDRESS) as fake:
        settings = _settings(fake, tmp_path, live="1")
        engine = Engine(settings, [])
        assert not await start_polymarket_live(engine, settings)
        assert Venue.POLYMARKET not in engine.live_brokers and not fake.requests
