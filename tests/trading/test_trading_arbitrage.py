from decimal import Decimal as D

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from trading_helpers import GAME, NO_FEES, NOW, POLY_SPORTS, Counter, book, market

from arbees_engine.model import Side, SignalKind, Venue, depth
from arbees_engine.settings import StrategySettings
from arbees_engine.strategy import find_arb

S = StrategySettings()


def kalshi():
    return market("kalshi:HOME")


def poly(fees=POLY_SPORTS):
    return market("polymarket:tok", venue=Venue.POLYMARKET, fees=fees)


def test_yes_on_a_no_on_b_limited_by_thinner_leg():
    a, b = kalshi(), poly()
    book_a = book(a.market_id, bids=[("0.38", 100)], asks=[("0.40", 50), ("0.45", 100)])
    book_b = book(b.market_id, bids=[("0.55", 30)], asks=[("0.57", 100)])  # NO ask 0.45 × 30
    sig = find_arb(GAME, a, book_a, b, book_b, S, D("1000"), NOW, ids=Counter())
    assert sig is not None and sig.kind is SignalKind.ARB
    leg_a, leg_b = sig.legs
    assert (leg_a.side, leg_b.side) == (Side.YES, Side.NO)
    assert leg_a.contracts == leg_b.contracts == 30
    assert (leg_a.limit_price, leg_b.limit_price) == (D("0.40"), D("0.45"))
    # 30 × 0.85 = 25.50 + Kalshi fee 0.51 (0.504 up) + Polymarket fee 0.37125 → 26.38125
    assert sig.edge == (30 - D("26.38125")) / 30


def test_reverse_direction_no_on_a_yes_on_b():
    a, b = kalshi(), poly()
    book_a = book(a.market_id, bids=[("0.60", 40)], asks=[("0.65", 40)])  # NO on A at 0.40
    book_b = book(b.market_id, bids=[("0.40", 40)], asks=[("0.45", 25), ("0.46", 100)])
    sig = find_arb(GAME, a, book_a, b, book_b, S, D("1000"), NOW)
    assert sig is not None
    assert [leg.side for leg in sig.legs] == [Side.NO, Side.YES]
    assert sig.legs[0].contracts == 40 and sig.legs[1].limit_price == D("0.46")


def test_arb_only_when_cost_plus_fees_below_one():
    a, b = kalshi(), poly()
    book_a = book(a.market_id, bids=[("0.45", 100)], asks=[("0.50", 100)])
    book_b = book(b.market_id, bids=[("0.51", 100)], asks=[("0.55", 100)])  # NO ask 0.49
    assert find_arb(GAME, a, book_a, b, book_b, S, D("1000"), NOW) is None  # 0.99 + fees > 1
    free_a, free_b = market("kalshi:HOME", fees=NO_FEES), poly(NO_FEES)
    sig = find_arb(GAME, free_a, book_a, free_b, book_b, S, D("1000"), NOW)
    assert sig is not None and sig.edge == D("0.01") and sig.contracts == 100
    assert (
        find_arb(
            GAME, free_a, book_a, free_b, book_b, S.model_copy(update={"min_arb_profit": D("0.02")}), D("1000"), NOW
        )
        is None
    )


def test_stops_when_marginal_pair_is_unprofitable():
    a, b = market("kalshi:HOME", fees=NO_FEES), poly(NO_FEES)
    book_a = book(a.market_id, bids=[("0.30", 10)], asks=[("0.40", 10), ("0.55", 100)])
    book_b = book(b.market_id, bids=[("0.55", 100)], asks=[("0.60", 10)])  # NO ask 0.45
    sig = find_arb(GAME, a, book_a, b, book_b, S, D("1000"), NOW)
    assert sig is not None and sig.contracts == 10  # 0.55 + 0.45 = 1.00 is not profitable


def test_budget_and_settings_cap_size():
    a, b = market("kalshi:HOME", fees=NO_FEES), poly(NO_FEES)
    book_a = book(a.market_id, bids=[("0.30", 10)], asks=[("0.40", 500)])
    book_b = book(b.market_id, bids=[("0.55", 500)], asks=[("0.60", 10)])
    assert find_arb(GAME, a, book_a, b, book_b, S, D("17"), NOW).contracts == 20  # 20 × 0.85 = 17
    assert find_arb(GAME, a, book_a, b, book_b, S, D("1000"), NOW).contracts == S.max_contracts_per_signal
    assert find_arb(GAME, a, book_a, b, book_b, S, D("0.5"), NOW) is None


def test_refuses_same_market_and_stale_books():
    a, b = kalshi(), poly()
    book_a = book(a.market_id, bids=[("0.30", 10)], asks=[("0.40", 500)])
    book_b = book(b.market_id, bids=[("0.55", 500)], asks=[("0.60", 10)])
    assert find_arb(GAME, a, book_a, a, book_a, S, D("1000"), NOW) is None
    book_b.stale = True
    assert find_arb(GAME, a, book_a, b, book_b, S, D("1000"), NOW) is None


cents = st.integers(1, 99).map(lambda c: D(c) / 100)
levels = st.lists(st.tuples(cents, st.integers(0, 80)), max_size=4)


@hsettings(max_examples=200, deadline=None)
@given(bids_a=levels, asks_a=levels, bids_b=levels, asks_b=levels, budget=st.integers(0, 3000))
def test_arb_properties(bids_a, asks_a, bids_b, asks_b, budget):
    a, b = kalshi(), poly()
    book_a, book_b = book(a.market_id, bids_a, asks_a), book(b.market_id, bids_b, asks_b)
    sig = find_arb(GAME, a, book_a, b, book_b, S, D(budget), NOW)
    if sig is None:
        return
    leg_a, leg_b = sig.legs
    n = leg_a.contracts
    assert n == leg_b.contracts and 1 <= n <= S.max_contracts_per_signal
    assert leg_a.side is leg_b.side.opposite
    ta = depth.walk(book_a.asks_for(leg_a.side), n, leg_a.limit_price)
    tb = depth.walk(book_b.asks_for(leg_b.side), n, leg_b.limit_price)
    assert depth.total_contracts(ta) == depth.total_contracts(tb) == n  # both books hold the size
    total = depth.notional(ta) + depth.fees(a.fees, ta) + depth.notional(tb) + depth.fees(b.fees, tb)
    assert total <= D(budget)
    assert n - total >= S.min_arb_profit * n  # every pair pays $1; profit after all fees


def test_marginal_pairs_that_only_profit_before_fees_are_not_taken():
    a, b = kalshi(), poly()
    book_a = book(a.market_id, bids=[("0.30", 10)], asks=[("0.40", 10), ("0.52", 100)])
    book_b = book(b.market_id, bids=[("0.55", 200)], asks=[("0.60", 10)])  # NO ask 0.45
    # 0.52 + 0.45 = 0.97 clears $0.01 before fees, but ~0.0299 of fees leave 0.0001 per pair
    sig = find_arb(GAME, a, book_a, b, book_b, S, D("1000"), NOW)
    assert sig is not None and sig.contracts == 10 and sig.legs[0].limit_price == D("0.40")
