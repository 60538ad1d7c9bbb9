"""`arbees-engine bench`: pipeline throughput and per-stage latency on the simulated world.

Drives the sim step by step through the full in-process pipeline (book → pricing → strategy →
risk → paper execution → portfolio), with the store and bus left out so the figures measure the
hot path itself. Prints book updates per second, per-stage latency percentiles (ms) and peak RSS.
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
    started = time.perf_counter()
    await drive_sim(engine, world, sim_seconds)
    wall = time.perf_counter() - started
    executor.cancel()
    summary = engine.desk.summary()
    return {
        "games": games, "sim_seconds": sim_seconds, "wall_s": round(wall, 3),
        "book_updates": engine.counts["book_updates"], "game_states": engine.counts["game_states"],
        "book_updates_per_s": round(engine.counts["book_updates"] / wall, 1),
        "signals": sum(summary["signals_by_decision"].values()), "fills": summary["fills"],
        "realized_pnl": summary["realized_pnl"], "fees": summary["fees"], "identity_ok": summary["identity_ok"],
        "latency_ms": {k: v.model_dump() for k, v in engine.latency.percentiles().items()},
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def format_bench(r: dict) -> str:
    """Plain-text rendering of run_bench()'s figures."""
    lines = [f"games {r['games']}  sim {r['sim_seconds']} s in {r['wall_s']} s wall  "
             f"book updates {r['book_updates']} ({r['book_updates_per_s']}/s)  game states {r['game_states']}",
             f"signals {r['signals']}  fills {r['fills']}  realized P&L ${r['realized_pnl']}  fees ${r['fees']}  "
             f"identity {'holds' if r['identity_ok'] else 'BROKEN'}  peak RSS {r['peak_rss_mib']} MiB",
             "stage              p50 ms    p95 ms    p99 ms       n"]
    for stage, v in sorted(r["latency_ms"].items()):
        lines.append(f"{stage:<16}{v['p50_ms']:>9.4f}{v['p95_ms']:>10.4f}{v['p99_ms']:>10.4f}{v['count']:>8}")
    return "\n".join(lines)
