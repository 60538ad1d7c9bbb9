"""Issue 14 item 4 / issue 15 item 3: the desk shows each venue's websocket feed state in the header
(from EngineStatus.venue_states, "ws") and each market's last update age on the game screen (from
EngineStatus.feeds[venue].market_age_s, else the quote's own book time). Pilot tests over
MemorySource with the deterministic sample desk (Kalshi live, Polymarket "silent 1/6")."""

from __future__ import annotations

from datetime import timedelta

from arbees_tui import format as fmt
from arbees_tui.panels.header import HeaderBar, venue_area, venue_health
from arbees_tui.sample import sample_snapshot
from arbees_tui.screens.game import GameScreen, MarketsTable

from .deskkit import NOW, FakeClock, make_app, settle, wait_for

KEY_COLUMNS = ["venue", "yes", "bid", "ask", "state"]


def _header(app) -> list[str]:
    header = app.screen.query_one(HeaderBar)
    return [header.render_line(y).text.strip() for y in range(header.size.height)]


def _parts(area: list) -> dict[str, str]:
    """State text → its style, from venue_area's (text, style) parts."""
    return {part[0]: part[1] for part in area if not isinstance(part, str)}


def test_ages_read_compactly_and_unknown_is_a_question_mark():
    assert [fmt.age_s(s) for s in (0.0, 3.9, 59.9, 60, 125, 3600 * 5, 86400 * 3)] == [
        "0s",
        "3s",
        "59s",
        "1m",
        "2m",
        "5h",
        "3d",
    ]
    assert fmt.age_s(None) == "?" and fmt.age_s(-2.0) == "0s"


async def test_the_header_shows_each_venues_websocket_state_styled_by_how_bad_it_is():
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        # the sample: Kalshi's ws is live (healthy: the venue reads ok), Polymarket's is silent
        assert "kals ok  poly feed stale 1/6 ws silent 1/6  link ok" in _header(app)[2]
        engine = app.state.engine.model_copy(
            update={
                "venue_feeds": {"kalshi": "ok", "polymarket": "down"},
                "venue_states": {"kalshi": {"ws": "silent 1/5"}, "polymarket": {"ws": "down"}},
            }
        )
        area = venue_area(venue_health(engine))
        assert _parts(area) == {"silent 1/5": "$warning", "down": "b $error"}  # not live: yellow; down: red
        app.source.push(engine)
        await wait_for(pilot, lambda: app.tick() or "kals ws silent 1/5  poly feed down ws down" in _header(app)[2])
        live = engine.model_copy(update={"venue_states": {"kalshi": {"ws": "live"}, "polymarket": {"ws": "live"}}})
        assert _parts(venue_area(venue_health(live))) == {"ok": "$success", "down": "b $error"}


def test_the_kalshi_login_exchange_and_heartbeat_aspects_read_by_how_bad_they_are():
    """What the engine merges into venue_states from the Kalshi stream ("ws_auth"), its exchange
    watcher ("exchange") and a live Polymarket broker ("heartbeat"): healthy ones collapse to ok."""
    app_engine = sample_snapshot(NOW).engine
    healthy = app_engine.model_copy(
        update={
            "venue_feeds": {"kalshi": "ok", "polymarket": "ok"},
            "venue_states": {
                "kalshi": {"ws": "live", "ws_auth": "ok (1 refused before)", "exchange": "open"},
                "polymarket": {"ws": "live", "heartbeat": "ok"},
            },
        }
    )
    assert "".join(p if isinstance(p, str) else p[0] for p in venue_area(venue_health(healthy))) == "  kals ok  poly ok"
    bad = healthy.model_copy(
        update={
            "venue_states": {
                "kalshi": {"ws": "down", "ws_auth": "rejected: HTTP 401 ×3 (5 in all)", "exchange": "trading_paused"},
                "polymarket": {"ws": "live", "heartbeat": "heartbeat failed: HTTP 503"},
            }
        }
    )
    styles = _parts(venue_area(venue_health(bad)))
    assert set(styles.values()) == {"b $error"} and len(styles) == 4, styles


async def test_a_narrow_header_keeps_every_venues_state_and_the_link_on_screen():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        line = _header(app)[2]
        assert line == "engine ONLINE store/bus ok kals ok poly feed stale 1/6 ws silent 1/6 link ok"


async def _open_game(pilot, game_id: str = "g0004") -> MarketsTable:
    app = pilot.app
    await settle(pilot)
    app.open_game(game_id)
    await wait_for(pilot, lambda: isinstance(app.screen, GameScreen) and app.screen.is_mounted)
    app.tick()
    await pilot.pause()
    return app.screen.query_one(MarketsTable)


def _age(table: MarketsTable, market_id: str) -> str:
    return table._cells[market_id][[key for key, _l, _w in table.COLUMNS].index("age")]


async def test_the_game_screen_shows_each_markets_last_update_age():
    clock = FakeClock()
    app = make_app(clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await _open_game(pilot)
        assert table.shown_columns()[:6] == [*KEY_COLUMNS, "age"]
        assert _age(table, "K-g0004-LAD") == "13s" and _age(table, "P-g0004-LAD") == "47s"  # the feeds' ages
        # between statuses the age keeps counting from when the engine wrote its status
        clock.advance(20)
        await wait_for(pilot, lambda: app.tick() or _age(table, "K-g0004-LAD") == "33s")
        assert _age(table, "P-g0004-LAD") == "1m"

        # no websocket age (a polled venue, or none yet): the quote's own book time on the engine clock
        engine = app.state.engine
        feeds = {"kalshi": engine.feeds["kalshi"].model_copy(update={"market_age_s": {"K-g0004-LAD": None}})}
        app.source.push(engine.model_copy(update={"feeds": feeds, "engine_now": NOW, "updated_at": NOW}))
        quote = app.state.quotes["K-g0004-LAD"]
        app.source.push(quote.model_copy(update={"updated_at": NOW - timedelta(seconds=125)}))
        await wait_for(pilot, lambda: app.tick() or _age(table, "K-g0004-LAD") == "2m")
        assert _age(table, "P-g0004-LAD") == "0s"  # no Polymarket feed now: its book is as new as engine_now
        # neither a message nor a book: unknown
        app.source.push(quote.model_copy(update={"yes_bid": None, "yes_ask": None}))
        await wait_for(pilot, lambda: app.tick() or _age(table, "K-g0004-LAD") == "?")


async def test_at_80_columns_the_age_gives_way_and_the_key_columns_stay():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = await _open_game(pilot)
        assert table.shown_columns() == KEY_COLUMNS
