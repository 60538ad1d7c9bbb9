"""The risk view's "Latency (ms)" table: EngineStatus.latency (per stage p50/p99 ms and samples)
shown and kept up to date in place."""

from __future__ import annotations

from arbees_engine.bus.views import LatencyView
from arbees_tui.screens.main import MainScreen
from arbees_tui.screens.risk import LatencyTable, RiskScreen

from .deskkit import make_app, settle, wait_for


async def test_the_risk_view_shows_each_stage_latency_from_the_engine_status():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        latency = {
            "tick_to_decision": LatencyView(p50_ms=0.4, p95_ms=1.0, p99_ms=2.345, count=18204),
            "store_write": LatencyView(p50_ms=12.34, p95_ms=80.0, p99_ms=1520.0, count=90),
            "game_all": LatencyView(p50_ms=0.0, p95_ms=0.0, p99_ms=0.0, count=0),
        }
        app.source.push(app.state.engine.model_copy(update={"latency": latency}))
        await wait_for(pilot, lambda: app.state.engine.latency == latency)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, RiskScreen))
        table = app.screen.query_one(LatencyTable)
        assert table.border_title == "Latency (ms)"
        assert table._cells == {  # stages by name; no samples yet → no percentiles
            "game_all": ("game_all", "–", "–", "0"),
            "store_write": ("store_write", "12.3", "1,520", "90"),
            "tick_to_decision": ("tick_to_decision", "0.40", "2.35", "18,204"),
        }
        assert list(table._cells) == ["game_all", "store_write", "tick_to_decision"]
        # a newer status updates the row in place and drops a stage it no longer reports
        later = {"tick_to_decision": LatencyView(p50_ms=0.5, p95_ms=1.0, p99_ms=3.0, count=18300)}
        app.source.push(app.state.engine.model_copy(update={"latency": later}))
        await wait_for(pilot, lambda: app.state.engine.latency == later)
        app.tick()
        assert table._cells == {"tick_to_decision": ("tick_to_decision", "0.50", "3.00", "18,300")}
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
