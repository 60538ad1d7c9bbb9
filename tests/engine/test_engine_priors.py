"""Pre-game priors (issue 5 §2): from the feed's line, else the market before the start; frozen at
the start, persisted, restored after a restart, and used by the model."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
from engine_harness import sim_settings

from arbees_engine.adapters.espn.parse import parse_scoreboard
from arbees_engine.model import (
    BookLevel,
    BookUpdate,
    BookUpdateKind,
    GameState,
    GameStatus,
    League,
    Market,
    OrderBook,
    Outcome,
    Sport,
    Team,
    Venue,
)
from arbees_engine.node.kernel import Engine
from arbees_engine.pricing import model_for
from arbees_engine.pricing.spread import home_margin_from_line, spread_home_prob
from arbees_engine.priors import PriorBook
from arbees_engine.store.store import Store

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
SPORT_LEAGUE = {Sport.FOOTBALL: League.NFL, Sport.SOCCER: League.EPL, Sport.BASKETBALL: League.NBA}


def game(status=GameStatus.SCHEDULED, sport=Sport.FOOTBALL, **changes) -> GameState:
    live = status is GameStatus.LIVE
    state = GameState(
        game_id="espn:nfl:1",
        sport=sport,
        league=SPORT_LEAGUE[sport],
        home=Team("KC", "Chiefs"),
        away=Team("DEN", "Broncos"),
        status=status,
        period=1 if live else 0,
        clock_s=900.0 if live else 0.0,
        seconds_remaining_regulation=3600.0,
        regulation_seconds=3600.0,
        start_time=NOW,
    )
    return state.evolve(**changes) if changes else state


def market(outcome=Outcome.HOME, venue=Venue.KALSHI) -> Market:
    team = {Outcome.HOME: "KC", Outcome.AWAY: "DEN", Outcome.DRAW: None}[outcome]
    return Market(f"{venue.value}:M-{outcome.value}", venue, f"M-{outcome.value}", "espn:nfl:1", outcome, team)


def book(market_id: str, bid: str, ask: str, seq: int = 1) -> BookUpdate:
    return BookUpdate(
        market_id, (BookLevel(D(bid), D("100")),), (BookLevel(D(ask), D("100")),), BookUpdateKind.SNAPSHOT, seq, NOW
    )


def applied(update: BookUpdate) -> OrderBook:
    b = OrderBook(update.market_id)
    b.apply(update)
    return b


# -- the prior book --------------------------------------------------------------------------------
def test_market_prior_is_the_pre_start_mid_and_is_frozen_once_live():
    priors = PriorBook()
    home = market()
    assert priors.observe_book(game(), home, applied(book(home.market_id, "0.70", "0.72")))
    assert priors.get("espn:nfl:1").p_home == pytest.approx(0.71)
    assert priors.observe_book(game(), home, applied(book(home.market_id, "0.74", "0.76")))  # closing price wins
    live = priors.observe_game(game(GameStatus.LIVE))
    assert live.pregame_home_prob == pytest.approx(0.75)
    assert not priors.observe_book(game(), home, applied(book(home.market_id, "0.20", "0.22")))
    assert priors.observe_game(game(GameStatus.LIVE, home_score=7)).pregame_home_prob == pytest.approx(0.75)


@pytest.mark.parametrize(
    "outcome, sport, bid, ask, expected",
    [
        (Outcome.AWAY, Sport.FOOTBALL, "0.30", "0.32", 0.69),  # 1 − P(away wins)
        (Outcome.AWAY, Sport.SOCCER, "0.30", "0.32", None),  # three-way: 1 − P(away) includes the draw
        (Outcome.DRAW, Sport.SOCCER, "0.25", "0.27", None),
        (Outcome.HOME, Sport.SOCCER, "0.44", "0.46", 0.45),
        (Outcome.HOME, Sport.FOOTBALL, "0.06", "0.99", None),  # a 93¢ spread is not a price
        (Outcome.HOME, Sport.FOOTBALL, "0.995", "0.999", 0.99),  # never a certainty
    ],
)
def test_which_books_give_a_prior(outcome, sport, bid, ask, expected):
    priors = PriorBook()
    m = market(outcome)
    taken = priors.observe_book(game(sport=sport), m, applied(book(m.market_id, bid, ask)))
    prior = priors.get("espn:nfl:1")
    assert taken is (expected is not None)
    assert (prior.p_home if prior else None) == (pytest.approx(expected) if expected is not None else None)


def test_a_stale_or_one_sided_book_gives_no_prior():
    priors, m = PriorBook(), market()
    stale = applied(book(m.market_id, "0.50", "0.52"))
    stale.stale = True
    one_sided = OrderBook(m.market_id)
    one_sided.apply(BookUpdate(m.market_id, (), (BookLevel(D("0.6"), D("5")),), BookUpdateKind.SNAPSHOT, 1, NOW))
    assert not priors.observe_book(game(), m, stale) and not priors.observe_book(game(), m, one_sided)
    assert priors.get("espn:nfl:1") is None


def test_the_feeds_line_outranks_the_market_and_the_market_fills_in_without_it():
    priors, m = PriorBook(), market()
    lined = game(pregame_home_prob=0.654, extra={"prior_line": "KC -5.5"})
    assert priors.observe_game(lined).pregame_home_prob == 0.654
    assert not priors.observe_book(game(), m, applied(book(m.market_id, "0.80", "0.82")))
    assert priors.get("espn:nfl:1").source == "spread"
    # a game seen live first has no pre-game view: in-game prices never become its prior
    late = PriorBook()
    assert late.observe_game(game(GameStatus.LIVE)).pregame_home_prob is None
    assert not late.observe_book(game(), m, applied(book(m.market_id, "0.80", "0.82")))


# -- spread conversion and the ESPN line -----------------------------------------------------------
def test_spread_lines_convert_with_the_published_sigma():
    assert home_margin_from_line("TEN -5.5", "TEN", "NYG") == 5.5
    assert home_margin_from_line("TEN -5.5", "NYG", "TEN") == -5.5
    assert home_margin_from_line("EVEN", "A", "B") == 0.0
    assert home_margin_from_line("XYZ -3", "A", "B") is None and home_margin_from_line("o/u 44", "A", "B") is None
    assert spread_home_prob(13.86, League.NFL) == pytest.approx(0.8413, abs=1e-4)  # one σ (Stern 1991)
    assert spread_home_prob(-12.0, League.NBA) == pytest.approx(0.1587, abs=1e-4)
    assert spread_home_prob(0.0, League.NCAAB) == 0.5
    assert spread_home_prob(1.5, League.NHL) is None  # puck lines are not strength
    assert spread_home_prob(80.0, League.NFL) == 0.99
    with pytest.raises(ValueError):
        spread_home_prob(float("nan"), League.NFL)


def test_espn_pre_game_line_from_the_recorded_scoreboard_becomes_the_prior():
    payload = json.loads((FIXTURES / "espn" / "scoreboard_nfl_2022wk1_in_post_pre.json").read_text())
    states, _ = parse_scoreboard(payload, League.NFL)
    by_status = {s.status: s for s in states}
    pre = by_status[GameStatus.SCHEDULED]
    assert (pre.away.abbr, pre.home.abbr, pre.extra["prior_line"]) == ("NYG", "TEN", "TEN -5.5")
    assert pre.pregame_home_prob == pytest.approx(spread_home_prob(5.5, League.NFL))
    assert (
        by_status[GameStatus.LIVE].pregame_home_prob is None and by_status[GameStatus.FINAL].pregame_home_prob is None
    )
    # the model opens at the line's probability instead of the league's home rate
    kickoff = model_for(Sport.FOOTBALL).p_home(pre)
    assert kickoff == pytest.approx(pre.pregame_home_prob, abs=0.01)


# -- in the engine, with the store ---------------------------------------------------------------
async def test_engine_takes_freezes_stores_and_restores_the_market_prior(pg_dsn, redis_url):
    settings = sim_settings(pg_dsn, redis_url)
    clock = lambda: NOW  # noqa: E731
    store = await Store.connect(settings.database_url)
    try:
        engine = Engine(settings, [], store=store, clock=clock)
        await engine.start(with_adapters=False)
        try:
            home = market()
            engine.on_game_state(game())
            engine.on_market(home)
            engine.on_book(book(home.market_id, "0.80", "0.84"))
            before = model_for(Sport.FOOTBALL).p_home(game(GameStatus.LIVE))
            engine.on_game_state(game(GameStatus.LIVE))
            engine.on_book(book(home.market_id, "0.30", "0.34", seq=2))  # in-game price: not a prior
            live = engine.registry.games["espn:nfl:1"]
            assert live.pregame_home_prob == pytest.approx(0.82)
            assert engine.registry.model_p_home["espn:nfl:1"] > before + 0.15  # a favourite, not the home rate
            await engine.writer.drain()
            row = await store.load_game_row("espn:nfl:1")
            assert row["pregame_home_prob"] == pytest.approx(0.82) and row["prior_source"] == "market"
        finally:
            await engine.shutdown()
        restarted = Engine(settings, [], store=store, clock=clock)
        await restarted.start(with_adapters=False)
        try:
            restarted.on_game_state(game(GameStatus.LIVE, home_score=3))
            assert restarted.registry.games["espn:nfl:1"].pregame_home_prob == pytest.approx(0.82)
            restarted.on_market(market())
            restarted.on_book(book("kalshi:M-home", "0.40", "0.42"))
            assert restarted.registry.priors.get("espn:nfl:1").p_home == pytest.approx(0.82)
        finally:
            await restarted.shutdown()
    finally:
        await store.close()
