"""What a restart's reconciliation and the durable write path ask of the store: an order's filled
count follows its fills, open paper orders close from their fills, a signal upsert never goes
back to an older version, an intent that was never sent is closed."""

from __future__ import annotations

from decimal import Decimal

import store_factories as f

from arbees_engine.model import Decision, OrderStatus, Venue


async def _status(store, client_order_id: str) -> tuple[str, int, str]:
    [order] = [o for o in await store.load_orders() if o.client_order_id == client_order_id]
    return order.status.value, order.filled_contracts, order.reason


async def test_open_paper_orders_close_from_their_fills_and_live_venues_are_left_alone(store) -> None:
    await store.init_bankroll(Decimal("1000"))
    for cid in ("never", "part", "full", "done"):
        await store.insert_order_intent(f.order(cid))
    await store.insert_order_intent(f.order("live-venue", venue=Venue.POLYMARKET))
    await store.book_fill(f.fill("p1", "part"), f.position(contracts=4))  # 4 of 10
    for n in range(1, 3):
        await store.book_fill(f.fill(f"f{n}", "full", contracts=5), f.position(contracts=4 + 5 * n))
    done = f.order("done", status=OrderStatus.CANCELLED, reason="no liquidity")
    await store.update_order(done)

    closed = await store.reconcile_paper_orders("never sent", "from fills", live_venues=["polymarket"])

    assert sorted(closed) == [("full", "filled", 10), ("never", "cancelled", 0), ("part", "partial", 4)]
    assert await _status(store, "never") == ("cancelled", 0, "never sent")
    assert await _status(store, "part") == ("partial", 4, "from fills")
    assert await _status(store, "full") == ("filled", 10, "from fills")
    assert await _status(store, "done") == ("cancelled", 0, "no liquidity")  # closed before: untouched
    assert (await _status(store, "live-venue"))[0] == "intent"  # looked up at its venue instead
    assert await store.reconcile_paper_orders("never sent", "from fills", ["polymarket"]) == []


async def test_update_order_never_writes_a_filled_count_its_fills_do_not_give(store) -> None:
    await store.insert_order_intent(f.order())
    claimed = f.order(status=OrderStatus.FILLED, filled_contracts=10)
    await store.update_order(claimed)
    assert await _status(store, "coid-1") == ("filled", 0, "")


async def test_an_unconfirmed_intent_is_closed_only_while_unsent(store) -> None:
    assert await store.close_unsent_order("coid-1", "never sent") is False  # never committed
    await store.insert_order_intent(f.order())
    assert await store.close_unsent_order("coid-1", "never sent") is True
    assert await _status(store, "coid-1") == ("cancelled", 0, "never sent")
    await store.insert_order_intent(f.order("coid-2"))
    await store.record_fill(f.fill(client_order_id="coid-2"))
    assert await store.close_unsent_order("coid-2", "never sent") is False  # it has a fill: it was sent


async def test_a_signal_upsert_inserts_then_moves_only_forward(store) -> None:
    sig = f.signal()
    await store.upsert_signal(sig)
    await store.upsert_signal(sig)  # the same version again (store writer after the executor): no error
    sig.decision, sig.reason, sig.version = Decision.EXECUTED, "filled", 3
    await store.upsert_signal(sig)
    stale = f.signal(decision=Decision.APPROVED, version=2)
    await store.upsert_signal(stale)
    [loaded] = await store.load_signals()
    assert (loaded.decision, loaded.reason, loaded.version) == (Decision.EXECUTED, "filled", 3)
