from dataclasses import replace
from datetime import timedelta
from decimal import Decimal as D

import pytest
from trading_helpers import GAME, NOW, book, edge_signal, market

from arbees_engine.model import Fill, Leg, Mode, Outcome, Side, Signal, SignalKind, Sport, Venue
from arbees_engine.portfolio import Portfolio
from arbees_engine.risk import CHECKS, RiskContext, RiskGate
from arbees_engine.settings import RiskLimits

HOME = market("kalshi:HOME")
HOME_POLY = market("polymarket:home", venue=Venue.POLYMARKET)
AWAY = market("polymarket:away", venue=Venue.POLYMARKET, outcome=Outcome.AWAY)
OTHER = market("kalshi:OTHER", game_id="espn:nba:2")
MARKETS = {m.market_id: m for m in (HOME, HOME_POLY, AWAY, OTHER)}


def held(pf, mid, side, contracts=10, price="0.50", game=GAME, sport=Sport.BASKETBALL, at=NOW):
    n = len(pf.positions(include_closed=True))
    pf.apply_fill(Fill(f"h{n}-{mid}", "o", mid, Venue.KALSHI, side, D(price), contracts, D("0"), at), game, sport)


def ctx(**changes) -> RiskContext:
    books = {mid: book(mid, bids=[("0.48", 500)], asks=[("0.50", 500)]) for mid in MARKETS}
    base = RiskContext(
        mode=Mode.AUTO,
        kill_engaged=False,
        now=NOW,
        portfolio=Portfolio(D("1000")),
        markets=MARKETS,
        game_sports={GAME: Sport.BASKETBALL, "espn:nba:2": Sport.BASKETBALL},
        books=books,
        game_observed_at={GAME: NOW - timedelta(seconds=1)},
        last_trade_at={},
    )
    return replace(base, **changes)


def test_clean_signal_passes_and_is_counted():
    gate = RiskGate()
    verdict = gate.check(edge_signal(), ctx())
    assert verdict.ok and verdict.reason == "" and gate.passed == 1 and not gate.rejections


def _portfolio(setup):
    pf = Portfolio(D("1000"))
    setup(pf)
    return pf


def _lost_250_today(pf):
    held(pf, "kalshi:OTHER", Side.YES, 500, game="espn:nba:2")
    pf.settle("kalshi:OTHER", False, NOW)  # −$250 realized today


def _stale_book():
    c = ctx()
    c.books["kalshi:HOME"].stale = True
    return c


CASES = [
    ("kill_switch", lambda: ctx(kill_engaged=True), edge_signal(), None),
    ("mode_halted", lambda: ctx(mode=Mode.HALTED), edge_signal(), None),
    ("control_plane_down", lambda: ctx(store_ok=False), edge_signal(), None),
    ("control_plane_down", lambda: ctx(bus_ok=False), edge_signal(), None),
    ("invalid_signal", ctx, edge_signal(contracts=0), None),
    ("unknown_market", ctx, edge_signal(mid="kalshi:NOPE"), None),
    ("stale_quote", _stale_book, edge_signal(), None),
    ("stale_quote", lambda: ctx(books={}), edge_signal(), None),
    (
        "stale_quote",
        lambda: ctx(now=NOW + timedelta(seconds=11), game_observed_at={GAME: NOW + timedelta(seconds=11)}),
        edge_signal(),
        None,
    ),
    ("stale_game", lambda: ctx(game_observed_at={GAME: NOW - timedelta(seconds=31)}), edge_signal(), None),
    ("stale_game", lambda: ctx(game_observed_at={}), edge_signal(), None),
    ("price_band", ctx, edge_signal(price="0.98"), None),
    ("price_band", ctx, edge_signal(price="0.02"), None),
    ("price_moved", ctx, edge_signal(price="0.49"), None),
    ("price_moved", ctx, edge_signal(contracts=501), None),
    ("max_position", ctx, edge_signal(contracts=10), RiskLimits(max_position_contracts=5)),
    (
        "max_position",
        lambda: ctx(portfolio=_portfolio(lambda pf: held(pf, "kalshi:HOME", Side.YES, 495))),
        edge_signal(contracts=10),
        None,
    ),
    ("game_exposure", ctx, edge_signal(contracts=10), RiskLimits(max_game_exposure=D("4.99"))),
    (
        "sport_exposure",
        lambda: ctx(portfolio=_portfolio(lambda pf: held(pf, "kalshi:OTHER", Side.YES, 792, game="espn:nba:2"))),
        edge_signal(contracts=10),
        None,
    ),  # 396 + 5 > 400
    ("unknown_game", lambda: ctx(game_sports={}), edge_signal(), None),
    ("daily_loss", lambda: ctx(portfolio=_portfolio(_lost_250_today)), edge_signal(), None),
    ("cooldown", lambda: ctx(last_trade_at={GAME: NOW - timedelta(seconds=5)}), edge_signal(), None),
    (
        "opposing_position",
        lambda: ctx(portfolio=_portfolio(lambda pf: held(pf, "polymarket:away", Side.YES))),
        edge_signal(),
        None,
    ),  # YES away held vs YES home
    (
        "opposing_position",
        lambda: ctx(portfolio=_portfolio(lambda pf: held(pf, "polymarket:home", Side.NO))),
        edge_signal(),
        None,
    ),  # NO home on another venue vs YES home
    (
        "opposing_position",
        ctx,
        Signal(
            "s",
            SignalKind.EDGE,
            GAME,
            (
                Leg("kalshi:HOME", Venue.KALSHI, Side.YES, D("0.5"), 1),
                Leg("polymarket:away", Venue.POLYMARKET, Side.YES, D("0.5"), 1),
            ),
            0.5,
            0.5,
            D("0.05"),
            NOW,
        ),
        None,
    ),
    ("insufficient_balance", lambda: ctx(portfolio=Portfolio(D("15"))), edge_signal(contracts=10), None),
]


@pytest.mark.parametrize(
    ("reason", "make_ctx", "signal", "limits"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_each_reason_is_triggered_and_counted(reason, make_ctx, signal, limits):
    gate = RiskGate(limits)
    verdict = gate.check(signal, make_ctx())
    assert not verdict.ok
    assert verdict.reason == reason and reason in verdict.reasons
    assert gate.rejections == {reason: 1} and gate.passed == 0


def test_every_check_has_a_case():
    covered = {c[0] for c in CASES}
    assert {check.__name__ for check in CHECKS} <= covered


def test_same_direction_on_other_venue_is_allowed():
    pf = _portfolio(lambda pf: held(pf, "polymarket:home", Side.YES))
    assert RiskGate().check(edge_signal(), ctx(portfolio=pf)).ok
    pf = _portfolio(lambda pf: held(pf, "polymarket:away", Side.NO))  # NO away == YES home (no draws)
    assert RiskGate().check(edge_signal(), ctx(portfolio=pf)).ok


def test_soccer_no_home_and_no_away_share_the_draw():
    pf = _portfolio(lambda pf: held(pf, "polymarket:away", Side.NO, sport=Sport.SOCCER))
    c = ctx(portfolio=pf, game_sports={GAME: Sport.SOCCER})
    assert RiskGate().check(edge_signal(side=Side.NO, price="0.52"), c).ok
    assert RiskGate().check(edge_signal(side=Side.YES), c).ok  # YES home pays with NO away too
    pf2 = _portfolio(lambda pf: held(pf, "polymarket:away", Side.YES, sport=Sport.SOCCER))
    assert (
        RiskGate().check(edge_signal(), ctx(portfolio=pf2, game_sports={GAME: Sport.SOCCER})).reason
        == "opposing_position"
    )


def test_arb_legs_are_exempt_from_opposing_position():
    arb = Signal(
        "a",
        SignalKind.ARB,
        GAME,
        (
            Leg("kalshi:HOME", Venue.KALSHI, Side.YES, D("0.50"), 10),
            Leg("polymarket:home", Venue.POLYMARKET, Side.NO, D("0.52"), 10),
        ),
        1.0,
        0.98,
        D("0.02"),
        NOW,
    )
    assert RiskGate().check(arb, ctx()).ok
    lopsided = replace(arb, legs=(arb.legs[0], replace(arb.legs[1], contracts=9)))
    assert RiskGate().check(lopsided, ctx()).reason == "invalid_signal"


def test_all_failing_reasons_reported_first_counted():
    gate = RiskGate()
    verdict = gate.check(edge_signal(price="0.98"), ctx(kill_engaged=True, store_ok=False))
    assert verdict.reason == "kill_switch"
    assert verdict.reasons[:3] == ("kill_switch", "control_plane_down", "price_band")
    assert gate.rejections == {"kill_switch": 1}


def test_manual_mode_passes_the_gate():
    assert RiskGate().check(edge_signal(), ctx(mode=Mode.MANUAL)).ok


def test_a_check_that_raises_becomes_a_counted_rejection():
    c = ctx()
    c.books["kalshi:HOME"].updated_at = NOW.replace(tzinfo=None)  # naive vs aware: TypeError inside
    gate = RiskGate()
    verdict = gate.check(edge_signal(), c)
    assert verdict.reason == "check_error" and gate.rejections["check_error"] == 1


def test_counts_accumulate():
    gate = RiskGate()
    for _ in range(3):
        gate.check(edge_signal(), ctx(kill_engaged=True))
    gate.check(edge_signal(), ctx())
    assert gate.rejections["kill_switch"] == 3 and gate.passed == 1


def test_approved_but_unexecuted_signals_count_against_the_limits():
    from arbees_engine.settings import RiskLimits

    limits = RiskLimits(max_game_exposure=D("150"), max_sport_exposure=D("100"), max_position_contracts=150)
    gate = RiskGate(limits)
    queued = edge_signal(OTHER.market_id, contracts=120, game_id=OTHER.game_id)  # $60 reserved in the other game
    assert gate.check(edge_signal(contracts=100), ctx()).ok  # $50 alone is fine
    verdict = gate.check(edge_signal(contracts=100), ctx(reserved=(queued,)))
    assert not verdict.ok and verdict.reason == "sport_exposure"  # $60 + $50 > $100 before any fill
    same_market = edge_signal(contracts=100)
    assert (
        "max_position"
        in RiskGate(RiskLimits(max_position_contracts=150))
        .check(edge_signal(contracts=100), ctx(reserved=(same_market,)))
        .reasons
    )
