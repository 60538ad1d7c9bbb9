"""The header shows a live venue that refuses new orders (Polymarket heartbeats failing) and the
number of arbitrage legs left naked, from the engine status (`trading`, `naked_exposure`)."""

from __future__ import annotations

from arbees_engine.bus.messages import EngineStatus  # noqa: F401 - the status the header reads

from .deskkit import make_app, settle, wait_for
from .test_desk_truth import header_text


async def test_header_shows_a_halted_live_venue_and_naked_legs():
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert "NAKED" not in header_text(app)
        engine = app.state.engine.model_copy(
            update={
                "trading": {"kalshi": "live", "polymarket": "live halted: heartbeat failed: HTTP 503"},
                "naked_exposure": {"arb-1": "10 YES kalshi:KX-SAS ≤$0.55 since 12:00:01Z (hold: policy)"},
            }
        )
        app.source.push(engine)
        await wait_for(pilot, lambda: "LIVE HALTED polymarket" in header_text(app) or (app.tick() and False))
        text = header_text(app)
        assert "LIVE kalshi" in text and "NAKED 1" in text
