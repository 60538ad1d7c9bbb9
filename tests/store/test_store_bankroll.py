"""Bankroll ledger: concurrent deltas never lose a write; a ref is applied at most once."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from arbees_engine.store import NotFoundError, Store

STARTING = Decimal("1000.00")


async def test_200_concurrent_deltas_from_separate_connections_lose_nothing(store, pg_dsn: str) -> None:
    await store.init_bankroll(STARTING)
    # 200 separate single-connection stores: 200 backends contend for the one bankroll row.
    stores = await asyncio.gather(*(Store.connect(pg_dsn, min_size=1, max_size=1) for _ in range(200)))
    go = asyncio.Event()
    deltas = [(Decimal(i * 37 % 1000 - 480) / 100, Decimal(i % 13) / 100) for i in range(200)]

    async def apply(i: int) -> None:
        await go.wait()
        row = await stores[i].apply_bankroll_delta(f"fill:{i}", *deltas[i])
        assert row.applied

    try:
        tasks = [asyncio.create_task(apply(i)) for i in range(200)]
        go.set()
        await asyncio.gather(*tasks)
    finally:
        await asyncio.gather(*(s.close() for s in stores))

    final = await store.load_bankroll()
    assert final.realized_pnl == sum(d for d, _ in deltas)
    assert final.fees == sum(fee for _, fee in deltas)
    assert final.version == 200
    assert final.starting == STARTING
    assert await store.count_rows("bankroll_ledger") == 200


async def test_repeated_ref_applies_once(store) -> None:
    await store.init_bankroll(STARTING)
    first = await store.apply_bankroll_delta("settle:m:yes", Decimal("4.40"), Decimal("0.07"))
    again = await store.apply_bankroll_delta("settle:m:yes", Decimal("4.40"), Decimal("0.07"))
    assert first.applied and not again.applied
    assert (again.realized_pnl, again.fees, again.version) == (Decimal("4.40"), Decimal("0.07"), 1)
    assert again.equity == Decimal("1004.33")


async def test_same_ref_raced_from_many_connections_applies_once(store, pg_dsn: str) -> None:
    await store.init_bankroll(STARTING)
    stores = await asyncio.gather(*(Store.connect(pg_dsn, min_size=1, max_size=1) for _ in range(20)))
    try:
        rows = await asyncio.gather(
            *(s.apply_bankroll_delta("fill:x", Decimal("1.25"), Decimal("0.02")) for s in stores)
        )
    finally:
        await asyncio.gather(*(s.close() for s in stores))
    assert sum(r.applied for r in rows) == 1
    final = await store.load_bankroll()
    assert (final.realized_pnl, final.fees, final.version) == (Decimal("1.25"), Decimal("0.02"), 1)


async def test_init_is_once_and_delta_needs_bankroll(store) -> None:
    assert await store.load_bankroll() is None
    with pytest.raises(NotFoundError):
        await store.apply_bankroll_delta("fill:1", Decimal("1"), Decimal("0"))
    assert await store.count_rows("bankroll_ledger") == 0  # the failed delta left no ledger entry
    await store.init_bankroll(STARTING)
    kept = await store.init_bankroll(Decimal("5"))
    assert kept.starting == STARTING
    assert kept.to_bankroll(open_cost=Decimal("2.20")).available == Decimal("997.80")
