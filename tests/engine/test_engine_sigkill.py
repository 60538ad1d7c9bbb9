"""SIGKILL the real engine process at random (seeded) moments and restart it on the same database:
nothing booked is lost or doubled, and each restart's reconciliation leaves no order open.

The engine runs as `arbees-engine run --venue sim --speed max` against the test's PostgreSQL and
Redis. A kill lands at a moment chosen from what the store shows (the engine's connection
appearing, i.e. during start-up and restore; n more orders; n more fills; one more settlement),
polled with deadlines. After every restart (its status on the bus says it started) the ledger
invariants (ledger_invariants.py) are checked in SQL, and the paper orders the kill left open
must have been closed by the restart's reconciliation.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from ledger_invariants import ledger_totals, open_paper_orders, violations

from arbees_engine.bus.client import BusClient

KILLS = 21
SEED = 20261204
RUN_DEADLINE_S = 90.0  # one engine life may take this long to reach its kill moment (a loaded 2-core CI box)
ENGINE = Path(sys.executable).with_name("arbees-engine")


async def _until(probe, what: str, timeout_s: float = RUN_DEADLINE_S):
    """Poll the async `probe()` until it returns a truthy value (returned); fail after `timeout_s`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not (value := await probe()):
        assert loop.time() < deadline, f"{what} not reached within {timeout_s} s"
        await asyncio.sleep(0.02)
    return value


def _moment(rng: random.Random) -> tuple[str, int]:
    """Where the next kill lands: ("connect", 0), ("orders", n), ("fills", n) or ("settlements", 1)."""
    kind = rng.choices(["connect", "orders", "fills", "settlements"], weights=[2, 4, 3, 1])[0]
    return kind, {"connect": 0, "orders": rng.randint(1, 4), "fills": rng.randint(1, 3), "settlements": 1}[kind]


class EngineLife:
    """One `arbees-engine run` process on the test's servers."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env, self.log_path = env, log_path
        self.proc: asyncio.subprocess.Process | None = None
        self.spawned_at = datetime.now(UTC)

    async def start(self, seed: int) -> None:
        self.spawned_at = datetime.now(UTC)
        log = self.log_path.open("ab")
        try:
            self.proc = await asyncio.create_subprocess_exec(
                str(ENGINE),
                "run",
                "--venue",
                "sim",
                "--speed",
                "max",
                "--seed",
                str(seed),
                "--games",
                "6",
                env=self.env,
                stdout=log,
                stderr=log,
                stdin=asyncio.subprocess.DEVNULL,
            )
        finally:
            log.close()

    async def kill(self) -> None:
        assert self.proc is not None and self.proc.returncode is None, "the engine exited before its kill"
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> int:
        if self.proc is None or self.proc.returncode is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), 60)


async def _backends(conn: asyncpg.Connection) -> set[int]:
    """Server pids of the other connections to the test's database (the engine's)."""
    rows = await conn.fetch(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    return {r[0] for r in rows}


async def _started(bus: BusClient, life: EngineLife):
    """The engine's status once this life published it (restore and reconciliation are done)."""
    snap = await bus.load_snapshot(audit_limit=0)
    status = snap.engine
    return status if status is not None and status.started_at >= life.spawned_at else None


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_sigkill_at_random_moments_loses_nothing_and_reconciles_every_order(pg_dsn, redis_url, tmp_path):
    rng = random.Random(SEED)
    env = {
        **os.environ,
        "ARBEES_DATABASE_URL": pg_dsn,
        "ARBEES_REDIS_URL": redis_url,
        "ARBEES_INSTANCE": "killtest",
        "ARBEES_KILL_FILE": str(tmp_path / "KILL"),
        "PYTHONUNBUFFERED": "1",
    }
    conn = await asyncpg.connect(pg_dsn)
    bus = BusClient(redis_url, "killtest")
    life = EngineLife(env, tmp_path / "engine.log")
    breaches: list[str] = []
    recovered: dict[str, int] = {}
    kills = 0
    left_open: set[str] = set()
    try:
        for kills in range(1, KILLS + 1):
            kind, n = _moment(rng)
            before, old_backends = await ledger_totals(conn), await _backends(conn)
            await life.start(seed=rng.randint(1, 10_000))
            if kind == "connect":  # during migrate / restore / reconciliation
                await _until(lambda old=old_backends: _new_backend(conn, old), f"kill {kills}: engine connection")
            else:
                status = await _until(lambda: _started(bus, life), f"kill {kills}: engine start")
                _note_recovered(recovered, status.counts)
                assert not (still := left_open & await open_paper_orders(conn)), (
                    f"kill {kills}: reconciliation left {sorted(still)} open"
                )
                breaches += [f"after restart {kills}: {v}" for v in await violations(conn)]
                target = before[kind] + n
                await _until(
                    lambda kind=kind, target=target: _reached(conn, kind, target), f"kill {kills}: {n} more {kind}"
                )
            await life.kill()
            left_open = await open_paper_orders(conn)

        await life.start(seed=1)  # the last restart, then a clean stop
        status = await _until(lambda: _started(bus, life), "final engine start")
        _note_recovered(recovered, status.counts)
        assert not (still := left_open & await open_paper_orders(conn)), (
            f"final reconciliation left {sorted(still)} open"
        )
        assert await life.stop() == 0
        breaches += [f"after the clean stop: {v}" for v in await violations(conn)]
        assert not await open_paper_orders(conn), "a clean stop left paper orders open"
        totals = await ledger_totals(conn)
        print(
            f"\nSIGKILL test: kills={kills} orders={totals['orders']} fills={totals['fills']} "
            f"settlements={totals['settlements']} realized={totals['realized_pnl']} fees={totals['fees']} "
            f"recovered={recovered} invariant violations={len(breaches)}"
        )
        assert breaches == []
        assert totals["fills"] > 0 and totals["settlements"] > 0, "the runs never traded: the test proves nothing"
    finally:
        await life.stop()
        await bus.close()
        await conn.close()


async def _new_backend(conn: asyncpg.Connection, old: set[int]) -> bool:
    return bool(await _backends(conn) - old)


async def _reached(conn: asyncpg.Connection, kind: str, target: int) -> bool:
    return (await ledger_totals(conn))[kind] >= target


def _note_recovered(total: dict[str, int], counts: dict[str, int]) -> None:
    for key, value in counts.items():
        if key.startswith("recovered_"):
            total[key] = total.get(key, 0) + value
