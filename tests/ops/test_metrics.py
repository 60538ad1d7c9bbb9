"""A real scrape of /metrics (httpx to 127.0.0.1) parsed by prometheus-client's own text parser,
while the simulated world runs through an engine on real PostgreSQL and Redis; /healthz, /readyz."""

from __future__ import annotations

import asyncio

import httpx
from ops_harness import ops_engine, ops_settings
from prometheus_client.parser import text_string_to_metric_families

from arbees_engine.ops.drive import drive_sim


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def _scrape(client: httpx.AsyncClient, port: int) -> dict:
    response = await client.get(f"http://127.0.0.1:{port}/metrics")
    assert response.status_code == 200
    return _samples(response.text)


async def test_scrape_while_the_sim_runs(pg_dsn, redis_url):
    settings = ops_settings(pg_dsn, redis_url, ops={"metrics_port": 0})
    async with ops_engine(settings) as (engine, world), httpx.AsyncClient(timeout=10) as client:
        port = engine.ops.metrics.port
        assert (await client.get(f"http://127.0.0.1:{port}/healthz")).text == "ok\n"
        before = await _scrape(client, port)
        assert before[("arbees_book_updates_total", ())] == 0
        await drive_sim(engine, world, 240)
        await asyncio.wait_for(engine.ops.ready_event.wait(), 10)
        after = await _scrape(client, port)
        ready = await client.get(f"http://127.0.0.1:{port}/readyz")
        status = engine.status_view()
    assert {"event_loop_lag", "tick_all", "game_all"} <= set(status.latency)
    assert status.counts["loop_lag_max_us"] >= 0
    ticks = {k[1][0][1]: v for k, v in after.items() if k[0] == "arbees_ticks_total"}
    assert set(ticks) == {"kalshi", "polymarket"} and all(v > 0 for v in ticks.values())
    assert after[("arbees_book_updates_total", ())] == sum(ticks.values())
    assert status.latency["tick_all"].count == sum(ticks.values())  # every tick, not only signal ticks
    assert after[("arbees_game_states_total", ())] > before[("arbees_game_states_total", ())]
    assert after[("arbees_tick_to_decision_seconds_count", ())] == sum(ticks.values())
    assert after[("arbees_event_loop_lag_seconds_count", ())] > 0
    assert after[("arbees_store_write_seconds_count", ())] > before[("arbees_store_write_seconds_count", ())]
    assert after[("arbees_store_write_seconds_sum", ())] > 0
    assert sum(v for k, v in after.items() if k[0] == "arbees_signals_total") > 0
    assert sum(v for k, v in after.items() if k[0] == "arbees_orders_total") == engine.executor.orders > 0
    assert after[("arbees_bankroll_dollars", ())] > 0
    assert after[("arbees_up", (("part", "store"),))] == 1.0
    assert ("arbees_exposure_dollars", (("sport", "soccer"),)) in after
    assert (ready.status_code, ready.text) == (200, "ready\n")


async def test_a_taken_port_does_not_stop_the_engine(pg_dsn, redis_url):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = ops_settings(pg_dsn, redis_url, ops={"metrics_port": taken.getsockname()[1]})
        async with ops_engine(settings) as (engine, world):
            await drive_sim(engine, world, 5)
            assert engine.ops.metrics is None and engine.counts["book_updates"] > 0


async def test_metrics_off_by_default(pg_dsn, redis_url):
    async with ops_engine(ops_settings(pg_dsn, redis_url)) as (engine, _world):
        assert engine.ops.metrics is None
