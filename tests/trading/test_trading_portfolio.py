import copy
from datetime import timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from trading_helpers import GAME, NOW

from arbees_engine.model import Fill, Side, Sport, Venue
from arbees_engine.portfolio import Portfolio, PortfolioError

_n = iter(range(10**9))


def fill(mid="kalshi:HOME", side=Side.YES, price="0.40", contracts=10, fee="0.17", at=NOW, fid=None):
    return Fill(fid or f"f{next(_n)}", "o", mid, Venue.KALSHI, side, D(price), contracts, D(fee), at)


def test_fill_updates_position_and_bankroll():
    pf = Portfolio(D("1000"))
    assert pf.apply_fill(fill(), GAME, Sport.BASKETBALL)
    pos = pf.position("kalshi:HOME", Side.YES)
    assert (pos.contracts, pos.cost, pos.fees, pos.avg_price) == (10, D("4.00"), D("0.17"), D("0.4"))
    b = pf.bankroll
    assert (b.fees, b.open_cost, b.equity, b.available) == (D("0.17"), D("4.00"), D("999.83"), D("995.83"))
    pf.check_identity()


def test_settlement_pnl_exact():
    pf = Portfolio(D("1000"))
    pf.apply_fill(fill(side=Side.YES, price="0.40", contracts=10, fee="0.17"), GAME, Sport.BASKETBALL)
    pf.apply_fill(fill(side=Side.NO, price="0.55", contracts=4, fee="0.07"), GAME, Sport.BASKETBALL)
    realized = pf.settle("kalshi:HOME", yes_won=True, at=NOW)
    assert realized == D("6.00") + D("-2.20")  # YES: 10 − 4.00; NO: 0 − 2.20
    yes, no = pf.position("kalshi:HOME", Side.YES), pf.position("kalshi:HOME", Side.NO)
    assert (yes.realized_pnl, no.realized_pnl) == (D("6.00"), D("-2.20"))
    assert yes.settled and no.settled and yes.contracts == no.contracts == 0
    b = pf.bankroll
    assert b.open_cost == 0 and b.equity == D("1000") + D("3.80") - D("0.24") == b.available
    assert pf.settle("kalshi:HOME", yes_won=False, at=NOW) == 0  # idempotent
    assert pf.positions() == [] and len(pf.positions(include_closed=True)) == 2
    pf.check_identity()


def test_void_refunds_cost_not_fees():
    pf = Portfolio(D("100"))
    pf.apply_fill(fill(price="0.40", contracts=10, fee="0.17"), GAME, Sport.BASKETBALL)
    assert pf.void("kalshi:HOME", at=NOW) == 0
    assert pf.bankroll.available == D("99.83") and pf.position("kalshi:HOME", Side.YES).settled
    pf.check_identity()


def test_duplicate_fill_is_ignored_and_bad_fills_raise():
    pf = Portfolio(D("100"))
    f = fill(fid="same")
    assert pf.apply_fill(f, GAME, Sport.BASKETBALL) and not pf.apply_fill(f, GAME, Sport.BASKETBALL)
    assert pf.position("kalshi:HOME", Side.YES).contracts == 10
    with pytest.raises(PortfolioError):
        pf.apply_fill(fill(contracts=0), GAME, Sport.BASKETBALL)
    with pytest.raises(PortfolioError):
        pf.apply_fill(fill(fee="-0.01"), GAME, Sport.BASKETBALL)
    pf.settle("kalshi:HOME", True, at=NOW)
    with pytest.raises(PortfolioError):
        pf.apply_fill(fill(), GAME, Sport.BASKETBALL)
    with pytest.raises(PortfolioError):
        Portfolio(D("0"))


def test_marks_and_unrealized():
    pf = Portfolio(D("100"))
    pf.apply_fill(fill(side=Side.YES, price="0.40", contracts=10), GAME, Sport.BASKETBALL)
    pf.apply_fill(fill(side=Side.NO, price="0.50", contracts=10), GAME, Sport.BASKETBALL)
    pf.mark("kalshi:HOME", D("0.45"))
    assert pf.position("kalshi:HOME", Side.YES).mark == D("0.45")
    assert pf.position("kalshi:HOME", Side.NO).mark == D("0.55")
    assert pf.unrealized() == D("0.50") + D("0.50")


def test_exposures_by_game_and_sport():
    pf = Portfolio(D("1000"))
    pf.apply_fill(fill(mid="k:A", price="0.40", contracts=10), "g1", Sport.BASKETBALL)
    pf.apply_fill(fill(mid="k:B", price="0.50", contracts=10), "g2", Sport.BASKETBALL)
    pf.apply_fill(fill(mid="k:C", price="0.20", contracts=10), "g3", Sport.HOCKEY)
    assert pf.exposure_by_game("g1") == D("4.00")
    assert pf.exposure_by_sport(Sport.BASKETBALL) == D("9.00")
    assert pf.exposure_by_sport(Sport.HOCKEY) == D("2.00")
    pf.settle("k:A", True, at=NOW)
    assert pf.exposure_by_game("g1") == 0 and pf.exposure_by_sport(Sport.BASKETBALL) == D("5.00")


def test_day_realized_counts_since_utc_midnight():
    pf = Portfolio(D("1000"))
    pf.apply_fill(
        fill(mid="k:A", price="0.50", contracts=10, fee="0.18", at=NOW - timedelta(days=1)), GAME, Sport.BASKETBALL
    )
    pf.apply_fill(fill(mid="k:B", price="0.50", contracts=10, fee="0.18"), GAME, Sport.BASKETBALL)
    pf.settle("k:A", yes_won=False, at=NOW)  # −5.00 today
    assert pf.day_net_pnl(NOW) == D("-5.18")
    assert pf.day_net_pnl(NOW + timedelta(days=1)) == 0  # a new UTC day starts flat
    assert pf.day_fees(NOW) == D("0.18")  # yesterday's fill's fee is not today's
    assert pf.day_fees(NOW + timedelta(days=1)) == 0


def test_identity_detects_tampering():
    pf = Portfolio(D("1000"))
    pf.apply_fill(fill(), GAME, Sport.BASKETBALL)
    pf.position("kalshi:HOME", Side.YES).fees += D("0.05")
    with pytest.raises(PortfolioError):
        pf.check_identity()


ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("fill"),
            st.sampled_from(["k:A", "k:B", "k:C"]),
            st.sampled_from(list(Side)),
            st.integers(1, 99),
            st.integers(1, 500),
        ),
        st.tuples(st.just("settle"), st.sampled_from(["k:A", "k:B", "k:C"]), st.booleans()),
        st.tuples(st.just("void"), st.sampled_from(["k:A", "k:B", "k:C"])),
    ),
    max_size=40,
)


@hsettings(max_examples=200, deadline=None)
@given(ops=ops)
def test_identity_holds_under_random_fills_and_settlements(ops):
    from arbees_engine.model import KALSHI_FEES
    from arbees_engine.model.fees import taker_fee

    pf = Portfolio(D("10000"))
    cash = D("10000")  # independent cash ledger: pay cost + fee, receive payout/refund
    open_ = {}
    for op in ops:
        if op[0] == "fill":
            _, mid, side, cents, n = op
            if pf.is_settled(mid):
                continue
            price = D(cents) / 100
            fee = taker_fee(KALSHI_FEES, price, n)
            pf.apply_fill(fill(mid=mid, side=side, price=str(price), contracts=n, fee=str(fee)), GAME, Sport.SOCCER)
            cash -= price * n + fee
            open_.setdefault(mid, []).append((side, n, price * n))
        elif op[0] == "settle":
            _, mid, yes_won = op
            if not pf.is_settled(mid):
                cash += sum(n for side, n, _ in open_.pop(mid, []) if (side is Side.YES) == yes_won)
            pf.settle(mid, yes_won, at=NOW)
        else:
            if not pf.is_settled(mid := op[1]):
                cash += sum(cost for _, _, cost in open_.pop(mid, []))
            pf.void(mid, at=NOW)
        pf.check_identity()
    assert pf.bankroll.available == cash
    assert pf.bankroll.open_cost == sum(c for legs in open_.values() for _, _, c in legs)


def test_restore_rebuilds_state_and_keeps_identity():
    original = Portfolio(D("1000"))
    original.apply_fill(fill(mid="k:A", price="0.40", contracts=10, fee="0.17"), "g1", Sport.BASKETBALL)
    original.apply_fill(fill(mid="k:B", price="0.30", contracts=5, fee="0.08"), "g2", Sport.HOCKEY)
    original.settle("k:A", yes_won=True, at=NOW)
    b = original.bankroll
    restored = Portfolio(D("1000"))
    restored.restore(
        copy.deepcopy(original.positions(include_closed=True)),
        b.realized_pnl,
        b.fees,
        game_sports={"g1": Sport.BASKETBALL, "g2": Sport.HOCKEY},
        day_net_pnl=D("-1.25"),
        at=NOW,
    )
    assert restored.bankroll.equity == b.equity and restored.bankroll.open_cost == D("1.50")
    assert restored.is_settled("k:A") and not restored.is_settled("k:B")
    assert restored.exposure_by_sport(Sport.HOCKEY) == D("1.50")
    assert restored.day_net_pnl(NOW) == D("-1.25")
    restored.check_identity()
    with pytest.raises(PortfolioError):
        restored.apply_fill(fill(mid="k:A"), "g1", Sport.BASKETBALL)


def test_fill_without_known_sport_counts_toward_no_sport():
    pf = Portfolio(D("100"))
    pf.apply_fill(fill(mid="k:A"), "g1", None)
    assert pf.exposure_by_game("g1") == D("4.00")
    assert all(pf.exposure_by_sport(sport) == 0 for sport in Sport)


def test_a_market_with_a_side_still_open_after_restore_is_not_settled_and_can_settle():
    pf = Portfolio(D("1000"))
    pf.apply_fill(fill(mid="k:A", side=Side.YES, price="0.40", contracts=10, fee="0"), "g1", Sport.BASKETBALL)
    pf.apply_fill(fill(mid="k:A", side=Side.NO, price="0.50", contracts=10, fee="0"), "g1", Sport.BASKETBALL)
    half = copy.deepcopy(pf.positions())  # a crash stored the YES side settled, the NO side not yet
    yes = next(p for p in half if p.side is Side.YES)
    yes.realized_pnl, yes.cost, yes.contracts, yes.settled = D("6.00"), D("0"), 0, True
    restored = Portfolio(D("1000"))
    restored.restore(half, D("6.00"), D("0"), game_sports={"g1": Sport.BASKETBALL}, at=NOW)
    assert not restored.is_settled("k:A")
    assert restored.settle("k:A", yes_won=True, at=NOW) == D("-5.00")  # the open NO side loses its cost
    assert restored.position("k:A", Side.NO).settled and restored.bankroll.open_cost == 0
    restored.check_identity()


def test_the_losing_leg_of_a_part_settled_hedge_does_not_count_against_the_day_while_its_pair_waits():
    pf = Portfolio(D("1000"))
    pf.apply_fill(fill(mid="kalshi:G", side=Side.NO, price="0.45", contracts=600, fee="0"), "g1", Sport.BASKETBALL)
    pf.apply_fill(fill(mid="polymarket:G", side=Side.YES, price="0.50", contracts=600, fee="0"), "g1", Sport.BASKETBALL)
    pf.apply_fill(fill(mid="kalshi:OTHER", side=Side.YES, price="0.50", contracts=100, fee="0"), "g2", Sport.BASKETBALL)
    pf.mark("polymarket:G", D("0.99"))
    pf.mark("kalshi:OTHER", D("0.10"))  # an open loss in an unsettled game is not counted
    pf.settle("kalshi:G", yes_won=True, at=NOW)  # Kalshi finalised first: the NO leg lost
    assert pf.day_net_pnl(NOW) == D("-270.00")
    assert pf.day_pnl_for_loss_limit(NOW) == D("-270.00") + D("594.00") - D("300.00")
    pf.settle("polymarket:G", yes_won=True, at=NOW)
    assert pf.day_pnl_for_loss_limit(NOW) == pf.day_net_pnl(NOW) == D("30.00")
