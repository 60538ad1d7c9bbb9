"""Risk gate: live orders whose outcome is unknown count at their worst case, and price_band sees
every level a buy would take, not only its limit."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from test_trading_risk import ctx  # the same markets (kalshi:HOME, polymarket:home/away, kalshi:OTHER) and books
from trading_helpers import NOW, book, edge_signal

from arbees_engine.model import Order, OrderStatus, Side, Venue
from arbees_engine.portfolio import Portfolio
from arbees_engine.risk import RiskContext, RiskGate
from arbees_engine.settings import RiskLimits


def unknown(
    mid: str = "kalshi:HOME", contracts: int = 120, price: str = "0.50", side: Side = Side.YES, cid: str = "o-1"
) -> Order:
    """A live order sent and timed out: status SENT, nothing booked."""
    order = Order(cid, "sig-0", mid, Venue.KALSHI, side, D(price), contracts, NOW - timedelta(seconds=40), paper=False)
    order.status = OrderStatus.SENT
    return order


POLY_SIGNAL = edge_signal("polymarket:home", contracts=100, venue=Venue.POLYMARKET)  # $50.00 worst case


def test_review_case_an_unresolved_kalshi_order_blocks_a_polymarket_signal_on_the_same_game():
    gate = RiskGate(RiskLimits(max_game_exposure=D("100")))
    assert gate.check(POLY_SIGNAL, ctx()).ok  # $50 alone is within the game limit
    verdict = gate.check(POLY_SIGNAL, ctx(unresolved_orders=(unknown(),)))  # + 120 × $0.50 = $110 > $100
    assert not verdict.ok and verdict.reason == "game_exposure"


def test_the_worst_case_is_limit_times_contracts_exactly():
    limits = RiskLimits(max_game_exposure=D("100"))
    order = unknown(contracts=100, price="0.47")  # $47.00
    at_limit = edge_signal("polymarket:home", contracts=106, venue=Venue.POLYMARKET)  # $53.00 → $100.00
    over = edge_signal("polymarket:home", contracts=107, venue=Venue.POLYMARKET)  # $53.50 → $100.50
    assert RiskGate(limits).check(at_limit, ctx(unresolved_orders=(order,))).ok
    assert RiskGate(limits).check(over, ctx(unresolved_orders=(order,))).reason == "game_exposure"
    assert ctx(unresolved_orders=(order,)).commitments()[0].cost == D("47.00")


def test_an_unresolved_order_in_another_game_counts_against_the_sport():
    limits = RiskLimits(max_sport_exposure=D("100"))
    other = unknown("kalshi:OTHER")  # $60 in espn:nba:2, also basketball
    assert RiskGate(limits).check(POLY_SIGNAL, ctx()).ok
    verdict = RiskGate(limits).check(POLY_SIGNAL, ctx(unresolved_orders=(other,)))
    assert verdict.reason == "sport_exposure" and "game_exposure" not in verdict.reasons


def test_an_unresolved_order_counts_against_the_position_on_its_market_side_only():
    limits = RiskLimits(max_position_contracts=500)
    c = ctx(unresolved_orders=(unknown(contracts=495, price="0.10"),))  # $49.50
    assert RiskGate(limits).check(edge_signal(contracts=10), c).reason == "max_position"  # 495 + 10 > 500
    assert RiskGate(limits).check(edge_signal(contracts=5), c).ok  # 495 + 5 = 500
    no_side = ctx(unresolved_orders=(unknown(contracts=495, price="0.10", side=Side.NO),))
    assert "max_position" not in RiskGate(limits).check(edge_signal(contracts=10), no_side).reasons


def test_an_unresolved_order_holds_back_cash_even_on_a_market_no_longer_registered():
    gone = unknown("kalshi:GONE", contracts=100, price="0.40")  # $40.00, its game unknown
    signal = edge_signal(contracts=10)  # $5.00 + $0.18 Kalshi fee
    limits = RiskLimits(min_available_balance=D("10"))
    assert RiskGate(limits).check(signal, ctx(portfolio=Portfolio(D("15.18")))).ok  # $5.18 spendable: exact fit
    verdict = RiskGate(limits).check(signal, ctx(portfolio=Portfolio(D("15.18")), unresolved_orders=(gone,)))
    assert verdict.reasons == ("insufficient_balance",)  # no game to charge it to: no exposure reason
    assert RiskGate(limits).check(signal, ctx(portfolio=Portfolio(D("55.18")), unresolved_orders=(gone,))).ok
    assert (
        RiskGate(limits).check(signal, ctx(portfolio=Portfolio(D("55.17")), unresolved_orders=(gone,))).reason
        == "insufficient_balance"
    )


def test_reserved_signals_and_unresolved_orders_add_up():
    limits = RiskLimits(max_game_exposure=D("100"))
    queued = edge_signal(contracts=60)  # $30 reserved on kalshi:HOME
    order = unknown("polymarket:away", contracts=50, price="0.50", side=Side.NO)  # $25 unresolved, same game and result
    both = ctx(reserved=(queued,), unresolved_orders=(order,))
    at_limit = edge_signal("polymarket:home", contracts=90, venue=Venue.POLYMARKET)  # $30 + $25 + $45 = $100
    over = edge_signal("polymarket:home", contracts=91, venue=Venue.POLYMARKET)  # $100.50
    assert "game_exposure" not in RiskGate(limits).check(at_limit, both).reasons
    assert RiskGate(limits).check(over, ctx(reserved=(queued,))).ok
    assert RiskGate(limits).check(over, ctx(unresolved_orders=(order,))).ok
    assert RiskGate(limits).check(over, both).reason == "game_exposure"


# -- price_band: every level the buy would take ------------------------------------------------


def band_ctx(mid: str, bids=(), asks=()) -> RiskContext:
    c = ctx()
    c.books[mid] = book(mid, bids=bids, asks=asks)
    return c


def test_review_case_a_buy_that_would_fill_below_min_price_is_refused():
    c = band_ctx("kalshi:HOME", asks=[("0.01", 60), ("0.03", 200)])
    verdict = RiskGate(RiskLimits(min_price=D("0.03"))).check(edge_signal(price="0.03", contracts=100), c)
    assert not verdict.ok and verdict.reason == "price_band"


def test_a_buy_taking_only_in_band_levels_passes_price_band():
    c = band_ctx("kalshi:HOME", bids=[("0.02", 10)], asks=[("0.03", 200), ("0.04", 50)])
    assert RiskGate(RiskLimits(min_price=D("0.03"))).check(edge_signal(price="0.04", contracts=220), c).ok


def test_price_band_walks_the_no_side_from_the_yes_bids():
    # buying NO hits YES bids at 1 − bid: a 0.99 bid is a NO ask at 0.01
    c = band_ctx("kalshi:HOME", bids=[("0.99", 5), ("0.96", 300)], asks=[("0.995", 10)])
    assert RiskGate().check(edge_signal(side=Side.NO, price="0.04", contracts=50), c).reason == "price_band"
    clean = band_ctx("kalshi:HOME", bids=[("0.96", 300)], asks=[("0.995", 10)])
    assert RiskGate().check(edge_signal(side=Side.NO, price="0.04", contracts=50), clean).ok


@pytest.mark.parametrize("price", ["0.02", "0.98"])
def test_a_limit_outside_the_band_is_still_refused_without_depth(price):
    assert RiskGate().check(edge_signal(price=price), ctx()).reason == "price_band"


def test_an_edge_against_a_committed_leg_of_the_game_is_opposing():
    """A live order on YES home whose outcome is unknown (it may be held) opposes a new YES away."""
    verdict = RiskGate().check(
        edge_signal("polymarket:away", Side.YES, venue=Venue.POLYMARKET),
        ctx(unresolved_orders=(unknown("kalshi:HOME", contracts=10),)),
    )
    assert "opposing_position" in verdict.reasons
    assert (
        "opposing_position"
        not in RiskGate().check(edge_signal("polymarket:away", Side.YES, venue=Venue.POLYMARKET), ctx()).reasons
    )
