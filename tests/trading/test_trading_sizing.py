from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arbees_engine.strategy.sizing import SizingError, kelly_contracts, kelly_fraction_binary


def test_kelly_fraction_examples():
    assert kelly_fraction_binary(D("0.6"), D("0.5")) == D("0.2")
    assert kelly_fraction_binary(D("0.5"), D("0.5")) == 0
    assert kelly_fraction_binary(D("0.3"), D("0.5")) == 0
    assert kelly_fraction_binary(D("1"), D("0.2")) == 1


def test_kelly_contracts_example():
    # quarter Kelly: 0.25 × 0.2 × 1000 = $50 at $0.50 → 100 contracts
    assert kelly_contracts(D("0.6"), D("0.5"), D("1000"), 0.25, 500) == 100
    assert kelly_contracts(D("0.6"), D("0.5"), D("1000"), 0.25, 40) == 40
    assert kelly_contracts(D("0.6"), D("0.5"), D("0"), 0.25, 40) == 0
    assert kelly_contracts(D("0.6"), D("0.5"), D("-5"), 0.25, 40) == 0


@pytest.mark.parametrize(
    ("p", "c"), [(D("1.1"), D("0.5")), (D("0.5"), D("0")), (D("0.5"), D("1")), (D("-0.1"), D("0.5"))]
)
def test_bad_inputs_raise(p, c):
    with pytest.raises(SizingError):
        kelly_fraction_binary(p, c)


def test_bad_kelly_fraction_raises():
    with pytest.raises(SizingError):
        kelly_contracts(D("0.6"), D("0.5"), D("100"), 0.0, 10)


probs = st.decimals(min_value=D("0"), max_value=D("1"), places=4)
costs = st.decimals(min_value=D("0.01"), max_value=D("0.99"), places=4)


@given(
    p=probs,
    c=costs,
    bankroll=st.decimals(min_value=D("0"), max_value=D("100000"), places=2),
    k=st.floats(min_value=0.01, max_value=1.0),
    cap=st.integers(1, 10_000),
)
def test_kelly_bounds(p, c, bankroll, k, cap):
    f = kelly_fraction_binary(p, c)
    assert D(0) <= f <= D(1)
    n = kelly_contracts(p, c, bankroll, k, cap)
    assert 0 <= n <= cap
    assert n * c <= D(repr(k)) * f * bankroll  # never stakes more than the fractional Kelly amount
    if p <= c:
        assert n == 0
    if n < cap:  # one more contract would overshoot the Kelly stake
        assert (n + 1) * c > D(repr(k)) * f * bankroll


def test_kelly_tops_up_to_the_target_instead_of_stacking_fresh_stakes():
    from decimal import Decimal as D

    from arbees_engine.strategy.sizing import kelly_contracts

    fresh = kelly_contracts(D("0.60"), D("0.50"), D("1000"), 0.25, 10_000)  # k·f*·B = 0.25·0.2·1000 = $50
    assert fresh == 100
    assert kelly_contracts(D("0.60"), D("0.50"), D("1000"), 0.25, 10_000, staked=D("30")) == 40
    assert kelly_contracts(D("0.60"), D("0.50"), D("1000"), 0.25, 10_000, staked=D("50")) == 0
