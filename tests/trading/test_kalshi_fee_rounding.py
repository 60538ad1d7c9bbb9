"""Kalshi's published fee rounding (https://docs.kalshi.com/getting_started/fee_rounding, the three
worked examples), series fee multipliers (SDK kalshi-typescript 3.30.0 `Series.fee_type` /
`fee_multiplier`), and the issue's multi-fill IOC (10 @ 0.50 + 10 @ 0.52 costs $0.35)."""

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st
from trading_helpers import NOW, book, market

from arbees_engine.execution import PaperBroker
from arbees_engine.model import KALSHI_FEES, Order, Side, Venue, depth
from arbees_engine.model.fees import (
    FEE_MISMATCH_REASON,
    FeeError,
    FeeKind,
    KalshiOrderFees,
    fee_difference,
    kalshi_series_fees,
    kalshi_trade_fee,
    live_fill_fee,
    order_fee,
    order_fill_fees,
    taker_fee,
)

#: The SDK the series fee fields were checked against (npm `kalshi-typescript`).
KALSHI_SDK_VERSION = "3.30.0"


def _rows(trade_fee: str, revenue: str, fills: int = 3) -> list[tuple[D, D, D, D, D, D]]:
    order = KalshiOrderFees()
    out = []
    for _ in range(fills):
        f = order.charge(D(trade_fee), D(revenue))
        out.append((f.trade_fee, f.rounding_fee, f.accumulator, f.rebate, f.net_fee, f.balance_change))
    return out


def test_docs_example_subpenny_price_three_one_lot_fills():
    # Buy 3 @ $0.055 as three 1-lot matches; the docs quote the trade fee $0.0085 per fill.
    assert _rows("0.0085", "-0.055") == [
        (D("0.0085"), D("0.0065"), D("0.0065"), D(0), D("0.0150"), D("-0.07")),
        (D("0.0085"), D("0.0065"), D("0.0130"), D("0.01"), D("0.0050"), D("-0.07")),
        (D("0.0085"), D("0.0065"), D("0.0095"), D(0), D("0.0150"), D("-0.07")),
    ]


def test_docs_example_fractional_contracts_three_030_lot_fills():
    # Buy 0.90 @ $0.50 as three 0.30-lot matches; trade fee $0.0041 per fill as published.
    assert _rows("0.0041", "-0.15") == [
        (D("0.0041"), D("0.0059"), D("0.0059"), D(0), D("0.0100"), D("-0.16")),
        (D("0.0041"), D("0.0059"), D("0.0118"), D("0.01"), D("0.0000"), D("-0.16")),
        (D("0.0041"), D("0.0059"), D("0.0077"), D(0), D("0.0100"), D("-0.16")),
    ]


def test_docs_example_combined_fractional_and_subpenny_from_the_formula():
    # Buy 0.09 @ $0.3301 as three 0.03-lot matches; here the trade fee comes from our formula.
    price, lot = D("0.3301"), D("0.03")
    trade = kalshi_trade_fee(KALSHI_FEES.taker_rate, price, lot)
    assert trade == D("0.0005")
    order = KalshiOrderFees()
    rows = [order.charge(trade, -price * lot) for _ in range(3)]
    assert [r.rounding_fee for r in rows] == [D("0.009597")] * 3
    assert [r.accumulator for r in rows] == [D("0.009597"), D("0.019194"), D("0.018791")]
    assert [r.rebate for r in rows] == [D(0), D("0.01"), D("0.01")]
    assert [r.net_fee for r in rows] == [D("0.010097"), D("0.000097"), D("0.000097")]
    assert [r.balance_change for r in rows] == [D("-0.02")] * 3
    assert order_fill_fees(KALSHI_FEES, [(price, lot)] * 3) == [r.net_fee for r in rows]


def test_issue_multi_fill_ioc_costs_035_not_036():
    assert order_fill_fees(KALSHI_FEES, [(D("0.50"), 10), (D("0.52"), 10)]) == [D("0.18"), D("0.17")]
    assert depth.fees(KALSHI_FEES, [depth.Take(D("0.50"), 10), depth.Take(D("0.52"), 10)]) == D("0.35")
    # The old per-level cent rounding charged 0.18 + 0.18.
    assert taker_fee(KALSHI_FEES, D("0.50"), 10) + taker_fee(KALSHI_FEES, D("0.52"), 10) == D("0.36")


def test_paper_ioc_across_two_levels_is_charged_035():
    m = market()
    broker = PaperBroker({m.market_id: m})
    o = Order("arb-fee-1", "sig", m.market_id, Venue.KALSHI, Side.YES, D("0.52"), 20, NOW)
    fills = broker.execute(o, book(m.market_id, asks=[("0.50", 10), ("0.52", 10)]), NOW)
    assert [(f.price, f.contracts, f.fee) for f in fills] == [(D("0.50"), 10, D("0.18")), (D("0.52"), 10, D("0.17"))]
    assert sum(f.fee for f in fills) == D("0.35")


def test_direct_member_precision_charges_the_trade_fee_only():
    fees = order_fill_fees(KALSHI_FEES, [(D("0.50"), 10), (D("0.52"), 10)], balance_precision=D("0.0001"))
    assert fees == [D("0.1750"), D("0.1748")]


def test_fractional_contracts_accept_decimal_counts():
    # 2.50 @ 0.50: trade fee 0.04375 → 0.0438; 1.25 + 0.0438 → balance −1.30: fee $0.05.
    assert taker_fee(KALSHI_FEES, D("0.50"), D("2.50")) == D("0.05")
    assert taker_fee(KALSHI_FEES, D("0.50"), D("0.50")) == D("0.01")
    for bad in (D("0.505"), D("NaN"), D("1E+40"), D("-1")):  # finer than 0.01, not finite, too big, negative
        with pytest.raises(FeeError):
            taker_fee(KALSHI_FEES, D("0.50"), bad)


def test_a_rebate_never_makes_a_fill_fee_negative():
    order = KalshiOrderFees(accumulator=D("0.0099"))
    fill = order.charge(D("0"), D("-0.055"))  # sub-cent notional, no trade fee: rounding 0.005
    assert fill.rebate == 0 and fill.net_fee == D("0.005") and order.accumulator == D("0.0149")


@pytest.mark.parametrize(
    ("fee_type", "multiplier", "taker", "maker"),
    [
        ("quadratic", 1, "0.07", "0"),
        ("quadratic_with_maker_fees", 1, "0.07", "0.0175"),
        ("quadratic_with_maker_fees", 0.5, "0.035", "0.00875"),
        ("quadratic_with_combo_maker_fees", 1, "0.07", "0.035"),
        ("quadratic", 0, "0", "0"),
    ],
)
def test_series_fee_type_and_multiplier(fee_type, multiplier, taker, maker):
    schedule = kalshi_series_fees(fee_type, multiplier)
    assert (schedule.kind, schedule.taker_rate, schedule.maker_rate) == (FeeKind.KALSHI, D(taker), D(maker))


def test_series_multiplier_scales_the_charged_fee():
    half = kalshi_series_fees("quadratic_with_maker_fees", 0.5)
    assert taker_fee(half, D("0.50"), 100) == D("0.88")  # 0.035 × 25 = 0.875 → 0.88
    assert order_fee(half, [(D("0.50"), 100)], maker=True) == D("0.22")  # 0.21875 → 0.2188 → 0.22


@pytest.mark.parametrize(("fee_type", "multiplier"), [("flat", 1), ("weird", 1), (None, 1), ("quadratic", "x")])
def test_unpriced_series_fees_raise(fee_type, multiplier):
    with pytest.raises(FeeError):
        kalshi_series_fees(fee_type, multiplier)


def test_fee_difference_for_live_fills():
    assert fee_difference(D("0.17"), D("0.18")) == D("-0.01")
    assert fee_difference(D("0.35"), D("0.35")) == 0
    assert FEE_MISMATCH_REASON == "fee_mismatch"
    with pytest.raises(FeeError):
        fee_difference(D("NaN"), D("0.1"))
    assert live_fill_fee(D("0.17"), D("0.18")) == (D("0.17"), D("-0.01"))  # the venue's fee is booked
    assert live_fill_fee(None, D("0.18")) == (D("0.18"), 0)  # no venue fee reported: our estimate


def test_sdk_version_is_recorded():
    assert KALSHI_SDK_VERSION == "3.30.0"


lots = st.lists(
    st.tuples(st.decimals(D("0.01"), D("0.99"), places=4), st.decimals(D("0.01"), D("50"), places=2)),
    min_size=1,
    max_size=12,
)


@given(fills=lots)
def test_order_total_converges_to_the_cent_balance_of_its_fills(fills):
    """Whatever the split, the order's fees keep every balance change cent-aligned, never go
    negative, and exceed the raw trade fees by less than one cent of rounding per fill."""
    fees = order_fill_fees(KALSHI_FEES, fills)
    assert all(f >= 0 for f in fees)
    for (price, lot), fee in zip(fills, fees, strict=True):
        debit = price * lot + fee
        assert debit == debit.quantize(D("0.0001"))
    trade = sum(kalshi_trade_fee(KALSHI_FEES.taker_rate, p, c) for p, c in fills)
    assert trade <= sum(fees) + D("0.01") * len(fills)
