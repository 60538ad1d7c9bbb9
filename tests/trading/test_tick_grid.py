"""TickSchedule: a market's price grid as exact Decimal dollars, and `price_grid` choosing it.

Grid values are Kalshi's documented structures (https://docs.kalshi.com/getting_started/fixed_point_migration):
linear_cent $0.01 throughout; tapered_deci_cent $0.001 below $0.10 and above $0.90, $0.01 between.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from arbees_engine.model import Market, Outcome, Side, Venue
from arbees_engine.model.ticks import Rounding, TickError, TickSchedule, price_grid

TAPERED = TickSchedule.of(
    (("0.0000", "0.1000", "0.0010"), ("0.1000", "0.9000", "0.0100"), ("0.9000", "1.0000", "0.0010"))
)
CENT = TickSchedule.uniform(D("0.01"))
DOWN, UP = Rounding.DOWN, Rounding.UP


@pytest.mark.parametrize(
    ("price", "on_grid"),
    [
        ("0.055", True),
        ("0.0555", False),
        ("0.10", True),
        ("0.105", False),
        ("0.55", True),
        ("0.555", False),
        ("0.899", False),
        ("0.90", True),
        ("0.905", True),
        ("0", True),
        ("1", True),
    ],
)
def test_tapered_grid_is_fine_at_the_tails_and_whole_cents_between(price, on_grid):
    assert TAPERED.on_grid(D(price)) is on_grid


@pytest.mark.parametrize(
    ("price", "down", "up"),
    [
        ("0.555", "0.55", "0.56"),  # middle band: whole cents
        ("0.0555", "0.055", "0.056"),  # low tail: deci-cents
        ("0.9055", "0.905", "0.906"),  # high tail
        ("0.899", "0.89", "0.90"),  # just below the high tail: cents up to 0.90
        ("0.1005", "0.10", "0.11"),  # just above the low tail: 0.10 is the last deci-cent price
        ("0.42", "0.42", "0.42"),  # on the grid: unchanged both ways
    ],
)
def test_rounding_moves_to_the_nearest_grid_price_in_the_stated_direction(price, down, up):
    assert TAPERED.round_to_grid(D(price), DOWN) == D(down)
    assert TAPERED.round_to_grid(D(price), UP) == D(up)
    assert TAPERED.on_grid(TAPERED.round_to_grid(D(price), DOWN))


def test_a_grid_with_nothing_on_one_side_says_so():
    upper = TickSchedule.of((("0.50", "1", "0.01"),))
    assert upper.round_to_grid(D("0.455"), DOWN) is None and upper.round_to_grid(D("0.455"), UP) == D("0.50")
    assert upper.round_to_grid(D("1"), UP) == D("1")
    assert CENT.round_to_grid(D("0.004"), DOWN) == D("0")


def test_a_no_price_is_on_the_grid_where_the_mirrored_yes_price_is():
    # A NO buy at 0.899 is a YES price of 0.101 (cent band): down for NO is up for YES → NO 0.89.
    assert TAPERED.round_for(Side.NO, D("0.899"), DOWN) == D("0.89")
    assert TAPERED.round_for(Side.NO, D("0.0555"), DOWN) == D("0.055")  # YES 0.9445 → up 0.945
    assert TAPERED.round_for(Side.YES, D("0.899"), DOWN) == D("0.89")
    skewed = TickSchedule.of((("0", "0.5", "0.05"), ("0.5", "1", "0.01")))  # asymmetric: only the mirror is right
    assert skewed.round_for(Side.NO, D("0.58"), DOWN) == D("0.55")  # YES 0.42 → up 0.45 → NO 0.55
    assert skewed.round_for(Side.YES, D("0.58"), DOWN) == D("0.58")


def test_results_are_exact_decimals_never_floats():
    result = TAPERED.round_to_grid(D("0.5555555555555555555"), DOWN)
    assert isinstance(result, D) and result == D("0.55")
    assert TickSchedule.of(((0.9, 1, 0.001),)).ranges[0].start == D("0.9")  # floats via repr, not binary


def test_text_round_trips_and_finest_coarsest():
    assert TickSchedule.from_text(TAPERED.text) == TAPERED
    assert (TAPERED.finest, TAPERED.coarsest) == (D("0.001"), D("0.01"))
    assert TickSchedule.of([(r.start, r.end, r.step) for r in reversed(TAPERED.ranges)]) == TAPERED  # order-free


@pytest.mark.parametrize(
    "ranges",
    [
        (),
        (("0", "1", "0"),),
        (("0", "1", "-0.01"),),
        (("0", "1", "NaN"),),
        (("0", "1.5", "0.01"),),
        (("0.5", "0.5", "0.01"),),
        (("0", "0.005", "0.01"),),
        (("a", "1", "0.01"),),
        (("0", "1", True),),
    ],
)
def test_impossible_schedules_raise_tick_error(ranges):
    with pytest.raises(TickError):
        TickSchedule.of(ranges)


@pytest.mark.parametrize("text", ["", "0:1", "0:1:0.01:9", "x:y:z"])
def test_unreadable_text_raises_tick_error(text):
    with pytest.raises(TickError):
        TickSchedule.from_text(text)


def _market(tick: str, schedule: TickSchedule | None = None, refused: str = "") -> Market:
    return Market(
        "kalshi:T",
        Venue.KALSHI,
        "T",
        "g",
        Outcome.HOME,
        "SAS",
        tick=D(tick),
        tick_schedule=schedule,
        tick_refused=refused,
    )


def test_price_grid_uses_the_listing_schedule_when_it_fits_the_market_tick():
    assert price_grid(_market("0.001", TAPERED)) == TAPERED
    assert price_grid(_market("0.01")) == CENT  # no schedule: uniform at Market.tick
    # The latest listing states the grid when the caller has it.
    assert price_grid(_market("0.001"), _market("0.001", TAPERED)) == TAPERED
    # The market's tick moved (e.g. a tick change re-emitted the listing): the old schedule is stale.
    assert price_grid(_market("0.01", TAPERED)) == CENT
    with pytest.raises(TickError):
        price_grid(_market("0.001", TAPERED, refused="price_ranges step 0"))
    with pytest.raises(TickError):
        price_grid(_market("0"))
