"""Property tests for every sport model: bounds, monotone in lead, end-of-game limits, symmetry, bad input."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pricing_states import REGULATION, live_state, swapped

from arbees_engine.model import GameStatus, Sport
from arbees_engine.pricing import PricingError, model_for
from arbees_engine.pricing.basketball import SternModel
from arbees_engine.pricing.football import FootballModel
from arbees_engine.pricing.hockey import PoissonHockeyModel
from arbees_engine.pricing.soccer import PoissonSoccerModel

CLOCK_SPORTS = [Sport.BASKETBALL, Sport.FOOTBALL, Sport.HOCKEY, Sport.SOCCER]
LEAD_RANGE = {Sport.BASKETBALL: 40, Sport.FOOTBALL: 35, Sport.HOCKEY: 6, Sport.SOCCER: 5}
NEUTRAL = {  # home advantage removed: swapping home and away must give 1 − p
    Sport.BASKETBALL: SternModel(mu=0.0),
    Sport.FOOTBALL: FootballModel(home_edge=0.0),
    Sport.HOCKEY: PoissonHockeyModel(
        rate_home=3.0 / 3600, rate_away=3.0 / 3600, ot_home_share=0.5, shootout_home=0.5, default_prior=None
    ),
    Sport.SOCCER: PoissonSoccerModel(rate_home=1.3 / 5400, rate_away=1.3 / 5400),
}
priors = st.one_of(st.none(), st.floats(0.02, 0.98))
possessions = st.sampled_from([None, "home", "away"])
fast = settings(max_examples=60, deadline=None)


def _state(sport: Sport, lead: int, frac_left: float, prior: float | None, possession: str | None):
    state = live_state(sport, lead, REGULATION[sport] * frac_left, pregame_home_prob=prior)
    if sport is Sport.FOOTBALL and possession:
        return state.evolve(possession=possession, down=1, distance=10, yard_line_100=60)
    if sport is Sport.BASKETBALL:
        return state.evolve(possession=possession)
    return state


@pytest.mark.parametrize("sport", CLOCK_SPORTS)
@fast
@given(lead=st.integers(-40, 40), frac=st.floats(0.0, 1.0), prior=priors, possession=possessions)
def test_probability_strictly_inside_unit_interval(sport, lead, frac, prior, possession):
    p = model_for(sport).p_home(_state(sport, lead, frac, prior, possession))
    assert 1e-4 <= p <= 1 - 1e-4 and math.isfinite(p)


@pytest.mark.parametrize("sport", CLOCK_SPORTS)
@fast
@given(lead=st.integers(-30, 30), frac=st.floats(0.0, 1.0), prior=priors, possession=possessions)
def test_monotone_non_decreasing_in_home_lead(sport, lead, frac, prior, possession):
    model = model_for(sport)
    lo = model.p_home(_state(sport, lead, frac, prior, possession))
    hi = model.p_home(_state(sport, lead + 1, frac, prior, possession))
    assert hi >= lo - 1e-12


@pytest.mark.parametrize("sport", CLOCK_SPORTS)
@fast
@given(margin=st.integers(1, 30), prior=priors, possession=possessions)
def test_lead_wins_and_deficit_loses_as_time_runs_out(sport, margin, prior, possession):
    margin = max(margin, {Sport.BASKETBALL: 4, Sport.FOOTBALL: 9, Sport.SOCCER: 2}.get(sport, 1))  # more than one score
    # (soccer: a minute of added time is always left, enough for a much stronger side to equalise once)
    model = model_for(sport)

    def at_the_end(lead: int):
        state = _state(sport, lead, 1 / REGULATION[sport], prior, possession)
        # soccer's clock stops at 90:00: the end is deep into added time ("90'+15'")
        return state.evolve(seconds_remaining_regulation=0.0, added_time_s=900.0) if sport is Sport.SOCCER else state

    assert model.p_home(at_the_end(margin)) > 0.97
    assert model.p_home(at_the_end(-margin)) < 0.03


@pytest.mark.parametrize("sport", CLOCK_SPORTS)
@fast
@given(lead=st.integers(-20, 20), frac=st.floats(0.0, 1.0), prior=priors, possession=possessions)
def test_swapping_home_and_away_mirrors_probability_without_home_edge(sport, lead, frac, prior, possession):
    model = NEUTRAL[sport]
    if sport is Sport.SOCCER:
        prior = None  # a soccer prior is P(home win) only; the swapped game's prior (away win) is not 1 − it
    state = _state(sport, lead, frac, prior, possession)
    if sport in (Sport.SOCCER, Sport.FOOTBALL):  # a draw/tie is neither side's win: P(home | s) = P(away | swap(s))
        home, draw, away = model.p_outcomes(state)
        assert model.p_outcomes(swapped(state)) == pytest.approx((away, draw, home), abs=2e-3)
    else:
        assert model.p_home(state) + model.p_home(swapped(state)) == pytest.approx(1.0, abs=2e-3)


@pytest.mark.parametrize("sport", CLOCK_SPORTS + [Sport.BASEBALL])
@pytest.mark.parametrize(
    "change",
    [
        {"clock_s": float("nan")},
        {"seconds_remaining_regulation": -1.0},
        {"clock_s": float("inf")},
        {"pregame_home_prob": 1.5},
        {"pregame_home_prob": 0.0},
        {"pregame_home_prob": float("nan")},
        {"home_score": -1},
        {"possession": "left"},
    ],
)
def test_impossible_input_raises_pricing_error(sport, change):
    state = live_state(sport, 1, 100.0) if sport is not Sport.BASEBALL else live_state(sport, 1)
    with pytest.raises(PricingError):
        model_for(sport).p_home(state.evolve(**change))


def test_football_situation_out_of_range_raises():
    for change in ({"down": 5}, {"yard_line_100": 101}, {"distance": -2}, {"home_timeouts": -1}):
        with pytest.raises(PricingError):
            model_for(Sport.FOOTBALL).p_home(live_state(Sport.FOOTBALL, 0, 900.0, **change))


def test_wrong_sport_state_raises():
    with pytest.raises(PricingError, match="cannot price"):
        model_for(Sport.HOCKEY).p_home(live_state(Sport.BASKETBALL, 0, 100.0))


@fast
@given(
    lead=st.integers(-8, 8),
    inning=st.integers(1, 12),
    half=st.sampled_from(["top", "bottom"]),
    outs=st.integers(0, 2),
    prior=priors,
)
def test_baseball_bounds_and_monotone(lead, inning, half, outs, prior):
    model = model_for(Sport.BASEBALL)
    state = live_state(Sport.BASEBALL, lead, period=inning, inning_half=half, outs=outs, pregame_home_prob=prior)
    p = model.p_home(state)
    up = model.p_home(
        live_state(Sport.BASEBALL, lead + 1, period=inning, inning_half=half, outs=outs, pregame_home_prob=prior)
    )
    assert 1e-4 <= p <= up <= 1 - 1e-4


@fast
@given(lead=st.integers(-4, 4), inning=st.integers(1, 9), half=st.sampled_from(["top", "bottom"]), prior=priors)
def test_baseball_each_out_helps_the_fielding_side(lead, inning, half, prior):
    model = model_for(Sport.BASEBALL)
    ps = [
        model.p_home(
            live_state(Sport.BASEBALL, lead, period=inning, inning_half=half, outs=outs, pregame_home_prob=prior)
        )
        for outs in (0, 1, 2)
    ]
    # the away side bats in the top: outs are good for home there, bad in the bottom
    assert ps == sorted(ps) if half == "top" else ps == sorted(ps, reverse=True)


def test_baseball_late_lead_is_near_certain_and_bad_outs_raise():
    model = model_for(Sport.BASEBALL)
    assert model.p_home(live_state(Sport.BASEBALL, 3, period=9, inning_half="top", outs=2)) > 0.97
    assert model.p_home(live_state(Sport.BASEBALL, -3, period=9, inning_half="bottom", outs=2)) < 0.03
    with pytest.raises(PricingError):
        model.p_home(live_state(Sport.BASEBALL, 0, period=3, outs=7))


@pytest.mark.parametrize("sport", CLOCK_SPORTS + [Sport.BASEBALL])
def test_final_state_settles_to_the_result(sport):
    model = model_for(sport)
    won = live_state(sport, 2, 0.0, status=GameStatus.FINAL)
    lost = live_state(sport, -2, 0.0, status=GameStatus.FINAL)
    assert model.p_home(won) == pytest.approx(1.0, abs=1e-3)
    assert model.p_home(lost) == pytest.approx(0.0, abs=1e-3)


@pytest.mark.parametrize("sport", CLOCK_SPORTS)
def test_prior_sets_the_pregame_probability(sport):
    model = model_for(sport)
    pre = live_state(
        sport,
        0,
        REGULATION[sport],
        period=0,
        clock_s=0.0,
        seconds_remaining_regulation=0.0,
        status=GameStatus.SCHEDULED,
    )
    for prior in (0.25, 0.7):
        p = model.p_home(pre.evolve(pregame_home_prob=prior))
        tolerance = 0.03 if sport is not Sport.SOCCER else 0.01
        assert p == pytest.approx(prior, abs=tolerance)


def test_football_kickoff_and_try_spots_are_not_scrimmage_expected_points():
    """nflscrapR/ESPN give no down on kickoffs and tries: the spot (opponent 30, the 2) must not count
    as a drive there, so the state prices like a possession at the touchback spot."""
    model = model_for(Sport.FOOTBALL)
    base = live_state(Sport.FOOTBALL, 7, 1800.0, possession="home")
    touchback = model.p_home(base.evolve(yard_line_100=None))
    for spot in (2, 30, 35):
        assert model.p_home(base.evolve(yard_line_100=spot)) == pytest.approx(touchback)
    assert model.p_home(base.evolve(down=1, distance=10, yard_line_100=30)) > touchback


@pytest.mark.parametrize("sport", CLOCK_SPORTS)
@fast
@given(lead=st.integers(-20, 20), frac=st.floats(0.0, 1.0), possession=possessions)
def test_shipped_models_drop_the_home_edge_at_a_neutral_site(sport, lead, frac, possession):
    model = model_for(sport)
    state = _state(sport, lead, frac, None, possession).evolve(neutral_site=True)
    if sport in (Sport.SOCCER, Sport.FOOTBALL):  # NFL overtime can end tied
        home, draw, away = model.p_outcomes(state)
        assert model.p_outcomes(swapped(state)) == pytest.approx((away, draw, home), abs=2e-3)
    else:
        assert model.p_home(state) + model.p_home(swapped(state)) == pytest.approx(1.0, abs=2e-3)


@pytest.mark.parametrize(
    "context, expected",
    [
        ({}, 0.57),
        ({"postseason": True}, 0.627),
        ({"postseason": True, "neutral_site": True}, 0.5),
        ({"postseason": True, "pregame_home_prob": 0.3}, 0.3),  # a prior always wins
    ],
)
def test_football_kickoff_probability_follows_the_game_context(context, expected):
    kickoff = live_state(Sport.FOOTBALL, 0, REGULATION[Sport.FOOTBALL]).evolve(**context)
    assert model_for(Sport.FOOTBALL).p_home(kickoff) == pytest.approx(expected, abs=0.01)


def test_soccer_counts_expected_added_time_that_the_feed_clock_does_not_show():
    """ESPN's clock stops at 90:00; added time is only in "90'+N'" (added_time_s)."""
    from arbees_engine.pricing.soccer import EXPECTED_ADDED_S, MIN_ADDED_LEFT_S, play_left_s

    model = model_for(Sport.SOCCER)
    at_90 = live_state(Sport.SOCCER, 1, 0.0, period=2)
    assert play_left_s(at_90) == EXPECTED_ADDED_S[1]
    into = [model.p_outcomes(at_90.evolve(added_time_s=60.0 * m)) for m in (0, 3, 6, 20)]
    homes = [p[0] for p in into]
    assert homes == sorted(homes) and 0.85 < homes[0] < 0.97  # 1–0 at 90:00 is not yet won
    assert play_left_s(at_90.evolve(added_time_s=1200.0)) == MIN_ADDED_LEFT_S
    level = model.p_outcomes(live_state(Sport.SOCCER, 0, 0.0, period=2, added_time_s=120.0))
    assert 0.80 < level[1] < 0.97  # the draw is likely, not certain
    first_half = live_state(Sport.SOCCER, 0, 2700.0, period=1, added_time_s=120.0)
    assert play_left_s(first_half) == max(EXPECTED_ADDED_S[0] - 120.0, MIN_ADDED_LEFT_S) + 2700.0 + EXPECTED_ADDED_S[1]


def test_basketball_leagues_scale_sigma_and_home_edge():
    from arbees_engine.model import League
    from arbees_engine.pricing.base import phi
    from arbees_engine.pricing.basketball import SIGMA_POINTS, SternModel

    model = model_for(Sport.BASKETBALL)
    tip = {
        lg: live_state(Sport.BASKETBALL, 0, None, league=lg, period=0) for lg in (League.NBA, League.WNBA, League.NCAAB)
    }
    assert model.p_home(tip[League.NCAAB]) == pytest.approx(phi(4.0 / (SIGMA_POINTS * 10 / 12)), abs=2e-3)
    assert model.p_home(tip[League.WNBA]) == pytest.approx(model.p_home(tip[League.NBA]), abs=2e-3)  # same home rate
    # NCAAB, up 10 with 5:00 of 40 minutes left: tighter games than the NBA make the lead worth more
    college = live_state(Sport.BASKETBALL, 10, 300.0, league=League.NCAAB, regulation_seconds=2400.0, period=2)
    nba_sigma = SternModel(mu=model.mu, sigma=SIGMA_POINTS * 12 / 10)  # what the NBA σ would give
    assert model.p_home(college) > nba_sigma.p_home(college) + 0.01 and model.p_home(college) > 0.98


def test_nfl_regular_season_overtime_can_end_tied_and_college_overtime_is_not_priced():
    from arbees_engine.model import League, Outcome
    from arbees_engine.pricing import p_outcome
    from arbees_engine.pricing.football import OT_SECONDS

    def overtime(clock: float, **changes):
        return live_state(Sport.FOOTBALL, 0, 0.0, period=5, clock_s=clock, **changes)

    model = model_for(Sport.FOOTBALL)
    ties = [model.p_outcomes(overtime(t))[1] for t in (OT_SECONDS, 300.0, 60.0, 5.0)]
    assert ties == sorted(ties) and ties[0] == pytest.approx(0.057, abs=1e-3) and ties[-1] > 0.95
    home, tie, away = model.p_outcomes(overtime(60.0))
    assert home + tie + away == pytest.approx(1.0, abs=1e-3) and home < 0.2 and away < 0.2
    assert p_outcome(overtime(60.0), Outcome.AWAY) == pytest.approx(away)  # not 1 − P(home)
    playoff = model.p_outcomes(overtime(60.0, postseason=True))
    assert playoff[1] < 1e-3 and playoff[0] + playoff[2] == pytest.approx(1.0, abs=1e-3)
    tied_final = overtime(0.0).evolve(status=GameStatus.FINAL)
    assert model.p_home(tied_final) < 1e-3 and p_outcome(tied_final, Outcome.AWAY) < 1e-3
    with pytest.raises(PricingError, match="college overtime"):
        model.p_home(overtime(0.0, league=League.NCAAF))
