"""Bad input reaching the engine is counted and logged; the pipeline keeps going."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from arbees_engine.adapters.sim import SimWorld
from arbees_engine.model import BookLevel, BookUpdate, BookUpdateKind, GameStatus
from arbees_engine.node.kernel import Engine
from arbees_engine.settings import Settings


def _engine() -> tuple[Engine, SimWorld]:
    world = SimWorld(seed=3, speed=None, n_games=4)
    engine = Engine(Settings(database_url=None, redis_url=None), [world], clock=world.clock.now)
    for _ in range(5):
        for event in world.step():
            world._dispatch(engine, event)
    return engine, world


def test_bad_books_and_states_are_counted_and_the_engine_carries_on():
    engine, world = _engine()
    market_id = next(iter(engine.registry.markets))
    book = engine.registry.books[market_id]
    good_bid = book.best_bid
    now = datetime.now(UTC)
    engine.on_book(
        BookUpdate(
            market_id, (BookLevel(Decimal("1.7"), Decimal("10")),), (), kind=BookUpdateKind.SNAPSHOT, received_at=now
        )
    )
    engine.on_book(
        BookUpdate(
            market_id, (BookLevel(Decimal("NaN"), Decimal("10")),), (), kind=BookUpdateKind.SET_LEVELS, received_at=now
        )
    )
    engine.on_book(
        BookUpdate(
            market_id, (BookLevel(Decimal("0.5"), Decimal("-3")),), (), kind=BookUpdateKind.SET_LEVELS, received_at=now
        )
    )
    engine.on_book(BookUpdate("kalshi:NOT-A-MARKET", (), (), kind=BookUpdateKind.SNAPSHOT, received_at=now))
    state = next(iter(engine.registry.games.values()))
    engine.on_game_state(state.evolve(clock_s=float("nan")))
    engine.on_game_state(state.evolve(home_score=-1))

    assert engine.input_rejections["book:invalid_update"] == 3
    assert engine.input_rejections["book:unknown_market"] == 1
    assert engine.input_rejections["game:invalid_state"] == 2
    assert book.best_bid == good_bid and book.stale  # unchanged, and untrusted until the next snapshot
    assert engine.registry.games[state.game_id] == state  # the bad observations were not taken
    status = engine.status_view()
    assert status.rejections["book:invalid_update"] == 3

    before = engine.counts["book_updates"]
    for _ in range(30):
        for event in world.step():
            world._dispatch(engine, event)
    assert engine.counts["book_updates"] > before and not book.stale  # recovered on the next snapshot
    assert all(g.status in GameStatus for g in engine.registry.games.values())


def test_finished_games_are_forgotten_after_a_while_and_stay_gone():
    engine, world = _engine()
    settled_game = None
    for _ in range(3 * 3600):  # run until a game has been final for longer than the keep time
        for event in world.step():
            world._dispatch(engine, event)
        engine.housekeeping()
        if engine.counts["games_forgotten"]:
            break
    assert engine.counts["games_forgotten"] >= 1
    settled_game = next(iter(engine.registry.forgotten))
    assert settled_game not in engine.registry.games
    assert all(m.game_id != settled_game for m in engine.registry.markets.values())
    final_state = world._games[settled_game].state(world.clock.now(), world.clock.now())
    engine.on_game_state(final_state)  # a feed still listing it
    assert settled_game not in engine.registry.games
    live = [g for g in engine.registry.games.values() if g.status.value == "live"]
    assert live, "live games must be kept"
