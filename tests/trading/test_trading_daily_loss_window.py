"""The daily loss limit's hedge netting (Portfolio.day_pnl_for_loss_limit, risk check daily_loss)
counts the open leg of a game only when another leg of that game settled in the same UTC day
window as the realized loss it offsets: a leg settled yesterday does not loosen today's limit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

from test_trading_risk import ctx, held
from trading_helpers import NOW

from arbees_engine.model import Side
from arbees_engine.portfolio import Portfolio
from arbees_engine.portfolio.portfolio import utc_midnight
from arbees_engine.risk.checks import daily_loss
from arbees_engine.settings import RiskLimits

MIDNIGHT = utc_midnight(NOW)
OTHER_GAME = "espn:nba:2"


def _hedge_with_kalshi_leg_settled(at) -> Portfolio:
    """A hedged game: Kalshi NO lost (−$270) at `at`; the Polymarket YES leg is open, marked +$294.
    Then −$250 realized today in another game."""
    pf = Portfolio(D("1000"))
    held(pf, "kalshi:G", Side.NO, 600, "0.45", at=at - timedelta(hours=2))
    held(pf, "polymarket:G", Side.YES, 600, "0.50", at=at - timedelta(hours=2))
    pf.mark("polymarket:G", D("0.99"))
    pf.settle("kalshi:G", yes_won=True, at=at)
    held(pf, "kalshi:OTHER", Side.YES, 500, "0.50", game=OTHER_GAME)
    pf.settle("kalshi:OTHER", yes_won=False, at=NOW)
    return pf


def test_an_open_leg_of_a_game_settled_yesterday_does_not_offset_todays_loss():
    pf = _hedge_with_kalshi_leg_settled(MIDNIGHT - timedelta(seconds=1))
    assert pf.day_net_pnl(NOW) == D("-250.00")
    assert pf.day_pnl_for_loss_limit(NOW) == D("-250.00")  # the old netting said −250 + 294 = +44
    assert daily_loss(None, ctx(portfolio=pf, now=NOW), RiskLimits(daily_loss_limit=D("250"))) == "daily_loss"


def test_an_open_leg_of_a_game_with_a_leg_settled_today_still_offsets():
    pf = _hedge_with_kalshi_leg_settled(MIDNIGHT)  # the first second of today's window
    assert pf.day_net_pnl(NOW) == D("-520.00")
    assert pf.day_pnl_for_loss_limit(NOW) == D("-520.00") + D("294.00")
    assert daily_loss(None, ctx(portfolio=pf, now=NOW), RiskLimits(daily_loss_limit=D("250"))) is None


def test_the_same_hedge_stops_offsetting_when_the_day_rolls_over():
    pf = _hedge_with_kalshi_leg_settled(NOW - timedelta(hours=1))
    assert pf.day_pnl_for_loss_limit(NOW) == D("-520.00") + D("294.00")
    tomorrow = NOW + timedelta(days=1)
    assert pf.day_net_pnl(tomorrow) == D("0") and pf.day_pnl_for_loss_limit(tomorrow) == D("0")


def test_restored_settled_legs_offset_only_once_known_to_have_settled_today():
    pf = _hedge_with_kalshi_leg_settled(NOW - timedelta(hours=1))
    restored = Portfolio(D("1000"))
    restored.restore(
        pf.positions(include_closed=True),
        pf.bankroll.realized_pnl,
        pf.bankroll.fees,
        day_net_pnl=pf.day_net_pnl(NOW),
        at=NOW,
    )
    assert restored.day_pnl_for_loss_limit(NOW) == D("-520.00")  # when it settled is unknown: no offset
    restored.note_settled_at({"kalshi:G": MIDNIGHT - timedelta(hours=3), "kalshi:NEVER": NOW})
    assert restored.day_pnl_for_loss_limit(NOW) == D("-520.00")  # settled yesterday: still none
    again = Portfolio(D("1000"))
    again.restore(
        pf.positions(include_closed=True),
        pf.bankroll.realized_pnl,
        pf.bankroll.fees,
        day_net_pnl=pf.day_net_pnl(NOW),
        at=NOW,
    )
    again.note_settled_at({"kalshi:G": (NOW - timedelta(hours=1)).replace(tzinfo=None)})  # naive is UTC
    assert again.day_pnl_for_loss_limit(NOW) == D("-520.00") + D("294.00")
