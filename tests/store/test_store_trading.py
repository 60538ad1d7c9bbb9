"""Games, markets, quotes, signals, orders, fills and positions round-trip exactly; ids stay unique."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
import store_factories as f

from arbees_engine.model import Decision, Market, OrderStatus, Outcome, Venue
from arbees_engine.store import DuplicateOrderError, NotFoundError, StoreConstraintError


async def test_duplicate_fill_is_stored_once(store) -> None:
    await store.insert_order_intent(f.order())
    assert await store.record_fill(f.fill()) is True
    assert await store.record_fill(f.fill()) is False
    assert await store.record_fill(f.fill(price=Decimal("0.99"))) is False  # same id, other content: ignored
    assert await store.count_fills() == 1
    [stored] = await store.load_fills("coid-1")
    assert stored == f.fill()


async def test_fill_for_unknown_order_is_rejected(store) -> None:
    with pytest.raises(StoreConstraintError):
        await store.record_fill(f.fill(client_order_id="never-sent"))


async def test_duplicate_client_order_id_raises(store) -> None:
    await store.insert_order_intent(f.order())
    with pytest.raises(DuplicateOrderError, match="coid-1"):
        await store.insert_order_intent(f.order(contracts=3))
    assert await store.count_orders() == 1


async def test_order_round_trip_and_update(store) -> None:
    intent = f.order()
    await store.insert_order_intent(intent)
    await store.record_fill(f.fill())  # 4 contracts: the order's filled count is its fills' sum
    intent.status, intent.filled_contracts, intent.venue_order_id = OrderStatus.PARTIAL, 4, "v-9"
    await store.update_order(intent)
    [loaded] = await store.load_orders(statuses=[OrderStatus.PARTIAL])
    assert loaded == intent
    assert await store.load_orders(statuses=[OrderStatus.FILLED]) == []
    assert await store.load_orders(signal_id="sig-1") == [intent]
    with pytest.raises(NotFoundError):
        await store.update_order(f.order("missing"))


async def test_signal_round_trip_and_decision(store) -> None:
    sig = f.signal()
    await store.insert_signal(sig)
    sig.decision, sig.reason, sig.version = Decision.REJECTED, "game_exposure", 2
    await store.update_signal(sig)
    [loaded] = await store.load_signals(game_id="espn:nba:1")
    assert loaded == sig
    assert loaded.legs[0].limit_price == Decimal("0.56")


async def test_a_signal_cut_at_approval_stores_its_new_size(store) -> None:
    sig = f.signal()
    await store.insert_signal(sig)
    sig.legs = (replace(sig.legs[0], contracts=sig.legs[0].contracts - 3),)
    sig.decision, sig.version = Decision.APPROVED, 2
    await store.update_signal(sig)
    [loaded] = await store.load_signals(game_id="espn:nba:1")
    assert loaded.legs == sig.legs


async def test_position_upsert_replaces_and_loads(store) -> None:
    pos = f.position()
    await store.upsert_position(pos)
    pos.contracts, pos.cost, pos.settled, pos.realized_pnl = 0, Decimal("0"), True, Decimal("1.80")
    await store.upsert_position(pos)
    assert await store.load_positions() == [pos]
    assert await store.load_positions(include_settled=False) == []
    assert await store.count_rows("positions") == 1


async def test_market_round_trip_and_venue_id_unique(store) -> None:
    market = Market("kalshi:T-1", Venue.KALSHI, "T-1", "espn:nba:1", Outcome.HOME, "SAS", "Spurs win?")
    await store.upsert_market(market)
    await store.upsert_market(market)
    assert await store.load_markets("espn:nba:1") == [market]
    clash = Market("kalshi:other", Venue.KALSHI, "T-1", "espn:nba:1", Outcome.AWAY, "NYK")
    with pytest.raises(StoreConstraintError):
        await store.upsert_market(clash)


async def test_duplicate_quote_timestamp_is_ignored(store) -> None:
    args = ("kalshi:T-1", f.T0, Decimal("0.55"), Decimal("0.57"), Decimal("100"), Decimal("12.5"))
    assert await store.insert_quote(*args) is True
    assert await store.insert_quote(*args) is False
    assert await store.insert_quote("kalshi:T-1", f.T0 + timedelta(milliseconds=1), None, Decimal("0.57")) is True
    assert await store.count_rows("quotes") == 2


async def test_game_upsert_keeps_latest(store) -> None:
    await store.upsert_game(f.game())
    await store.upsert_game(f.game(home_score=53, period=4), model_p_home=0.7)
    row = await store.load_game_row("espn:nba:1")
    assert (row["home_score"], row["period"], row["model_p_home"], row["home_name"]) == (
        53,
        4,
        0.7,
        "San Antonio Spurs",
    )
    assert await store.count_rows("games") == 1


async def test_book_fill_stores_fill_fee_and_position_together_or_not_at_all(store) -> None:
    from arbees_engine.store import StoreConstraintError

    await store.init_bankroll(Decimal("1000"))
    await store.insert_order_intent(f.order())
    with pytest.raises(StoreConstraintError):  # the position row fails: the fill must not stay behind
        await store.book_fill(f.fill(), f.position(contracts=-1))
    assert await store.count_rows("fills") == 0 and await store.count_rows("bankroll_ledger") == 0
    assert await store.book_fill(f.fill(), f.position()) is True
    assert await store.book_fill(f.fill(), f.position()) is False  # a repeat changes nothing
    bankroll = await store.load_bankroll()
    assert bankroll.fees == Decimal("0.07") and await store.count_rows("fills") == 1
    [held] = await store.load_positions()
    assert held == f.position()


async def test_a_settlement_is_booked_once_and_all_or_nothing(store) -> None:
    from decimal import Decimal as D

    from arbees_engine.model import Side
    from arbees_engine.store import NotFoundError

    yes = f.position(side=Side.YES, contracts=0, cost=D("0"), realized_pnl=D("6.00"), settled=True)
    no = f.position(side=Side.NO, contracts=0, cost=D("0"), realized_pnl=D("-2.20"), settled=True)
    with pytest.raises(NotFoundError):  # no bankroll yet: nothing of it may stay behind
        await store.book_settlement([yes, no])
    assert await store.load_positions() == [] and await store.count_rows("bankroll_ledger") == 0
    await store.init_bankroll(D("1000"))
    assert await store.book_settlement([yes, no])
    assert not await store.book_settlement([yes, no])  # a replayed settlement changes nothing
    assert (await store.load_bankroll()).realized_pnl == D("3.80")
    assert {(p.side, p.settled) for p in await store.load_positions()} == {(Side.YES, True), (Side.NO, True)}
