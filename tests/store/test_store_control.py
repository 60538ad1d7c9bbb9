"""Audit triggers, explicit audit rows, engine state (mode, kill switch) and command dedupe."""

from __future__ import annotations

from decimal import Decimal

import pytest
import store_factories as f

from arbees_engine.model import Mode, OrderStatus
from arbees_engine.store import NotFoundError


async def _actions(store, prefix: str) -> list[str]:
    return [row["action"] for row in reversed(await store.recent_audit(100, entity_prefix=prefix))]


async def test_triggers_audit_orders_fills_positions_bankroll(store) -> None:
    order = f.order()
    await store.insert_order_intent(order)
    await store.record_fill(f.fill())  # moves the order's filled count: an orders.update row too
    await store.record_fill(f.fill())  # duplicate: no row, so no audit row
    order.status, order.filled_contracts = OrderStatus.FILLED, 10
    await store.update_order(order)
    await store.upsert_position(f.position())
    await store.init_bankroll(Decimal("1000"))
    await store.apply_bankroll_delta("fill:fill-1", Decimal("0"), Decimal("0.07"))

    assert await _actions(store, "orders:coid-1") == ["orders.insert", "orders.update", "orders.update"]
    assert await _actions(store, "fills:fill-1") == ["fills.insert"]
    assert await _actions(store, f"positions:{f.MARKET_ID}:yes") == ["positions.insert"]
    assert await _actions(store, "bankroll:1") == ["bankroll.insert", "bankroll.update"]
    [update] = await store.recent_audit(1, entity_prefix="orders:")
    assert update["detail"]["old"]["status"] == "intent"
    assert update["detail"]["new"]["status"] == "filled"
    assert update["actor"] == "engine"
    [bank] = await store.recent_audit(1, entity_prefix="bankroll:")
    assert Decimal(str(bank["detail"]["new"]["fees"])) == Decimal("0.07")


async def test_explicit_audit_row(store) -> None:
    audit_id = await store.audit("alice", "signal.approve", "signals:sig-1", {"version": 2, "cost": Decimal("5.60")})
    [row] = await store.recent_audit(1)
    assert row["id"] == audit_id
    assert (row["actor"], row["action"], row["entity"]) == ("alice", "signal.approve", "signals:sig-1")
    assert row["detail"] == {"version": 2, "cost": "5.60"}


async def test_engine_state_round_trip_and_kill_audit(store) -> None:
    assert await store.load_engine_state("default") is None
    await store.save_engine_state("default", Mode.AUTO, False)
    await store.save_engine_state("default", Mode.HALTED, True, "drawdown", "alice")
    engaged = await store.load_engine_state("default")
    assert engaged["mode"] is Mode.HALTED
    assert (engaged["kill_engaged"], engaged["kill_reason"], engaged["kill_operator"]) == (True, "drawdown", "alice")
    assert engaged["kill_at"] is not None
    await store.save_engine_state("default", Mode.HALTED, True, "still drawdown", "alice")
    assert (await store.load_engine_state("default"))["kill_at"] == engaged["kill_at"]  # kept while engaged
    await store.save_engine_state("default", Mode.MANUAL, False, "", "bob")
    resumed = await store.load_engine_state("default")
    assert (resumed["mode"], resumed["kill_engaged"], resumed["kill_at"]) == (Mode.MANUAL, False, None)
    actors = [r["actor"] for r in reversed(await store.recent_audit(10, entity_prefix="engine_state:default"))]
    assert actors == ["engine", "alice", "alice", "bob"]


async def test_command_seen_twice_is_answered_not_executed(store) -> None:
    args = ("cmd-1", "alice", "kill", {"reason": "test"}, f.T0)
    assert await store.record_command(*args) is None
    assert await store.record_command(*args) == {"command_id": "cmd-1", "outcome": "in_progress"}
    await store.ack_command("cmd-1", {"command_id": "cmd-1", "outcome": "ok"})
    assert await store.record_command(*args) == {"command_id": "cmd-1", "outcome": "ok"}
    assert await store.count_rows("commands") == 1
    with pytest.raises(NotFoundError):
        await store.ack_command("cmd-unknown", {"outcome": "ok"})
