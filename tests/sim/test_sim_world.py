"""SimWorld: determinism, the slate's life cycle, markets, settlement, clock and API errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sim_helpers import run_steps

from arbees_engine.adapters.sim import SimClock, SimWorld
from arbees_engine.model import BookUpdate, FeeKind, GameState, GameStatus, Market, Outcome, Side, Venue


def test_same_seed_gives_identical_events_and_other_seed_differs() -> None:
    a = run_steps(SimWorld(seed=7), 900)
    b = run_steps(SimWorld(seed=7), 900)
    c = run_steps(SimWorld(seed=8), 900)
    assert a == b
    assert len(a) > 1000
    assert a != c


def test_slate_has_live_games_and_settles_one_within_ten_sim_minutes() -> None:
    world = SimWorld(seed=3)
    events = run_steps(world, 600)
    finals = [e for e in events if isinstance(e, GameState) and e.status is GameStatus.FINAL]
    assert finals, "a game that starts in its last quarter must finish in 10 sim minutes"
    assert len(world.live_game_ids()) >= 4
    leagues = {e.league for e in events if isinstance(e, GameState)}
    assert {lg.value for lg in leagues} == {"nba", "nfl", "nhl", "epl"}


def test_long_run_always_has_live_games_and_new_games_appear() -> None:
    world = SimWorld(seed=5)
    seen: set[str] = set()
    for second in range(4 * 3600):
        for e in world.step():
            if isinstance(e, GameState):
                seen.add(e.game_id)
        if second % 60 == 0:
            assert world.live_game_ids(), f"no live game at sim second {second}"
    assert len(seen) >= 20  # 8 at a time, replaced as they finish


def test_states_are_valid_and_stamped_with_sim_time() -> None:
    world = SimWorld(seed=2)
    for _ in range(300):
        for e in world.step():
            if isinstance(e, GameState):
                assert e.validate() is e
                assert e.observed_at == world.clock.now()
                assert e.game_id.startswith(f"sim:{e.league.value}:")
                if e.status is GameStatus.LIVE:
                    assert 0.0 < world.true_home_prob(e.game_id) < 1.0


def test_markets_come_once_before_their_first_book_with_ids_and_fees() -> None:
    events = run_steps(SimWorld(seed=4), 1800)
    announced: dict[str, Market] = {}
    for e in events:
        if isinstance(e, Market):
            assert e.market_id not in announced
            announced[e.market_id] = e
        elif isinstance(e, BookUpdate):
            assert e.market_id in announced
    for m in announced.values():
        assert m.simulated and m.tick == Decimal("0.01")
        prefix = f"sim-{m.venue.value}:"
        assert m.market_id == prefix + m.venue_market_id
        assert m.fees.kind is (FeeKind.KALSHI if m.venue is Venue.KALSHI else FeeKind.POLYMARKET)
        if m.outcome is Outcome.DRAW:
            assert m.yes_team is None and m.market_id.endswith("-TIE")
        else:
            assert m.market_id.endswith(f"-{m.yes_team}")
    soccer = [m for m in announced.values() if m.game_id.startswith("sim:epl:")]
    assert {m.outcome for m in soccer} == {Outcome.HOME, Outcome.DRAW, Outcome.AWAY}
    assert {m.venue for m in announced.values()} == {Venue.KALSHI, Venue.POLYMARKET}


def test_final_game_settles_its_markets() -> None:
    world = SimWorld(seed=3)
    markets: dict[str, list[str]] = {}
    for _ in range(1200):
        events = world.step()
        for e in events:
            if isinstance(e, Market):
                markets.setdefault(e.game_id, []).append(e.market_id)
        finals = [e for e in events if isinstance(e, GameState) and e.is_final]
        if finals:
            final = finals[0]
            empties = {e.market_id for e in events if isinstance(e, BookUpdate) and not e.bids and not e.asks}
            assert set(markets[final.game_id]) <= empties
            assert world.true_home_prob(final.game_id) == (1.0 if final.winner == "home" else 0.0)
            with pytest.raises(KeyError):
                world.consume(markets[final.game_id][0], Side.YES, Decimal("0.99"), 1)
            return
    pytest.fail("no game finished")


def test_clock_and_constructor_checks() -> None:
    start = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
    world = SimWorld(seed=1, start=start)
    assert world.clock.now() == start
    world.step()
    assert world.clock.now() == start + timedelta(seconds=1)
    assert SimWorld(seed=9).clock.now() == SimWorld(seed=9).clock.now()
    with pytest.raises(ValueError):
        SimClock(datetime(2026, 1, 1))
    for bad in ({"n_games": 0}, {"speed": 0}, {"speed": float("nan")}, {"sports": ()}, {"sports": ("mlb",)}):
        with pytest.raises(ValueError):
            SimWorld(**bad)
    with pytest.raises(KeyError):
        world.true_home_prob("sim:nba:999")
