"""Issue 12 item 4, one name per meaning: a book update says what it does (SNAPSHOT or SET_LEVELS),
a signal's stake is `stake_fraction` (k·f*, not the settings' multiplier `kelly_fraction`), and a P&L
net of fees says `net`. Old bus keys still decode for one release."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from arbees_engine.bus.messages import BankrollView, SignalView, pack, unpack_as
from arbees_engine.model import BookLevel, BookUpdate, BookUpdateKind, OrderBook

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("kind", [True, False, "snapshot", None])
def test_a_book_update_refuses_anything_but_a_kind(kind) -> None:
    with pytest.raises(TypeError, match="BookUpdateKind"):
        BookUpdate("kalshi:X", (), (), kind)


def test_set_levels_writes_absolute_sizes_and_zero_removes_a_level() -> None:
    book = OrderBook("kalshi:X")
    book.apply(
        BookUpdate(
            "kalshi:X",
            (BookLevel(D("0.40"), D(10)), BookLevel(D("0.39"), D(4))),
            (BookLevel(D("0.45"), D(7)),),
            BookUpdateKind.SNAPSHOT,
            1,
            NOW,
        )
    )
    book.apply(
        BookUpdate(
            "kalshi:X", (BookLevel(D("0.40"), D(3)), BookLevel(D("0.39"), D(0))), (), BookUpdateKind.SET_LEVELS, 2, NOW
        )
    )
    assert book.bids == {D("0.40"): D(3)} and book.asks == {D("0.45"): D(7)}  # 3 replaces 10, not 13
    assert not book.stale and book.seq == 2
    book.apply(BookUpdate("kalshi:X", (BookLevel(D("0.41"), D(2)),), (), BookUpdateKind.SNAPSHOT, 3, NOW))
    assert book.bids == {D("0.41"): D(2)} and book.asks == {}  # a snapshot replaces both sides


def _signal(**stake: float) -> SignalView:
    return SignalView(
        signal_id="s1",
        version=1,
        signal_kind="edge",
        game_id="g",
        legs=[],
        model_prob=0.6,
        market_prob=0.5,
        edge=D("0.05"),
        decision="pending",
        created_at=NOW,
        **stake,
    )


def test_a_signal_view_carries_stake_fraction_and_still_decodes_the_old_key() -> None:
    view = _signal(stake_fraction=0.04)
    again = unpack_as(SignalView, pack(view))
    assert again.stake_fraction == 0.04 and "kelly_fraction" not in view.model_dump()
    old = view.model_dump(mode="json")
    old["kelly_fraction"] = old.pop("stake_fraction")
    assert SignalView.model_validate(old).stake_fraction == 0.04
    assert SignalView.model_validate(old).kelly_fraction == 0.04  # the old reader's name, for one release


def test_a_bankroll_view_names_the_day_pnl_net_and_still_decodes_the_old_key() -> None:
    fields = dict(
        starting=D(1000),
        equity=D("990.50"),
        available=D("900"),
        realized_pnl=D("-8.00"),
        unrealized_pnl=D(0),
        fees=D("1.50"),
        open_exposure=D("90.50"),
        updated_at=NOW,
    )
    view = BankrollView(day_net_pnl=D("-9.50"), **fields)
    assert unpack_as(BankrollView, pack(view)).day_net_pnl == D("-9.50")
    old = view.model_dump(mode="json")
    old["day_realized_pnl"] = old.pop("day_net_pnl")
    decoded = BankrollView.model_validate(old)
    assert decoded.day_net_pnl == D("-9.50") == decoded.day_realized_pnl
    with pytest.raises(ValueError):
        BankrollView(**fields)  # the day's net P&L is required, under either name
