"""ESPN states older than the one held are refused and counted (espn:stale_state); forward-moving
states, corrections that come with progress, postponements and every sim state are taken."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fixture_server import load_fixture

from arbees_engine.adapters.espn import parse_scoreboard
from arbees_engine.adapters.espn.freshness import stale_reason
from arbees_engine.adapters.sim import SimWorld
from arbees_engine.model import GameState, GameStatus, League, Sport, Team
from arbees_engine.node.kernel import Engine
from arbees_engine.settings import Settings

NOW = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
BASE = GameState(
    game_id="espn:nba:1",
    sport=Sport.BASKETBALL,
    league=League.NBA,
    home=Team("NYK", "Knicks"),
    away=Team("SAS", "Spurs"),
    status=GameStatus.LIVE,
    home_score=50,
    away_score=48,
    period=3,
    clock_s=300.0,
    seconds_remaining_regulation=1020.0,
    regulation_seconds=2880.0,
    start_time=NOW,
)


def _engine() -> Engine:
    return Engine(Settings(database_url=None, redis_url=None), [], clock=lambda: NOW)


def timeline(n: int) -> list[GameState]:
    """An NBA game moving forward: the clock runs 10 s per state, a basket every third state."""
    states, home, away = [], 0, 0
    for i in range(n):
        elapsed = 10.0 * i
        period, left = 1 + int(elapsed // 720), 720.0 - elapsed % 720
        home += 2 if i % 3 == 1 else 0
        away += 3 if i % 6 == 2 else 0
        states.append(
            BASE.evolve(
                home_score=home,
                away_score=away,
                period=period,
                clock_s=left,
                seconds_remaining_regulation=max(0.0, 2880.0 - elapsed),
            )
        )
    return states


@pytest.mark.parametrize(
    ("new", "why"),
    [
        (BASE.evolve(home_score=48), "score went down"),
        (BASE.evolve(clock_s=310.0), "clock went back"),
        (BASE.evolve(period=2, clock_s=100.0), "clock went back"),
        (BASE.evolve(status=GameStatus.SCHEDULED, home_score=0, away_score=0), "status went back"),
        (BASE.evolve(away_score=45, clock_s=310.0), "score went down"),
    ],
)
def test_older_states_are_stale(new: GameState, why: str) -> None:
    assert why in (stale_reason(BASE, new) or "")


@pytest.mark.parametrize(
    "new",
    [
        BASE,  # the same state again (a poll with nothing new)
        BASE.evolve(clock_s=290.0),
        BASE.evolve(home_score=52, clock_s=300.0),
        BASE.evolve(home_score=52, clock_s=302.0),  # time put back on the clock together with a basket
        BASE.evolve(home_score=48, clock_s=280.0),  # a basket overturned on review, once play resumed
        BASE.evolve(home_score=47, away_score=51),  # points re-assigned between the teams
        BASE.evolve(status=GameStatus.FINAL, home_score=49, clock_s=0.0),  # final with the review's score
        BASE.evolve(status=GameStatus.POSTPONED, home_score=0, away_score=0),  # suspended: always news
        BASE.evolve(period=4, clock_s=720.0),
        BASE.evolve(clock_s=0.0),  # clock unknown: no evidence either way
    ],
)
def test_newer_or_not_comparable_states_are_taken(new: GameState) -> None:
    assert stale_reason(BASE, new) is None


def test_a_final_score_is_not_corrected_and_the_final_is_not_undone() -> None:
    final = BASE.evolve(status=GameStatus.FINAL, period=4, clock_s=0.0)
    assert "score went down" in stale_reason(final, final.evolve(home_score=49))
    assert "status went back" in stale_reason(final, BASE.evolve(home_score=60))


def test_baseball_halves_and_outs_and_soccer_added_time_order_states() -> None:
    inning = BASE.evolve(
        game_id="espn:mlb:1",
        sport=Sport.BASEBALL,
        league=League.MLB,
        period=5,
        clock_s=0.0,
        inning_half="bottom",
        outs=1,
    )
    assert stale_reason(inning, inning.evolve(outs=2)) is None
    assert "clock went back" in stale_reason(inning, inning.evolve(outs=0))
    assert "clock went back" in stale_reason(inning, inning.evolve(inning_half="top", outs=2))
    assert stale_reason(inning, inning.evolve(period=6, inning_half="top", outs=0)) is None
    stoppage = BASE.evolve(
        game_id="espn:epl:1", sport=Sport.SOCCER, league=League.EPL, period=2, clock_s=0.0, added_time_s=120.0
    )
    assert stale_reason(stoppage, stoppage.evolve(added_time_s=180.0)) is None
    assert "clock went back" in stale_reason(stoppage, stoppage.evolve(added_time_s=60.0))


def test_the_engine_refuses_every_older_state_after_the_newest_and_counts_each() -> None:
    engine = _engine()
    states = timeline(200)
    for state in states:  # in order: all taken
        engine.on_game_state(state)
    assert engine.input_rejections["espn:stale_state"] == 0
    newest = states[-1]
    stale = [s for s in states[:-1] if s != newest]
    for state in stale:  # a replica serving the game's past, oldest first
        engine.on_game_state(state)
    assert engine.input_rejections["espn:stale_state"] == len(stale) == 199
    assert engine.registry.games[newest.game_id] == newest
    assert engine.status_view().rejections["espn:stale_state"] == 199


def test_recorded_scoreboards_replayed_twice_are_never_stale() -> None:
    engine = _engine()
    for league, name in (
        (League.NFL, "scoreboard_nfl_2022wk1_in_post_pre.json"),
        (League.NHL, "scoreboard_nhl_2022pre_in_post.json"),
        (League.EPL, "scoreboard_soccer_eng1_ft_and_postponed_20260321.json"),
    ):
        games, _ = parse_scoreboard(load_fixture("espn", name), league, NOW)
        for _ in range(2):
            for game in games:
                engine.on_game_state(game)
    assert engine.input_rejections["espn:stale_state"] == 0 and engine.registry.games


def test_every_consecutive_sim_state_moves_forward_under_the_rule() -> None:
    """The sim's games are never checked (ids sim:*), and the rule would take all of them anyway."""
    world = SimWorld(seed=5, speed=None, n_games=6)
    engine = Engine(Settings(database_url=None, redis_url=None), [world], clock=world.clock.now)
    held: dict[str, GameState] = {}
    checked = 0
    for _ in range(1500):
        for event in world.step():
            world._dispatch(engine, event)
            if isinstance(event, GameState):
                if event.game_id in held:
                    assert stale_reason(held[event.game_id], event) is None, (held[event.game_id], event)
                    checked += 1
                held[event.game_id] = event
    assert checked > 1000 and not any(k.endswith(":stale_state") for k in engine.input_rejections)
