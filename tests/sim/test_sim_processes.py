"""Score processes: realistic totals, games that end, and a true probability that is calibrated."""

from __future__ import annotations

import statistics

import pytest

from arbees_engine.adapters.sim.game import SimGame
from arbees_engine.adapters.sim.phase import Phase
from arbees_engine.adapters.sim.teams import team_pool
from arbees_engine.model import League


def play(league: League, seed: int, until=None) -> SimGame:
    """Play one game from kick-off (to the end, or until `until(game)` is true)."""
    home, away = team_pool(league)[:2]
    game = SimGame(f"sim:{league.value}:{seed}", league, home, away, 0, seed)
    s = 0
    while not game.is_final and not (until and until(game)):
        game.tick(s)
        s += 1
    return game


@pytest.mark.parametrize(
    ("league", "n", "low", "high"),
    [(League.NBA, 150, 200, 240), (League.NFL, 300, 40, 50), (League.NHL, 400, 5, 7), (League.EPL, 400, 2.3, 3.2)],
)
def test_mean_total_points_is_realistic(league: League, n: int, low: float, high: float) -> None:
    totals = []
    for seed in range(n):
        game = play(league, seed)
        totals.append(game.home_score + game.away_score)
    assert low <= statistics.mean(totals) <= high


@pytest.mark.parametrize("league", [League.NBA, League.NFL, League.NHL, League.EPL])
def test_games_end_final_with_a_winner_or_allowed_draw(league: League) -> None:
    draws = 0
    for seed in range(200):
        game = play(league, seed)
        state = game.state(observed_at=None, start_time=None)  # type: ignore[arg-type]
        assert state.is_final and state.winner in ("home", "away", "draw")
        assert game.true_probs() in ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0))
        draws += state.winner == "draw"
    if league in (League.NBA, League.NHL):
        assert draws == 0  # overtime / shootout always decide
    elif league is League.NFL:
        assert draws <= 8  # a tie after sudden-death overtime is rare
    else:
        assert 20 <= draws <= 80  # soccer draws ~25%


def test_hockey_goes_to_shootout_sometimes_and_winner_gets_the_extra_goal() -> None:
    shootouts = [g for g in (play(League.NHL, s) for s in range(300)) if g.shootout]
    assert shootouts
    assert all(g.home_score != g.away_score and g.period == 4 for g in shootouts)


@pytest.mark.parametrize("league", [League.NBA, League.NFL, League.NHL, League.EPL])
def test_true_probability_goes_to_the_leader_near_the_end(league: League) -> None:
    checked = 0
    for seed in range(60):
        game = play(
            league, seed, until=lambda g: g.phase is Phase.PLAY and not g.in_ot and 0 < g.regulation_left_s() <= 20
        )
        if game.is_final or game.lead == 0:
            continue
        lead_needed = {League.NBA: 4, League.NFL: 8}.get(league, 1)
        if abs(game.lead) < lead_needed:
            continue
        home, _, away = game.true_probs()
        leader = home if game.lead > 0 else away
        assert 0.9 < leader < 1.0
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize("league", [League.NBA, League.NHL, League.EPL, League.NFL])
def test_true_probability_is_calibrated_at_mid_game(league: League) -> None:
    preds, outcomes = [], []
    for seed in range(300):
        game = play(
            league,
            1000 + seed,
            until=lambda g: g.phase is Phase.PLAY and g.regulation_left_s() <= g.spec.regulation_s // 2,
        )
        p = game.true_probs()[0]
        assert 0.0 < p < 1.0
        while not game.is_final:
            game.tick(10**6)
        preds.append(p)
        outcomes.append(1.0 if game.lead > 0 else 0.0)
    brier = statistics.mean((p - o) ** 2 for p, o in zip(preds, outcomes))
    naive = statistics.mean((statistics.mean(outcomes) - o) ** 2 for o in outcomes)
    assert abs(statistics.mean(preds) - statistics.mean(outcomes)) < 0.06
    assert brier < naive  # sharper than the base rate
