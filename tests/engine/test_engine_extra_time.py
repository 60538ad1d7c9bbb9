"""Soccer markets settle on 90 minutes plus added time: a cup tie decided in extra time is expected
to settle on the last regulation score the engine saw (held for the operator when it saw none); a
real venue's market then settles on the venue's own result, compared with that expectation."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

from arbees_engine.adapters.registry import with_evidence
from arbees_engine.model import (
    Fill,
    GameState,
    GameStatus,
    League,
    Market,
    MarketListing,
    Outcome,
    Side,
    Sport,
    Team,
    Venue,
)
from arbees_engine.node.kernel import Engine
from arbees_engine.settings import Settings

NOW = datetime(2026, 4, 15, 21, 0, tzinfo=UTC)
TIE = GameState(
    game_id="espn:ucl:1",
    sport=Sport.SOCCER,
    league=League.UCL,
    home=Team("ARS", "Arsenal"),
    away=Team("RMA", "Real Madrid"),
    status=GameStatus.LIVE,
    period=2,
    home_score=1,
    away_score=1,
    regulation_seconds=5400.0,
    start_time=NOW,
)


async def _engine_holding_home_yes() -> tuple[Engine, Market]:
    engine = Engine(Settings(database_url=None, redis_url=None), [], clock=lambda: NOW)
    home = Market("kalshi:UCL-ARS", Venue.KALSHI, "UCL-ARS", TIE.game_id, Outcome.HOME, "ARS")
    engine.on_market(home)
    engine.portfolio.apply_fill(
        Fill("f1", "o1", home.market_id, Venue.KALSHI, Side.YES, D("0.40"), 10, D("0"), NOW), TIE.game_id, Sport.SOCCER
    )
    return engine, home


async def _settle(engine: Engine) -> None:
    await engine.jobs.run_queued()


async def _venue_resolves(engine: Engine, result: str) -> None:
    engine.on_listing(
        with_evidence(
            MarketListing(
                Venue.KALSHI, "UCL-ARS", "UCL", "Arsenal vs Real Madrid", "Arsenal", status="settled", result=result
            )
        )
    )
    await _settle(engine)


async def test_extra_time_winner_does_not_win_a_ninety_minute_market():
    engine, home = await _engine_holding_home_yes()
    engine.on_game_state(TIE)  # 1–1 at full time
    engine.on_game_state(TIE.evolve(period=3, home_score=2))  # extra time goal
    engine.on_game_state(TIE.evolve(period=4, home_score=2, status=GameStatus.FINAL))
    await _settle(engine)
    assert engine.settlement.expected == {home.market_id: "no"}  # the 90 minutes ended level: YES lost
    assert not engine.portfolio.position(home.market_id, Side.YES).settled  # the venue decides
    await _venue_resolves(engine, "no")
    position = engine.portfolio.position(home.market_id, Side.YES)
    assert position.settled and position.realized_pnl == D("-4.00")
    assert engine.settlement.mismatches == 0


async def test_extra_time_final_without_a_regulation_score_is_held_for_the_operator():
    engine, home = await _engine_holding_home_yes()
    engine.on_game_state(TIE.evolve(period=4, home_score=2, status=GameStatus.FINAL))  # first seen already over
    await _settle(engine)
    assert not engine.portfolio.position(home.market_id, Side.YES).settled
    assert engine.input_rejections["settlement:extra_time_regulation_score_unknown"] == 1


async def test_a_game_decided_in_regulation_settles_on_its_final_score():
    engine, home = await _engine_holding_home_yes()
    engine.on_game_state(TIE.evolve(home_score=2))
    engine.on_game_state(TIE.evolve(home_score=2, status=GameStatus.FINAL))
    await _settle(engine)
    assert engine.settlement.expected == {home.market_id: "yes"}
    await _venue_resolves(engine, "yes")
    position = engine.portfolio.position(home.market_id, Side.YES)
    assert position.settled and position.realized_pnl == D("6.00")


async def test_extra_time_states_are_not_priced_so_no_false_edge_is_traded():
    engine, _home = await _engine_holding_home_yes()
    engine.on_game_state(TIE)
    assert TIE.game_id in engine.registry.model_p_home
    engine.on_game_state(TIE.evolve(period=3, home_score=2))
    assert engine.input_rejections["pricing:unpriceable_state"] == 1
    assert TIE.game_id not in engine.registry.model_p_home


async def test_a_suspended_game_keeps_real_positions_open_and_settles_when_it_ends():
    engine, home = await _engine_holding_home_yes()
    engine.on_game_state(TIE)
    engine.on_game_state(TIE.evolve(status=GameStatus.POSTPONED))  # ESPN maps suspended/postponed here
    await _settle(engine)
    position = engine.portfolio.position(home.market_id, Side.YES)
    assert not position.settled and position.contracts == 10  # not voided: the venue has not resolved it
    engine.on_game_state(TIE.evolve(home_score=2))  # resumed
    engine.on_game_state(TIE.evolve(home_score=2, status=GameStatus.FINAL))
    await _settle(engine)
    await _venue_resolves(engine, "yes")
    position = engine.portfolio.position(home.market_id, Side.YES)
    assert position.settled and position.realized_pnl == D("6.00")
