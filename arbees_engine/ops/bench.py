"""`arbees-engine bench`: pipeline throughput and per-stage latency on the simulated world.

Default: drives the sim step by step through the full in-process pipeline (book → pricing → strategy →
risk → paper execution → portfolio), with the store and bus left out so the figures measure the
hot path itself. Prints book updates per second, peak RSS, and latency percentiles (ms) over the
WHOLE run (every sample, telemetry/histogram.py; percentiles read as a bucket's upper bound, ≤ 19 % high):
per stage, "tick_all" (book update in → evaluated, on every book update, not only those that made
a signal), "game_all" (live game state in → evaluated, every observation) and the event-loop lag
(how late a 50 ms timer fires while the sim's per-second bursts run; the sim has no wire, so "in"
is the dispatch of the decoded event).

`--store` (`run_store_bench`): the engine runs the sim in wall-clock time at `--speed` for `--for`
seconds against a private PostgreSQL (embedded, durable settings, in a temporary directory removed
afterwards; the bus left out), then shuts down cleanly. Prints the store writer's figures: rows
submitted, written, dropped, coalesced, backlog peak, write latency p50/p99 (ms), the shutdown
drain, and the row counts PostgreSQL holds afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import tempfile
import time
from pathlib import Path

from ..adapters.sim import SimWorld
from ..node.kernel import Engine
from ..settings import Settings
from ..telemetry.latency import LatencyRecorder
from .drive import drive_sim


async def run_bench(games: int = 50, sim_seconds: int = 1800, seed: int = 1) -> dict:
    """Run the benchmark; returns the figures it prints. Units: seconds, ms, MiB."""
    world = SimWorld(seed=seed, speed=None, n_games=games)
    engine = Engine(Settings(database_url=None, redis_url=None), [world], clock=world.clock.now, on_fill=world.consume)
    executor = asyncio.create_task(engine.jobs.run())
    looplag = asyncio.create_task(engine.ops.looplag.run())
    started = time.perf_counter()
    await drive_sim(engine, world, sim_seconds)
    wall = time.perf_counter() - started
    executor.cancel()
    looplag.cancel()
    summary = engine.summary()
    latency = engine.latency.whole_run()
    latency.update(tick_all=engine.ops.tick_latency.summary_ms(), game_all=engine.ops.game_latency.summary_ms())
    return {
        "games": games,
        "sim_seconds": sim_seconds,
        "wall_s": round(wall, 3),
        "book_updates": engine.counts["book_updates"],
        "game_states": engine.counts["game_states"],
        "book_updates_per_s": round(engine.counts["book_updates"] / wall, 1),
        "signals": sum(summary["signals_by_decision"].values()),
        "fills": summary["fills"],
        "realized_pnl": summary["realized_pnl"],
        "fees": summary["fees"],
        "identity_ok": summary["identity_ok"],
        "latency_ms": latency,
        "event_loop_lag_ms": engine.ops.looplag.histogram.summary_ms(),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def format_bench(r: dict) -> str:
    """Plain-text rendering of run_bench()'s figures."""
    lines = [
        f"games {r['games']}  sim {r['sim_seconds']} s in {r['wall_s']} s wall  "
        f"book updates {r['book_updates']} ({r['book_updates_per_s']}/s)  game states {r['game_states']}",
        f"signals {r['signals']}  fills {r['fills']}  realized P&L ${r['realized_pnl']}  fees ${r['fees']}  "
        f"identity {'holds' if r['identity_ok'] else 'BROKEN'}  peak RSS {r['peak_rss_mib']} MiB",
        "whole run, ms      p50       p95       p99     p99.9       max         n",
    ]
    rows = sorted(r["latency_ms"].items()) + [("event_loop_lag", r["event_loop_lag_ms"])]
    for stage, v in rows:
        lines.append(
            f"{stage:<16}{v['p50_ms']:>8.4f}{v['p95_ms']:>10.4f}{v['p99_ms']:>10.4f}{v['p999_ms']:>10.4f}"
            f"{v['max_ms']:>10.3f}{v['count']:>10}"
        )
    return "\n".join(lines)


_COUNTED_TABLES = ("games", "markets", "quotes", "signals", "audit_log")


async def run_store_bench(games: int = 200, speed: float = 10.0, seconds: float = 60.0, seed: int = 1) -> dict:
    """Run the sim at `speed` for `seconds` wall seconds with the store writer on a private PostgreSQL;
    returns the writer's figures (StoreWriter.figures, rows; ms), the drain report and table row counts."""
    from ..store.migrate import migrate
    from ..store.store import Store
    from .embedded import EmbeddedPostgres

    with tempfile.TemporaryDirectory(prefix="arbees-bench-") as tmp, contextlib.ExitStack() as stack:
        Path(tmp).chmod(0o755)  # noqa: ASYNC240 - once, before the run; the unprivileged server user must reach its cluster (when run as root)
        pg = stack.enter_context(EmbeddedPostgres(Path(tmp) / "pg", fast=False))
        dsn = await pg.create_database("bench")
        await migrate(dsn)
        store = await Store.connect(dsn)
        try:
            world = SimWorld(seed=seed, speed=speed, n_games=games)
            settings = Settings(database_url=dsn, redis_url=None, kill_file=Path(tmp) / "KILL")
            engine = Engine(settings, [world], store=store, clock=world.clock.now, on_fill=world.consume)
            started, lag, sim_start = time.perf_counter(), LatencyRecorder(window=100_000), world.clock.now()
            watcher = asyncio.create_task(_watch_loop_lag(lag))
            await engine.run(seconds)
            wall = time.perf_counter() - started
            watcher.cancel()
            sim_run = (world.clock.now() - sim_start).total_seconds()
            tables = {t: await store.count_rows(t) for t in _COUNTED_TABLES}
        finally:
            await store.close()
    return {
        "games": games,
        "speed": speed,
        "seconds": seconds,
        "wall_s": round(wall, 3),
        "sim_seconds": sim_run,
        "book_updates": engine.counts["book_updates"],
        "writer": engine.writer.figures(),
        "drain": engine.store_drain,
        "tables": tables,
        "loop_lag_ms": lag.percentiles()["loop_lag"].model_dump(),
    }


async def _watch_loop_lag(lag: LatencyRecorder, every_s: float = 0.05) -> None:
    """Record how late a `every_s` sleep wakes (ms): time the event loop spent unable to run tasks,
    which the store writer's latency includes."""
    while True:
        due = time.perf_counter_ns() + int(every_s * 1e9)
        await asyncio.sleep(every_s)
        lag.record("loop_lag", due)


def format_store_bench(r: dict) -> str:
    """Plain-text rendering of run_store_bench()'s figures."""
    w, d = r["writer"], r["drain"]
    return "\n".join(
        [
            f"games {r['games']}  speed {r['speed']}  for {r['seconds']} s ({r['wall_s']} s with shutdown)  "
            f"sim seconds run {r['sim_seconds']:.0f} (achieved speed {r['sim_seconds'] / r['seconds']:.1f})  "
            f"book updates {r['book_updates']}",
            f"store writer: submitted {w['submitted']}  written {w['written']}  dropped {w['dropped']}  "
            f"coalesced {w['coalesced']}  failed {w['failed']}  left {w['backlog']}",
            f"backlog peak {w['backlog_peak']} rows  write latency p50 {w['store_write_p50_ms']} ms  "
            f"p99 {w['store_write_p99_ms']} ms  queued→committed p50 {w['store_lag_p50_ms']} ms  "
            f"p99 {w['store_lag_p99_ms']} ms",
            "written by kind: " + "  ".join(f"{k}={v}" for k, v in sorted(w["written_by_kind"].items())),
            "dropped by kind: " + ("  ".join(f"{k}={v}" for k, v in sorted(w["dropped_by_kind"].items())) or "none"),
            f"shutdown drain: {sum(d['rows'].values())} rows in {d['seconds']} s, {d['left']} left",
            "PostgreSQL rows: " + "  ".join(f"{k}={v}" for k, v in r["tables"].items()),
            f"event loop lag (ms): p50 {r['loop_lag_ms']['p50_ms']}  p99 {r['loop_lag_ms']['p99_ms']}",
        ]
    )
