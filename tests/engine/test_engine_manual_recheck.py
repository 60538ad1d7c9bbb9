"""Manual mode: approving a pending signal prices it again on the game as it is now. A score change
while it waited, a lapsed expiry, or a sibling signal approved first refuses it (nothing is sent).
Kelly sizing counts what is already staked on the same result, on any venue or market of the game."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from engine_harness import authorized_test_operators, command

from arbees_engine.bus.messages import CommandAction
from arbees_engine.model import (
    BookLevel,
    BookUpdate,
    BookUpdateKind,
    Decision,
    Fill,
    GameState,
    GameStatus,
    League,
    Market,
    Outcome,
    Side,
    Sport,
    Team,
    Venue,
)
from arbees_engine.node.kernel import Engine
from arbees_engine.settings import Settings

NOW = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
HOME = Market("kalshi:KC-WIN", Venue.KALSHI, "KC-WIN", "espn:nfl:9", Outcome.HOME, "KC")
# Q4, 4:00 left, Kansas City up 10: the model prices the home win far above the 80¢ ask
LEADING = GameState(
    game_id="espn:nfl:9",
    sport=Sport.FOOTBALL,
    league=League.NFL,
    home=Team("KC", "Chiefs"),
    away=Team("DEN", "Broncos"),
    status=GameStatus.LIVE,
    home_score=24,
    away_score=14,
    period=4,
    clock_s=240.0,
    seconds_remaining_regulation=240.0,
    regulation_seconds=3600.0,
    start_time=NOW,
)


class _Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _engine() -> tuple[Engine, _Clock]:
    clock = _Clock()
    engine = Engine(
        Settings(
            database_url=None,
            redis_url=None,
            mode="manual",
            instance="test",
            operators_file=authorized_test_operators(),
        ),
        [],
        clock=clock,
    )
    engine.commands.guard.clock = clock  # commands expire by this clock too
    engine.on_game_state(LEADING)
    engine.on_market(HOME)
    return engine, clock


def _quote(
    engine: Engine, clock: _Clock, seq: int, market: Market = HOME, bid: str = "0.78", ask: str = "0.80"
) -> None:
    engine.on_book(
        BookUpdate(
            market.market_id,
            (BookLevel(D(bid), D("2000")),),
            (BookLevel(D(ask), D("2000")),),
            BookUpdateKind.SNAPSHOT,
            seq,
            clock.now,
        )
    )


async def _approve(engine: Engine, signal_id: str, n: int = 1):
    signal = engine.signal_book.signals[signal_id]
    clock = engine.commands.guard.clock
    return await engine.commands.handle(
        command(CommandAction.APPROVE, operator="op", now=clock(), signal_id=signal_id, signal_version=signal.version)
    )


def _only_pending(engine: Engine) -> str:
    (signal_id,) = engine.signal_book.pending
    assert engine.signal_book.pending[signal_id].legs[0].side is Side.YES
    return signal_id


async def test_a_score_change_while_pending_refuses_the_approval():
    engine, clock = _engine()
    _quote(engine, clock, 1)
    signal_id = _only_pending(engine)
    engine.on_game_state(LEADING.evolve(home_score=14, away_score=24))  # the lead flipped; same second
    ack = await _approve(engine, signal_id)
    await engine.jobs.drain()  # the executions the approval queued (no engine loop runs here)
    assert not ack.ok and ack.detail.startswith("re-check failed: edge_gone")
    assert engine.signal_book.signals[signal_id].decision is Decision.REJECTED and engine.executor.orders == 0


async def test_an_approval_after_expiry_is_refused_even_before_the_sweep():
    engine, clock = _engine()
    _quote(engine, clock, 1)
    signal_id = _only_pending(engine)
    clock.now = engine.signal_book.signals[signal_id].expires_at  # housekeeping has not run yet
    ack = await _approve(engine, signal_id)
    assert not ack.ok and "expired" in ack.detail
    assert engine.signal_book.signals[signal_id].decision is Decision.EXPIRED and engine.executor.orders == 0


async def test_a_second_pending_signal_of_a_market_is_not_stacked_on_the_first():
    engine, clock = _engine()
    _quote(engine, clock, 1)
    first = _only_pending(engine)
    clock.now += timedelta(seconds=6)  # one signal per market per 5 s
    _quote(engine, clock, 2)
    second = next(s for s in engine.signal_book.pending if s != first)
    assert engine.signal_book.signals[second].legs[0].contracts == engine.signal_book.signals[first].legs[0].contracts
    assert (await _approve(engine, first, 1)).ok
    await engine.jobs.drain()  # the executions the approval queued (no engine loop runs here)
    assert engine.executor.fills >= 1
    clock.now += timedelta(seconds=21)  # past the game's 20 s cooldown, inside the second's 30 s expiry
    engine.on_game_state(LEADING.evolve(clock_s=239.0, seconds_remaining_regulation=239.0))
    _quote(engine, clock, 3)
    ack = await _approve(engine, second, 2)  # sized before the first was held: cut to what Kelly has left
    resized = engine.signal_book.signals[second].contracts
    assert ack.ok and ack.detail == f"approved; executing; resized 100 → {resized} contracts (Kelly now)"
    assert 0 < resized < 100
    await engine.jobs.drain()
    assert engine.portfolio.position(HOME.market_id, Side.YES).contracts == 100 + resized
    fresh = engine.trader.edge(
        HOME,
        engine.registry.games[HOME.game_id],
        engine.registry.books[HOME.market_id],
        engine.trader.available(),
        clock.now,
        lambda: "probe",
    )
    assert fresh is None  # Kelly's target on this result is now held: no further edge signal


async def test_an_approval_after_another_games_signal_is_resized_not_refused():
    """Approving one game's signal moves the bankroll Kelly sizes against; a pending signal of another
    game is then cut to its new size, never refused for it."""
    engine, clock = _engine()
    other = LEADING.evolve(game_id="espn:nfl:10")
    away_game = Market("kalshi:KC10-WIN", Venue.KALSHI, "KC10-WIN", "espn:nfl:10", Outcome.HOME, "KC")
    engine.on_game_state(other)
    engine.on_market(away_game)
    _quote(engine, clock, 1, bid="0.86", ask="0.88")  # at 88¢ Kelly sizes below the 100-contract cap
    _quote(engine, clock, 1, away_game, bid="0.86", ask="0.88")
    first, second = (s for s in engine.signal_book.pending)
    sized = engine.signal_book.signals[second].contracts
    assert (await _approve(engine, first, 1)).ok
    await engine.jobs.drain()
    ack = await _approve(engine, second, 2)
    assert ack.ok and engine.signal_book.signals[second].contracts < sized, ack.detail
    await engine.jobs.drain()
    assert engine.executor.orders == 2


def test_kelly_counts_a_bet_on_the_same_result_held_on_another_venue_or_market():
    """Kalshi HOME YES held: Polymarket HOME YES and (two-way NFL) AWAY NO pay on the same result, so
    their Kelly stake is reduced by it; HOME NO pays on the other result and is not."""
    engine, _clock = _engine()
    poly_home = Market("polymarket:KC", Venue.POLYMARKET, "KC", "espn:nfl:9", Outcome.HOME, "KC")
    poly_away = Market("polymarket:DEN", Venue.POLYMARKET, "DEN", "espn:nfl:9", Outcome.AWAY, "DEN")
    for market in (poly_home, poly_away):
        engine.on_market(market)
    engine.portfolio.apply_fill(
        Fill("f1", "o1", HOME.market_id, Venue.KALSHI, Side.YES, D("0.80"), 50, D("0.56"), NOW),
        HOME.game_id,
        Sport.FOOTBALL,
    )
    assert engine.trader.staked(poly_home) == {Side.YES: D("40.00"), Side.NO: D("0")}
    assert engine.trader.staked(poly_away) == {Side.YES: D("0"), Side.NO: D("40.00")}
    assert engine.trader.staked(HOME)[Side.YES] == D("40.00")  # the market itself, as before
