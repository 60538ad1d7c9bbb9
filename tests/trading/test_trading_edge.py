from datetime import timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from trading_helpers import GAME, NO_FEES, NOW, POLY_SPORTS, Counter, book, market

from arbees_engine.model import Side, SignalKind, depth
from arbees_engine.model.money import MoneyError
from arbees_engine.settings import StrategySettings
from arbees_engine.strategy import find_edge

S = StrategySettings()


def test_buys_yes_walking_levels_and_sizing_by_kelly():
    m = market()
    b = book(m.market_id, bids=[("0.48", 100)], asks=[("0.50", 30), ("0.52", 50), ("0.60", 100)])
    sig = find_edge(GAME, m, b, 0.60, None, S, D("1000"), NOW, ids=Counter())
    assert sig is not None and sig.kind is SignalKind.EDGE and sig.signal_id == "id-1"
    (leg,) = sig.legs
    assert leg.side is Side.YES and leg.market_id == m.market_id
    # 0.60 level cannot clear (0.60 + fee > 0.60 − 0.04); Kelly at the walked cost gives 70:
    # 30 @ 0.50 (fee 0.53) + 40 @ 0.52 (fee 0.70) = 37.03 / 70 = 0.529 → edge 0.071
    assert leg.contracts == 70 and leg.limit_price == D("0.52")
    assert sig.edge == D("0.071")
    assert sig.model_prob == pytest.approx(0.60) and sig.market_prob == pytest.approx(0.49)
    assert sig.expires_at == NOW + timedelta(seconds=S.manual_expiry_s)
    assert 0 < sig.stake_fraction <= S.kelly_fraction


def test_buys_no_at_one_minus_best_bid():
    m = market()
    b = book(m.market_id, bids=[("0.45", 20), ("0.40", 100)], asks=[("0.50", 100)])
    sig = find_edge(GAME, m, b, 0.30, 0.47, S, D("1000"), NOW, ids=Counter())
    assert sig is not None
    (leg,) = sig.legs
    assert leg.side is Side.NO
    assert leg.limit_price in (D("0.55"), D("0.60"))
    assert sig.model_prob == pytest.approx(0.70) and sig.market_prob == pytest.approx(0.53)
    assert sig.edge >= S.min_edge
    assert sig.raw_model_prob is None and sig.market_weight == 0.0  # not given: nothing recorded


def test_records_the_models_own_probability_for_the_side_it_buys():
    m = market()
    b = book(m.market_id, bids=[("0.45", 20), ("0.40", 100)], asks=[("0.50", 100)])
    sig = find_edge(GAME, m, b, 0.30, 0.47, S, D("1000"), NOW, ids=Counter(), raw_p_yes=0.26, market_weight=0.3)
    assert sig is not None and sig.legs[0].side is Side.NO
    assert sig.raw_model_prob == pytest.approx(0.74) and sig.model_prob == pytest.approx(0.70)
    assert sig.market_weight == 0.3


def test_no_signal_without_edge():
    m = market()
    b = book(m.market_id, bids=[("0.49", 100)], asks=[("0.51", 100)])
    assert find_edge(GAME, m, b, 0.52, None, S, D("1000"), NOW) is None
    assert find_edge(GAME, m, b, 0.47, None, S, D("1000"), NOW) is None


def test_fee_can_remove_the_edge():
    m = market()
    b = book(m.market_id, bids=[("0.40", 100)], asks=[("0.50", 100)])
    # 0.555 − 0.50 = 0.055 ≥ 0.04 before fees, but the 0.0175 Kalshi fee leaves 0.0375
    assert find_edge(GAME, m, b, 0.555, None, S, D("1000"), NOW) is None
    free = market(fees=NO_FEES)
    assert (
        find_edge(
            GAME, free, book(free.market_id, bids=[("0.40", 100)], asks=[("0.50", 100)]), 0.555, None, S, D("1000"), NOW
        )
        is not None
    )


def test_caps_and_refusals():
    m = market()
    b = book(m.market_id, bids=[("0.30", 100)], asks=[("0.40", 1000)])
    capped = find_edge(GAME, m, b, 0.80, None, S.model_copy(update={"max_contracts_per_signal": 5}), D("1000"), NOW)
    assert capped is not None and capped.contracts == 5
    assert find_edge(GAME, m, b, 0.80, None, S, D("0"), NOW) is None
    b.stale = True
    assert find_edge(GAME, m, b, 0.80, None, S, D("1000"), NOW) is None
    crossed = book(m.market_id, bids=[("0.45", 10)], asks=[("0.40", 10)])
    assert find_edge(GAME, m, crossed, 0.80, None, S, D("1000"), NOW) is None


def test_fractional_depth_is_floored():
    m = market()
    b = book(m.market_id, bids=[("0.30", 10)], asks=[("0.40", "2.7"), ("0.41", "0.5")])
    sig = find_edge(GAME, m, b, 0.90, None, S, D("1000"), NOW)
    assert sig is not None and sig.contracts == 2 and sig.legs[0].limit_price == D("0.40")


@pytest.mark.parametrize("p", [float("nan"), 1.5, -0.1])
def test_bad_probability_raises(p):
    m = market()
    with pytest.raises(MoneyError):
        find_edge(GAME, m, book(m.market_id, asks=[("0.5", 1)]), p, None, S, D("100"), NOW)


cents = st.integers(1, 99).map(lambda c: D(c) / 100)
levels = st.lists(st.tuples(cents, st.integers(0, 200)), max_size=5)


@hsettings(max_examples=200, deadline=None)
@given(bids=levels, asks=levels, p=st.floats(0.0, 1.0), bankroll=st.integers(0, 5000), poly=st.booleans())
def test_edge_properties(bids, asks, p, bankroll, poly):
    m = market(fees=POLY_SPORTS) if poly else market()
    b = book(m.market_id, bids=bids, asks=asks)
    sig = find_edge(GAME, m, b, p, None, S, D(bankroll), NOW)
    if sig is None:
        return
    (leg,) = sig.legs
    p_side = D(repr(p)).quantize(D("0.000001"))
    p_side = p_side if leg.side is Side.YES else 1 - p_side
    takes = depth.walk(b.asks_for(leg.side), leg.contracts, leg.limit_price)
    assert depth.total_contracts(takes) == leg.contracts  # the book holds the size at the limit
    assert takes[-1].price == leg.limit_price
    all_in = depth.notional(takes) + depth.fees(m.fees, takes)
    assert sig.edge >= S.min_edge
    assert p_side - all_in / leg.contracts >= S.min_edge  # edge holds on the exact fills
    assert 1 <= leg.contracts <= S.max_contracts_per_signal
    assert all_in <= D(bankroll)


def test_no_signal_smaller_than_the_venues_minimum_order():
    from dataclasses import replace

    m = replace(market(), min_order_contracts=50)
    b = book(m.market_id, bids=[("0.48", 100)], asks=[("0.50", 30), ("0.52", 50), ("0.60", 100)])
    assert find_edge(GAME, m, b, 0.60, None, S, D("1000"), NOW) is not None  # sizes to 70 ≥ 50
    tiny = replace(m, min_order_contracts=80)
    assert find_edge(GAME, tiny, b, 0.60, None, S, D("1000"), NOW) is None
