"""`arbees-engine bench`: pipeline throughput and per-stage latency on the simulated world.

Drives the sim step by step through the full in-process pipeline (book → pricing → strategy →
risk → paper execution → portfolio), with the store and bus left out so the figures measure the
hot path itself. Prints book updates per second, peak RSS, and latency percentiles (ms) over the
WHOLE run (every sample, ops/histogram.py; percentiles read as a bucket's upper bound, ≤ 19 % high):
per stage, "tick_all" (book update in → evaluated, on every book update, not only those that made
a signal), "game_all" (live game state in → evaluated, every observation) and the event-loop lag
(how late a 50 ms timer fires while the sim's per-second bursts run; the sim has no wire, so "in"
is the dispatch of the decoded event).
"""

from __future__ import annotations

import asyncio
import resource
import time

from ..adapters.sim import SimWorld
from ..settings import Settings
from .drive import drive_sim
from .engine import Engine


async def run_bench(games: int = 50, sim_seconds: int = 1800, seed: int = 1) -> dict:
    """Run the benchmark; returns the figures it prints. Units: seconds, ms, MiB."""
    world = SimWorld(seed=seed, speed=None, n_games=games)
    engine = Engine(Settings(database_url=None, redis_url=None), [world], clock=world.clock.now, on_fill=world.consume)
    executor = asyncio.create_task(engine.desk.run_executor())
    looplag = asyncio.create_task(engine.ops.looplag.run())
    started = time.perf_counter()
    await drive_sim(engine, world, sim_seconds)
    wall = time.perf_counter() - started
    executor.cancel()
    looplag.cancel()
    summary = engine.desk.summary()
    latency = engine.latency.whole_run()
    latency.update(tick_all=engine.ops.tick_latency.summary_ms(), game_all=engine.ops.game_latency.summary_ms())
    return {
        "games": games, "sim_seconds": sim_seconds, "wall_s": round(wall, 3),
        "book_updates": engine.counts["book_updates"], "game_states": engine.counts["game_states"],
        "book_updates_per_s": round(engine.counts["book_updates"] / wall, 1),
        "signals": sum(summary["signals_by_decision"].values()), "fills": summary["fills"],
        "realized_pnl": summary["realized_pnl"], "fees": summary["fees"], "identity_ok": summary["identity_ok"],
        "latency_ms": latency, "event_loop_lag_ms": engine.ops.looplag.histogram.summary_ms(),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def format_bench(r: dict) -> str:
    """Plain-text rendering of run_bench()'s figures."""
    lines = [f"games {r['games']}  sim {r['sim_seconds']} s in {r['wall_s']} s wall  "
             f"book updates {r['book_updates']} ({r['book_updates_per_s']}/s)  game states {r['game_states']}",
             f"signals {r['signals']}  fills {r['fills']}  realized P&L ${r['realized_pnl']}  fees ${r['fees']}  "
             f"identity {'holds' if r['identity_ok'] else 'BROKEN'}  peak RSS {r['peak_rss_mib']} MiB",
             "whole run, ms      p50       p95       p99     p99.9       max         n"]
    rows = sorted(r["latency_ms"].items()) + [("event_loop_lag", r["event_loop_lag_ms"])]
    for stage, v in rows:
        lines.append(f"{stage:<16}{v['p50_ms']:>8.4f}{v['p95_ms']:>10.4f}{v['p99_ms']:>10.4f}{v['p999_ms']:>10.4f}"
                     f"{v['max_ms']:>10.3f}{v['count']:>10}")
    return "\n".join(lines)
