"""A signal approved while the execution queue is stalled (a fill retried through a store outage
blocks it) is checked again just before its first order intent: one that waited too long, whose
risk limit was used up meanwhile, or that would be sent while the store is behind is refused with
a counted reason, and nothing is sent for it (issue 11 review, finding 8)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg
import pytest
from engine_harness import sim_engine, sim_settings

from arbees_engine.model import Decision
from arbees_engine.node.kernel import Engine
from arbees_engine.ops.drive import drive_sim

EXPECTED = {
    "waits_too_long": (Decision.EXPIRED, "expired: "),
    "limit_used_up": (Decision.REJECTED, "risk_recheck: "),
    "store_behind": (Decision.REJECTED, "risk_recheck: control_plane_down"),
}


@dataclass
class Stall:
    """A test job that holds the execution queue until its event is set."""

    event: asyncio.Event


async def _step(engine: Engine, world, seconds: int, until=None) -> None:
    """drive_sim without awaiting the execution queue (it is blocked on purpose)."""
    for _ in range(seconds):
        for event in world.step():
            world._dispatch(engine, event)
        engine.housekeeping()
        await asyncio.sleep(0)
        if until is not None and until(engine):
            return


async def _orders_for(dsn: str, signal_ids: list[str]) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("SELECT count(*) FROM orders WHERE signal_id = ANY($1)", signal_ids)
    finally:
        await conn.close()


async def _meanwhile(case: str, engine: Engine, world, queued: dict) -> asyncio.Event | None:
    """What happens while the signals wait; returns the store writer's hold for "store_behind"."""
    if case == "waits_too_long":
        await _step(engine, world, int(engine.settings.strategy.manual_expiry_s) + 2)
    elif case == "limit_used_up":  # what the games already hold is all the limit allows now
        used = max(engine.portfolio.exposure_by_game(s.game_id) for s in queued.values())
        for gate in (engine.trader.gate, engine.trader.send_gate):
            gate.limits = gate.limits.model_copy(update={"max_game_exposure": used})
    else:
        hold = asyncio.Event()
        engine.writer.submit("hold", hold.wait)
        for n in range(engine.writer.unhealthy_backlog + 1):  # a burst of rows while the store is slow
            engine.audit("test", "burst", str(n), "")
        assert not engine.store_ok
        return hold
    return None


@pytest.mark.parametrize("case", list(EXPECTED))
async def test_a_signal_queued_behind_a_stalled_execution_is_checked_again_before_it_is_sent(pg_dsn, redis_url, case):
    settings = sim_settings(pg_dsn, redis_url, store_backlog_unhealthy=300)
    async with sim_engine(settings, seed=7) as (engine, world, _store):
        await drive_sim(engine, world, 15 * 60, until=lambda e: e.executor.orders >= 1)
        stall = asyncio.Event()
        engine.jobs.handle(Stall, lambda job: job.event.wait())
        engine.jobs.put(Stall(stall))  # the execution in front of the queue does not finish
        await _step(engine, world, 20 * 60, until=lambda e: bool(e.signal_book.reserved))
        queued = dict(engine.signal_book.reserved)
        assert queued, "no signal was approved behind the stall"
        orders = engine.executor.orders
        hold = await _meanwhile(case, engine, world, queued)
        stall.set()
        await engine.settle_queue()  # the queue runs (the store still behind when it is held)
        if hold is not None:
            hold.set()
        for signal in queued.values():
            assert signal.decision is EXPECTED[case][0] and signal.reason.startswith(EXPECTED[case][1]), signal.reason
            assert case != "limit_used_up" or "game_exposure" in signal.reason, signal.reason
        assert not [o for o in engine.executor.recent_orders.values() if o.signal_id in queued]
        assert case == "waits_too_long" or engine.executor.orders == orders  # later approvals may go in time
        refused = sum(n for k, n in engine.input_rejections.items() if k.startswith("execution:send_recheck_"))
        assert refused == len(queued) or (case == "waits_too_long" and refused > len(queued))
    assert await _orders_for(pg_dsn, list(queued)) == 0
