"""Recorder/Replayer file format, the reconnect policy, record → replay round trips, the bench."""

from __future__ import annotations

import asyncio
import contextlib
import time
from decimal import Decimal as D

import pytest
from live_fake_kalshi import FakeKalshiWs
from live_fake_polymarket import FakePolymarketWs
from live_sink import RecordingSink

from arbees_engine.adapters.kalshi.ws import KalshiBookStream
from arbees_engine.adapters.polymarket.ws import PolymarketBookStream, rest_book_fetcher
from arbees_engine.adapters.reconnect import ReconnectPolicy, percentile
from arbees_engine.adapters.recording import Recorder, Replayer, read_records, replay_into
from arbees_engine.ops.bench_reconnect import measure_reconnects


def test_records_round_trip_and_torn_tail_is_ignored(tmp_path):
    path = tmp_path / "rec.bin"
    with Recorder(path) as rec:
        rec.record("kalshi", '{"a": 1}', 100.0)
        rec.record("polymarket", b"\x00bytes", 100.5)
    with Recorder(path) as rec:  # appendable across runs
        rec.record("espn", "{}", 101.0)
    whole = path.read_bytes()
    path.write_bytes(whole + whole[:7])  # a crash mid-write of a 4th record
    records, torn = read_records(path)
    assert records == [("kalshi", 100.0, '{"a": 1}'), ("polymarket", 100.5, b"\x00bytes"), ("espn", 101.0, "{}")]
    assert torn == 1
    path.write_bytes(whole[:-2])  # torn inside the body of the last record
    assert read_records(path) == (records[:2], 1)


async def test_replayer_paces_by_speed(tmp_path):
    path = tmp_path / "rec.bin"
    with Recorder(path) as rec:
        for i in range(3):
            rec.record("kalshi", str(i), 1000.0 + i * 0.1)
    start = time.monotonic()
    assert [r async for r in Replayer(path, speed=2.0)] == [("kalshi", 1000.0 + i * 0.1, str(i)) for i in range(3)]
    assert time.monotonic() - start >= 0.09  # 0.2 s recorded at 2× speed
    with pytest.raises(ValueError):
        Replayer(path, speed=0)


def test_policy_full_jitter_growth_cap_and_healthy_reset():
    now = [0.0]
    policy = ReconnectPolicy(initial_s=0.1, cap_s=1.0, healthy_after_s=5.0, clock=lambda: now[0])
    delays = [policy.next_delay() for _ in range(12)]
    assert all(0 <= d <= 1.0 for d in delays) and policy.attempts == 12
    policy.on_connected()
    now[0] = 10.0
    policy.on_disconnected()  # up for 10 s ≥ 5 s: healthy, so the backoff starts over
    assert policy.attempts == 0 and policy.next_delay() <= 0.1
    now[0] = 10.4
    policy.on_book_message()
    assert policy.reconnect_times == [pytest.approx(0.4)]
    policy.on_connected()
    now[0] = 11.0
    policy.on_disconnected()  # up 0.6 s: not healthy, keep growing
    assert policy.attempts == 1
    assert percentile([1, 2, 3, 4], 50) == 2 and percentile([1, 2, 3, 4], 95) == 4


async def _run_until(stream, sink, body):
    task = asyncio.create_task(stream.run(sink))
    try:
        await body()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_kalshi_record_then_replay_reproduces_book_updates(tmp_path):
    path, ticker = tmp_path / "kalshi.bin", "KXT-1"
    sink = RecordingSink()
    books = {ticker: {"yes": {D("0.40"): D("5")}, "no": {D("0.55"): D("6")}}}
    async with FakeKalshiWs(books) as server:
        with Recorder(path) as rec:
            stream = KalshiBookStream(
                [ticker], url=server.url, recorder=rec, policy=ReconnectPolicy(initial_s=0.01, cap_s=0.1)
            )
            synced = lambda: sink.yes_view(f"kalshi:{ticker}") == server.yes_view(ticker)  # noqa: E731

            async def scenario():
                await sink.wait_for(synced)
                await server.delta(ticker, "yes", "0.41", "3")
                await server.delta(ticker, "yes", "0.40", "-5", fault="gap")
                await sink.wait_for(lambda: stream.stats["resyncs"] == 1 and synced())
                await server.drop()
                await sink.wait_for(lambda: server.connections == 2 and synced())
                await server.delta(ticker, "no", "0.55", "1", fault="duplicate")
                await sink.wait_for(synced)

            await _run_until(stream, sink, scenario)
    replayed = RecordingSink()
    await KalshiBookStream([ticker]).replay(Replayer(path), replayed)
    assert len(sink.updates) == 5  # snapshot, delta, resync snapshot, reconnect snapshot, delta
    assert replayed.updates == sink.updates
    replayed.assert_no_update_while_stale()


async def test_polymarket_record_then_replay_includes_rest_resync(tmp_path):
    path, asset = tmp_path / "pm.bin", "777"
    sink = RecordingSink()
    books = {asset: {"bids": {D("0.30"): D("10")}, "asks": {D("0.35"): D("4")}}}
    async with FakePolymarketWs(books) as server:
        with Recorder(path) as rec:
            stream = PolymarketBookStream(
                [asset], url=server.url, recorder=rec, fetch_book=rest_book_fetcher(server.rest_url)
            )
            synced = lambda: sink.yes_view(f"polymarket:{asset}") == server.yes_view(asset)  # noqa: E731

            async def scenario():
                await sink.wait_for(synced)
                await server.change(asset, "BUY", "0.31", "2")
                await server.change(asset, "SELL", "0.35", "0", fault="lost")
                await server.change(asset, "BUY", "0.29", "1")
                await sink.wait_for(lambda: server.rest_calls == 1 and synced())

            await _run_until(stream, sink, scenario)
    replayed = RecordingSink()
    await PolymarketBookStream([asset]).replay(Replayer(path), replayed)
    assert replayed.updates == sink.updates and sink.updates[-1].is_snapshot
    both = RecordingSink()  # one recording, several streams, dispatched by source
    n = await replay_into(Replayer(path), both, [KalshiBookStream([]), PolymarketBookStream([asset])])
    assert both.updates == sink.updates and n == len(read_records(path)[0])


async def test_bench_reconnect_meets_targets():
    result = await measure_reconnects(8, 0.05)
    assert result["count"] == 8
    assert result["p50"] < 1.0 and result["p95"] < 5.0
