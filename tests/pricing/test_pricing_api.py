"""Public pricing API: registry, outcome mapping (soccer draws), blend. (Speed: `arbees-engine bench`.)"""

from __future__ import annotations

import pytest
from pricing_states import live_state

from arbees_engine.model import Outcome, Sport
from arbees_engine.pricing import PricingError, WinProbModel, blend, blend_detail, model_for, p_outcome


@pytest.mark.parametrize("sport", list(Sport))
def test_every_sport_has_a_model_honouring_the_protocol(sport):
    model = model_for(sport)
    assert isinstance(model, WinProbModel) and model.sport is sport


def test_unknown_sport_raises():
    with pytest.raises(PricingError):
        model_for("curling")


def test_soccer_draw_makes_both_team_markets_lose():
    state = live_state(Sport.SOCCER, 0, 1800.0)
    home, draw, away = (p_outcome(state, o) for o in (Outcome.HOME, Outcome.DRAW, Outcome.AWAY))
    assert home + draw + away == pytest.approx(1.0)
    assert draw > 0.2 and home + away < 0.8


def test_two_way_sports_map_home_away_and_draw():
    state = live_state(Sport.BASKETBALL, 5, 600.0)
    assert p_outcome(state, Outcome.HOME) + p_outcome(state, Outcome.AWAY) == pytest.approx(1.0)
    assert p_outcome(state, Outcome.DRAW) == pytest.approx(1e-4)


def test_blend_shrinks_toward_market_more_when_uncertain():
    early = live_state(Sport.BASKETBALL, 0, 2800.0)
    late = live_state(Sport.BASKETBALL, 0, 60.0, possession="home", pregame_home_prob=0.6)
    early_r = blend_detail(0.8, 0.5, 0.2, early)
    late_r = blend_detail(0.8, 0.5, 0.2, late)
    assert 0.5 < early_r.p < late_r.p < 0.8 and early_r.weight > late_r.weight >= 0.2
    assert blend(0.8, None, 0.3) == pytest.approx(0.8)
    assert blend(0.8, 0.5, 0.0) == pytest.approx(0.8) and blend(0.8, 0.5, 1.0) == pytest.approx(0.5)
    for bad in ((float("nan"), 0.5, 0.2), (0.5, 1.5, 0.2), (0.5, 0.5, -0.1)):
        with pytest.raises(PricingError):
            blend(*bad)


def test_blend_weight_follows_the_game_clock_in_baseball_and_ignores_possession_where_unused():
    top_first = live_state(Sport.BASEBALL, 0, period=1, inning_half="top", outs=0, pregame_home_prob=0.55)
    bottom_ninth = live_state(Sport.BASEBALL, 0, period=9, inning_half="bottom", outs=2, pregame_home_prob=0.55)
    assert blend_detail(0.6, 0.5, 0.1, top_first).weight > blend_detail(0.6, 0.5, 0.1, bottom_ninth).weight + 0.3
    hockey = live_state(Sport.HOCKEY, 1, 600.0, pregame_home_prob=0.5)
    football = live_state(Sport.FOOTBALL, 3, 600.0, pregame_home_prob=0.5)
    assert blend_detail(0.6, 0.5, 0.1, hockey).weight < blend_detail(0.6, 0.5, 0.1, football).weight  # no possession
    assert blend_detail(0.6, 0.5, 0.1, football.evolve(possession="home")).weight == pytest.approx(
        blend_detail(0.6, 0.5, 0.1, hockey).weight
    )


def test_baseball_refuses_a_live_game_without_its_half_inning():
    with pytest.raises(PricingError, match="half-inning unknown"):
        model_for(Sport.BASEBALL).p_home(live_state(Sport.BASEBALL, 1, period=4))
