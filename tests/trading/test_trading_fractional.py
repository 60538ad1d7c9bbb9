"""Fractional contracts (issue 13 item 2): a market with contract_step 0.01 sizes, fills and books
to the hundredth; a whole-contract market (step 1) keeps trading whole contracts exactly as before.

Fees are Kalshi's taker fee, round_up_to_cent(0.07 × C × P × (1 − P)), on the fractional C
(kalshi.com/docs/kalshi-fee-schedule.pdf; granularity 0.01: docs.kalshi.com/getting_started/
fixed_point_contracts)."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal as D

import pytest
from trading_helpers import GAME, NOW, Counter, book, edge_signal, market

from arbees_engine.bus.messages import FillView, PositionView, format_contracts, pack, unpack_event
from arbees_engine.execution import PaperBroker
from arbees_engine.model import Fill, Mode, Order, OrderStatus, Side, Sport, Venue, depth
from arbees_engine.model.contracts import QuantityError, floor_to_step, parse_contracts
from arbees_engine.model.fees import order_fee, order_fill_fees
from arbees_engine.portfolio import Portfolio
from arbees_engine.risk import RiskContext, RiskGate
from arbees_engine.settings import RiskLimits, StrategySettings
from arbees_engine.strategy import find_arb, find_edge, kelly_contracts
from arbees_tui import format as fmt

STEP = D("0.01")
FRAC = replace(market("kalshi:FRAC"), contract_step=STEP, min_order_contracts=STEP)
WHOLE = market("kalshi:WHOLE")


def _order(m, contracts, limit="0.55", coid="c-1"):
    return Order(coid, "sig", m.market_id, Venue.KALSHI, Side.YES, D(limit), D(contracts), NOW)


def test_a_fractional_fill_books_its_exact_size_fee_and_pnl():
    broker = PaperBroker({FRAC.market_id: FRAC})
    order = _order(FRAC, "2.50")
    [fill] = broker.execute(order, book(FRAC.market_id, asks=[("0.50", "10.257")]), NOW)
    assert (fill.contracts, fill.price) == (D("2.50"), D("0.50"))
    assert fill.fee == D("0.05")  # 0.07 × 2.5 × 0.25 = 0.04375 → $0.0438 → the order's cent: 0.05
    assert order.status is OrderStatus.FILLED and order.filled_contracts == D("2.50")
    pf = Portfolio(D("1000"))
    assert pf.apply_fill(fill, GAME, Sport.BASKETBALL)
    pos = pf.position(FRAC.market_id, Side.YES)
    assert (pos.contracts, pos.cost, pos.fees, pos.avg_price) == (D("2.50"), D("1.25"), D("0.05"), D("0.5"))
    assert pf.settle(FRAC.market_id, yes_won=True, at=NOW) == D("1.25")  # 2.50 × $1 − 1.25
    assert pf.bankroll.equity == D("1000") + D("1.25") - D("0.05")
    pf.check_identity()


def test_half_a_contract_fills_and_pays_its_fee_instead_of_vanishing():
    broker = PaperBroker({FRAC.market_id: FRAC})
    order = _order(FRAC, "0.50")
    [fill] = broker.execute(order, book(FRAC.market_id, asks=[("0.50", "0.5")]), NOW)
    assert (fill.contracts, fill.fee) == (D("0.50"), D("0.01"))  # 0.00875 → 0.01


def test_fractional_depth_is_walked_to_the_hundredth_across_levels():
    broker = PaperBroker({FRAC.market_id: FRAC})
    order = _order(FRAC, "3.00")
    fills = broker.execute(order, book(FRAC.market_id, asks=[("0.50", "1.257"), ("0.52", "5")]), NOW)
    assert [(f.price, f.contracts) for f in fills] == [(D("0.50"), D("1.25")), (D("0.52"), D("1.75"))]
    takes = [(D("0.50"), D("1.25")), (D("0.52"), D("1.75"))]
    assert [f.fee for f in fills] == order_fill_fees(FRAC.fees, takes)  # Kalshi's per-order rounding
    assert sum(f.fee for f in fills) == order_fee(FRAC.fees, takes) > 0
    assert order.filled_contracts == D("3.00")


def test_a_whole_market_still_takes_whole_contracts_and_refuses_a_fraction():
    broker = PaperBroker({WHOLE.market_id: WHOLE})
    order = _order(WHOLE, "3")
    fills = broker.execute(order, book(WHOLE.market_id, asks=[("0.50", "2.5"), ("0.52", "5")]), NOW)
    assert [(f.price, f.contracts) for f in fills] == [(D("0.50"), 2), (D("0.52"), 1)]
    assert all(f.contracts == f.contracts.to_integral_value() for f in fills)
    off = _order(WHOLE, "2.5", coid="c-2")
    assert broker.execute(off, book(WHOLE.market_id, asks=[("0.50", "10")]), NOW) == []
    assert off.status is OrderStatus.REJECTED and off.reason == "off_step_contracts"


def test_kelly_floors_to_the_markets_step():
    # f* = (0.6 − 0.5)/(1 − 0.5) = 0.2; stake = 0.25 × 0.2 × 101.37 = 5.0685; /0.5 = 10.137 contracts
    assert kelly_contracts(D("0.6"), D("0.5"), D("101.37"), 0.25, 100, step=STEP) == D("10.13")
    assert kelly_contracts(D("0.6"), D("0.5"), D("101.37"), 0.25, 100) == 10
    assert kelly_contracts(D("0.6"), D("0.5"), D("101.37"), 0.25, D("7.555"), step=STEP) == D("7.55")  # cap on step
    assert kelly_contracts(D("0.6"), D("0.5"), D("0.1"), 0.25, 100, step=STEP) == D("0.01")  # 0.02 → 0.01 floor
    assert kelly_contracts(D("0.6"), D("0.5"), D("0.1"), 0.25, 100) == 0


def test_an_edge_on_a_fractional_market_is_sized_in_hundredths():
    b = book(FRAC.market_id, bids=[("0.48", 100)], asks=[("0.50", "30.555"), ("0.52", 50), ("0.60", 100)])
    whole = find_edge(GAME, replace(FRAC, contract_step=D(1), min_order_contracts=D(1)), b, 0.60, None,
                      StrategySettings(), D("1000"), NOW, ids=Counter())  # fmt: skip
    sig = find_edge(GAME, FRAC, b, 0.60, None, StrategySettings(), D("1000"), NOW, ids=Counter())
    assert whole is not None and sig is not None
    n = sig.legs[0].contracts
    assert whole.legs[0].contracts == 70  # the whole-contract sizing of the same book (test_trading_edge)
    assert n % STEP == 0 and 70 < n < 71  # the same Kelly fixed point, not floored to a whole contract
    takes = depth.prefix([depth.Take(D("0.50"), D("30.55")), depth.Take(D("0.52"), D(50))], n)
    cost = (depth.notional(takes) + depth.fees(FRAC.fees, takes)) / n
    assert kelly_contracts(D("0.6"), cost, D("1000"), 0.25, 100, step=STEP) >= n  # Kelly at the fill's cost
    assert sig.edge >= StrategySettings().min_edge


def test_an_arb_between_a_fractional_and_a_whole_market_trades_whole_pairs():
    poly = market("polymarket:home", venue=Venue.POLYMARKET)
    frac_book = book(FRAC.market_id, bids=[("0.30", 100)], asks=[("0.40", "5.5")])
    poly_book = book(poly.market_id, bids=[("0.45", "5.75")], asks=[("0.60", 100)])  # NO at 0.55
    settings = StrategySettings(min_arb_profit=D("0.001"))
    sig = find_arb(GAME, FRAC, frac_book, poly, poly_book, settings, D("1000"), NOW, ids=Counter())
    assert sig is not None and [leg.contracts for leg in sig.legs] == [5, 5]
    both = replace(poly, contract_step=STEP, min_order_contracts=STEP)
    sig = find_arb(GAME, FRAC, frac_book, both, poly_book, settings, D("1000"), NOW, ids=Counter())
    assert sig is not None and [leg.contracts for leg in sig.legs] == [D("5.5"), D("5.5")]


def _risk_ctx(portfolio):
    books = {FRAC.market_id: book(FRAC.market_id, bids=[("0.48", 500)], asks=[("0.50", 500)])}
    return RiskContext(
        mode=Mode.AUTO,
        kill_engaged=False,
        now=NOW,
        portfolio=portfolio,
        markets={FRAC.market_id: FRAC, WHOLE.market_id: WHOLE},
        game_sports={GAME: Sport.BASKETBALL},
        books=books | {WHOLE.market_id: book(WHOLE.market_id, asks=[("0.50", 500)])},
        game_observed_at={GAME: NOW - timedelta(seconds=1)},
        last_trade_at={},
    )


def test_a_fractional_position_limit_holds_to_the_hundredth():
    pf = Portfolio(D("1000"))
    fill = Fill("h1", "o", FRAC.market_id, Venue.KALSHI, Side.YES, D("0.50"), D("2.00"), D("0"), NOW)
    pf.apply_fill(fill, GAME, Sport.BASKETBALL)
    gate = RiskGate(RiskLimits(max_position_contracts=D("2.5"), game_cooldown_s=0))
    assert gate.check(edge_signal(FRAC.market_id, contracts=D("0.50")), _risk_ctx(pf)).ok
    verdict = gate.check(edge_signal(FRAC.market_id, contracts=D("0.51")), _risk_ctx(pf))
    assert not verdict.ok and verdict.reason == "max_position"


def test_risk_refuses_a_fraction_on_a_whole_market():
    gate = RiskGate(RiskLimits(game_cooldown_s=0))
    verdict = gate.check(edge_signal(WHOLE.market_id, contracts=D("2.5")), _risk_ctx(Portfolio(D("1000"))))
    assert not verdict.ok and verdict.reason == "off_step"
    assert gate.check(edge_signal(WHOLE.market_id, contracts=D("2")), _risk_ctx(Portfolio(D("1000")))).ok


def test_quantities_travel_the_bus_as_decimal_strings_and_old_ints_still_decode():
    view = FillView(
        fill_id="f", client_order_id="c", market_id="m", venue="kalshi", side="yes",
        price=D("0.5"), contracts=D("2.50"), fee=D("0.05"), filled_at=NOW,
    )  # fmt: skip
    assert view.model_dump(mode="json")["contracts"] == "2.5"
    assert unpack_event(pack(view)).contracts == D("2.5")  # type: ignore[union-attr]
    old = view.model_dump(mode="json") | {"contracts": 5}  # a sender from before fractional contracts
    assert FillView.model_validate(old).contracts == 5
    with pytest.raises(ValueError):
        PositionView.model_validate(
            {"position_id": "p", "market_id": "m", "venue": "k", "game_id": "g", "side": "yes", "contracts": "2.505",
             "avg_price": "0.5", "unrealized_pnl": "0", "realized_pnl": "0", "fees": "0"}
        )  # fmt: skip


def test_the_desk_and_the_bus_write_whole_counts_whole_and_fractions_short():
    assert [format_contracts(D(x)) for x in ("2", "2.00", "2.50", "0.05", "100")] == ["2", "2", "2.5", "0.05", "100"]
    assert [fmt.contracts(D(x)) for x in ("25", "25.00", "2.50")] == ["25", "25", "2.5"]
    assert fmt.contracts(D("1234.5"), grouped=True) == "1,234.5" and fmt.contracts(None) == fmt.DASH


def test_quantity_helpers_refuse_what_is_off_the_grid():
    assert floor_to_step(D("2.579"), STEP) == D("2.57") and floor_to_step(D("2.579")) == 2
    assert floor_to_step(D("-1"), STEP) == 0
    assert parse_contracts("2.50") == D("2.50") and parse_contracts(7) == 7
    for bad in ("2.505", 2.5, "nan", "-1", "1e12", True):
        with pytest.raises(QuantityError):
            parse_contracts(bad)
    with pytest.raises(QuantityError):
        parse_contracts("2.5", step=D(1))
