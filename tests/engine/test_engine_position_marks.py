"""Open positions are republished when their mark moves, so the desk's positions panel shows the
mark and unrealized P&L that the header's total already includes."""

from __future__ import annotations

from decimal import Decimal as D

from test_engine_venue_settlement import MARKET, _buy, engine  # noqa: F401 - the engine fixture

from arbees_engine.model import Side


async def test_a_moved_mark_is_republished_once_and_a_still_one_is_not(engine):
    await _buy(engine, MARKET, Side.YES, "0.60", 10)
    engine.marks.remarked_position_views()  # what the desk was shown at the fill
    engine.portfolio.mark(MARKET.market_id, D("0.70"))
    views = engine.marks.remarked_position_views()
    assert [(v.position_id, v.mark, v.unrealized_pnl) for v in views] == [
        (f"{MARKET.market_id}:yes", D("0.70"), D("1.00"))
    ]
    assert engine.marks.remarked_position_views() == []  # unchanged: nothing to send
    engine.portfolio.mark(MARKET.market_id, D("0.55"))
    assert [v.unrealized_pnl for v in engine.marks.remarked_position_views()] == [D("-0.50")]


async def test_the_status_loop_publishes_remarked_positions(engine):
    await _buy(engine, MARKET, Side.YES, "0.60", 10)
    engine.marks.remarked_position_views()
    engine.portfolio.mark(MARKET.market_id, D("0.65"))
    published = []
    engine.out.publish = published.append  # what the status loop hands to the bus (ports.Outbox)
    engine.status_pass()
    assert any(getattr(v, "position_id", None) == f"{MARKET.market_id}:yes" and v.mark == D("0.65") for v in published)
