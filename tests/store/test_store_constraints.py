"""The database itself refuses impossible values: probabilities and prices outside 0..1, NaN."""

from __future__ import annotations

import math
from decimal import Decimal

import asyncpg
import pytest
import store_factories as f

from arbees_engine.store import StoreConstraintError


@pytest.mark.parametrize("prob", [1.7, -0.01, math.nan])
async def test_signal_probability_out_of_range_is_rejected(store, prob: float) -> None:
    with pytest.raises(StoreConstraintError) as err:
        await store.insert_signal(f.signal(model_prob=prob))
    assert err.value.constraint == "signals_model_prob_check"
    assert await store.count_rows("signals") == 0


@pytest.mark.parametrize(
    "field, value",
    [("raw_model_prob", 1.2), ("raw_model_prob", math.nan), ("market_weight", -0.1), ("market_weight", 1.5)],
)
async def test_signal_raw_model_probability_and_weight_out_of_range_are_rejected(store, field, value) -> None:
    with pytest.raises(StoreConstraintError) as err:
        await store.insert_signal(f.signal(**{field: value}))
    assert err.value.constraint == f"signals_{field}_check"
    assert await store.count_rows("signals") == 0


@pytest.mark.parametrize("price", [Decimal("-0.1"), Decimal("1.01"), Decimal("NaN")])
async def test_order_price_out_of_range_is_rejected(store, price: Decimal) -> None:
    with pytest.raises(StoreConstraintError) as err:
        await store.insert_order_intent(f.order(limit_price=price))
    assert err.value.constraint == "orders_limit_price_check"
    assert await store.count_orders() == 0


async def test_model_probability_on_game_rejects_nan(store) -> None:
    with pytest.raises(StoreConstraintError):
        await store.upsert_game(f.game(), model_p_home=math.nan)
    await store.upsert_game(f.game(), model_p_home=0.61)
    row = await store.load_game_row("espn:nba:1")
    assert row["model_p_home"] == 0.61


@pytest.mark.parametrize(
    ("sql", "args"),
    [
        ("INSERT INTO quotes (market_id, ts, bid, ask) VALUES ('m', now(), $1, 0.5)", [Decimal("-0.1")]),
        ("INSERT INTO quotes (market_id, ts, bid, ask) VALUES ('m', now(), 0.4, $1)", [Decimal("NaN")]),
        (
            "INSERT INTO games (game_id, sport, league, home, away, status, model_p_home)"
            " VALUES ('g', 'basketball', 'nba', 'A', 'B', 'live', $1)",
            [1.7],
        ),
        (
            "INSERT INTO positions (market_id, side, venue, game_id, mark) VALUES ('m', 'yes', 'kalshi', 'g', $1)",
            [Decimal("1.5")],
        ),
    ],
)
async def test_raw_sql_checks(pg_dsn: str, sql: str, args: list) -> None:
    conn = await asyncpg.connect(pg_dsn)
    try:
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute(sql, *args)
    finally:
        await conn.close()


async def test_fill_contracts_cannot_exceed_order(store) -> None:
    await store.insert_order_intent(f.order())  # 10 contracts
    assert await store.record_fill(f.fill("fill-1")) and await store.record_fill(f.fill("fill-2"))  # 4 + 4
    with pytest.raises(StoreConstraintError) as err:  # 4 more would fill 12 of 10
        await store.record_fill(f.fill("fill-3"))
    assert err.value.constraint == "orders_filled_contracts_check"
    assert await store.count_fills() == 2  # the refused fill is not stored either
    [order] = await store.load_orders()
    assert order.filled_contracts == 8


@pytest.mark.parametrize("value", [1.5, -0.2])
async def test_a_signal_stake_fraction_outside_0_1_is_rejected_under_its_new_name(store, value: float) -> None:
    with pytest.raises(StoreConstraintError) as err:
        await store.insert_signal(f.signal(stake_fraction=value))
    assert err.value.constraint == "signals_stake_fraction_check"  # migrations/0005 renamed column and check
    assert await store.count_rows("signals") == 0
