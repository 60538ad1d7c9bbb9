from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st
from trading_helpers import NO_FEES, POLY_SPORTS

from arbees_engine.model import KALSHI_FEES, FeeKind, FeeSchedule
from arbees_engine.model.fees import FeeError, fee_per_contract_estimate, maker_fee, taker_fee


@pytest.mark.parametrize(
    ("contracts", "price", "fee"),
    [
        (100, "0.50", "1.75"),  # 0.07 × 100 × 0.25 = 1.75 exactly
        (1, "0.50", "0.02"),  # 0.0175 rounds up to 0.02
        (10, "0.99", "0.01"),  # 0.00693 rounds up
        (1, "0.01", "0.01"),  # anything positive costs at least a cent
        (100, "0.30", "1.47"),  # 0.07 × 100 × 0.21 = 1.47
        (0, "0.50", "0"),
        (5, "1", "0"),
        (5, "0", "0"),
    ],
)
def test_kalshi_taker_fee_matches_fee_schedule(contracts, price, fee):
    assert taker_fee(KALSHI_FEES, D(price), contracts) == D(fee)


def test_kalshi_maker_fee_uses_maker_rate():
    assert maker_fee(KALSHI_FEES, D("0.50"), 100) == D("0.44")  # 0.0175 × 25 = 0.4375 → 0.44
    assert maker_fee(POLY_SPORTS, D("0.50"), 100) == 0


@pytest.mark.parametrize(
    ("rate", "exponent", "contracts", "price", "fee"),
    [
        ("0.05", 1, 100, "0.50", "1.25"),  # fixture sports_fees_v2 schedule: 100 × 0.05 × 0.25
        ("0.03", 1, 100, "0.50", "0.75"),  # sports rate 0.03 (docs fee table peak: 0.75 per 100 shares)
        ("0.03", 1, 100, "0.20", "0.48"),  # 100 × 0.03 × 0.16
        ("0.04", 1, 1, "0.123", "0.00431"),  # 0.0043171... floored to 5 dp
        ("0.25", 2, 100, "0.50", "1.5625"),  # crypto-style exponent 2: 100 × 0.25 × 0.0625
        ("0.03", 1, 1, "0.999", "0.00002"),  # 0.00002997 floored
        ("0.03", 1, 1, "0.0001", "0"),  # below 0.00001 charges nothing
    ],
)
def test_polymarket_taker_fee(rate, exponent, contracts, price, fee):
    schedule = FeeSchedule(FeeKind.POLYMARKET, D(rate), D(0), exponent)
    assert taker_fee(schedule, D(price), contracts) == D(fee)


def test_no_fee_kind_charges_nothing():
    assert taker_fee(NO_FEES, D("0.5"), 1000) == 0


@pytest.mark.parametrize(("price", "contracts"), [(D("1.01"), 1), (D("-0.1"), 1), (D("0.5"), -1), (D("NaN"), 1)])
def test_bad_inputs_raise(price, contracts):
    with pytest.raises(FeeError):
        taker_fee(KALSHI_FEES, price, contracts)


def test_bad_contract_type_raises():
    with pytest.raises(FeeError):
        taker_fee(KALSHI_FEES, D("0.5"), 1.5)  # type: ignore[arg-type]


def test_fee_per_contract_estimate():
    assert fee_per_contract_estimate(KALSHI_FEES, D("0.50")) == D("0.0175")
    assert fee_per_contract_estimate(KALSHI_FEES, D("0.50"), 1) == D("0.02")
    assert fee_per_contract_estimate(KALSHI_FEES, D("0.30"), 3) == D("0.016667")  # 0.05 / 3 rounded up
    assert fee_per_contract_estimate(POLY_SPORTS, D("0.40")) == D("0.012")
    assert fee_per_contract_estimate(NO_FEES, D("0.40")) == 0


prices = st.decimals(min_value=D("0"), max_value=D("1"), places=4)
# Whole-cent prices: a one-fill Kalshi fee is then the exact fee ceiled to the cent. Sub-cent
# prices add the balance rounding of the notional (test_kalshi_fee_rounding.py covers those).
cent_prices = st.decimals(min_value=D("0"), max_value=D("1"), places=2)


@given(price=cent_prices, contracts=st.integers(0, 10_000))
def test_kalshi_fee_is_ceiling_of_exact_fee(price, contracts):
    exact = D("0.07") * contracts * price * (1 - price)
    fee = taker_fee(KALSHI_FEES, price, contracts)
    assert fee >= exact and fee - exact < D("0.01") and fee == fee.quantize(D("0.01"))


@given(price=cent_prices, a=st.integers(0, 5000), b=st.integers(0, 5000))
def test_fees_symmetric_and_subadditive_up_to_rounding(price, a, b):
    for schedule in (KALSHI_FEES, POLY_SPORTS):
        assert taker_fee(schedule, price, a) == taker_fee(schedule, 1 - price, a)
        split = taker_fee(schedule, price, a) + taker_fee(schedule, price, b)
        whole = taker_fee(schedule, price, a + b)
        assert whole - D("0.00002") <= split <= whole + D("0.02")
