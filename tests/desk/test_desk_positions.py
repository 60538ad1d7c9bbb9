"""Issue 15, last round: positions netted per market with an arbitrage's legs grouped under its
locked-in P&L, fees today in the header, columns fitted to the terminal's width (key columns
never drop at 80×24, wide terminals use the space), a generic per-venue health area, and the
palette (our verbs first, a screenshot saved where a file can be written and named in the toast).
Pilot tests over MemorySource with the deterministic sample desk."""

from __future__ import annotations

from arbees_tui.commands import SCREENSHOT, DeskCommands
from arbees_tui.panels.header import HeaderBar, venue_area, venue_health
from arbees_tui.panels.positions import PositionsTable
from arbees_tui.panels.signals import PendingTable, RecentTable
from arbees_tui.panels.table_sync import fit_columns
from arbees_tui.sample import heartbeat, sample_snapshot
from arbees_tui.screens.game import GameScreen
from arbees_tui.source import MemorySource

from .deskkit import NOW, make_app, settle, wait_for


def _book_desk(mode: str = "manual"):
    return make_app(source=MemorySource(sample_snapshot(NOW, mode=mode, arb=True, book=True), heartbeat(NOW, mode)))


def _header(app) -> str:
    return str(app.screen.query_one(HeaderBar).render())


async def test_positions_net_yes_and_no_per_market_and_group_an_arbitrage_under_its_locked_pnl():
    app = _book_desk()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PositionsTable)
        order = [row.key.value for row in table.ordered_rows]
        cells = {key: table._cells[key][:7] for key in order}
        assert order == [
            "mkt|K-g0000-LAL",
            "mkt|P-g0003-PHI",
            "arb|g0002|BUF",
            "mkt|K-g0002-BUF",
            "arb|g0001|MIA",
            "mkt|K-g0001-MIA",
            "mkt|P-g0001-MIA",
        ]
        # YES 20 @ 50¢ and NO 5 @ 47¢ on one market: 5 pairs lock 5 × (1 − 0.50 − 0.47) = $0.15,
        # the row nets to YES 15; its P&L is the market's whole unrealized 20×0.05 − 5×0.02
        assert cells["arb|g0002|BUF"] == ("KC@BUF", "arb BUF", "Y+N", "5", "+$0.15", "–", "–")
        assert cells["mkt|K-g0002-BUF"] == ("KC@BUF", "└BUF", "K YES", "15", "+$0.90", "55.0", "50.0")
        # YES MIA at Kalshi 44¢ + NO MIA at Polymarket 53¢, 30 each: 30 × (1 − 0.97) = $0.90 locked
        assert cells["arb|g0001|MIA"] == ("NYK@MIA", "arb MIA", "Y+N", "30", "+$0.90", "–", "–")
        assert cells["mkt|K-g0001-MIA"][1:5] == ("├MIA", "K YES", "30", "-$1.20")
        assert cells["mkt|P-g0001-MIA"][1:5] == ("└not MIA", "P NO", "30", "+$1.50")
        table.focus()
        table.move_cursor(row=order.index("arb|g0001|MIA"))
        await pilot.press("enter")  # enter on the arbitrage opens its game
        await wait_for(pilot, lambda: isinstance(app.screen, GameScreen) and app.screen.game_id == "g0001")


async def test_a_position_that_moves_keeps_the_cursor_on_its_row():
    app = _book_desk()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PositionsTable)
        table.move_cursor(row=table.get_row_index("mkt|P-g0001-MIA"))
        flat = app.state.positions["p1"].model_copy(update={"contracts": 0})  # the LAL position closes
        app.source.push(flat)
        await wait_for(pilot, lambda: not table.has_key("mkt|K-g0000-LAL") or (app.tick() and False))
        assert table.selected_key() == "mkt|P-g0001-MIA"


def test_fit_columns_drops_optional_columns_in_order_and_shares_spare_width():
    cols = (("a", "A", 5), ("b", "B", 5), ("c", "C", 5), ("d", "D", 5))
    assert fit_columns(cols, 28, ("d", "c"), {}) == list(cols)  # 4 × (5 + 2 padding) fits
    assert [k for k, _l, _w in fit_columns(cols, 27, ("d", "c"), {})] == ["a", "b", "c"]
    assert [k for k, _l, _w in fit_columns(cols, 10, ("d", "c"), {})] == ["a", "b"]  # a and b never drop
    grown = fit_columns(cols, 40, (), {"b": 1, "d": 3})
    assert [w for _k, _l, w in grown] == [5, 8, 5, 14] and sum(w + 2 for _k, _l, w in grown) == 40


async def test_key_columns_never_drop_at_80x24_and_wide_terminals_use_the_space():
    for size, positions, pending, recent in (
        ((80, 24), ["game", "pays", "side", "qty", "pnl"], ["legs", "edge", "exp"], ["at", "decision", "n", "reason"]),
        (
            (200, 60),
            ["game", "pays", "side", "qty", "pnl", "mark", "avg", "market"],
            ["legs", "edge", "exp", "game", "cmd"],
            ["at", "game", "decision", "n", "reason", "edge"],
        ),
    ):
        app = _book_desk()
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            for table, want in (
                (app.screen.query_one(PositionsTable), positions),
                (app.screen.query_one(PendingTable), pending),
                (app.screen.query_one(RecentTable), recent),
            ):
                assert table.shown_columns() == want, (size, table.id)
                used = sum(col.width + 2 for col in table.columns.values())
                assert used <= table.size.width, (size, table.id, used)
                if size == (200, 60):  # the spare width went to the text columns
                    assert used >= table.size.width - 1, (size, table.id, used)
            pending = app.screen.query_one(PendingTable)
            assert pending.selected_key() == "s-003"  # the choice survives the re-layout


async def test_a_resize_refits_the_columns_and_keeps_the_cursor_row():
    app = _book_desk()
    async with app.run_test(size=(200, 60)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PositionsTable)
        table.move_cursor(row=table.get_row_index("mkt|K-g0001-MIA"))
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: "mark" not in table.shown_columns())
        assert table.selected_key() == "mkt|K-g0001-MIA" and len(table.columns) == 5
        await pilot.resize_terminal(200, 60)
        await wait_for(pilot, lambda: "market" in table.shown_columns())
        assert table.selected_key() == "mkt|K-g0001-MIA"


async def test_header_shows_fees_today_and_unknown_from_an_older_engine():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        lines = _header(app).splitlines()
        assert "fees today $0.35" in lines[1]
        assert "exp $24.25/$400" in lines[0]  # narrow: exposure moves up beside the kill state
        old = app.state.bankroll.model_copy(update={"day_fees": None})
        app.source.push(old)
        await wait_for(pilot, lambda: app.tick() or "fees today ?" in _header(app))


async def test_the_venue_area_shows_every_per_venue_state_the_engine_reports():
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        engine = app.state.engine.model_copy(
            update={"venue_states": {"kalshi": {"ws": "auth_failed", "orders": "paused"}, "polymarket": {"hb": "ok"}}}
        )
        health = venue_health(engine)
        assert health == {
            "kalshi": {"feed": "ok", "ws": "auth_failed", "orders": "paused"},
            "polymarket": {"feed": "stale 1/6", "hb": "ok"},
        }
        assert "".join(p if isinstance(p, str) else p[0] for p in venue_area(health)) == (
            "  kals ws auth_failed orders paused  poly stale 1/6"  # a lone feed state needs no label
        )
        app.source.push(engine)
        await wait_for(pilot, lambda: app.tick() or "kals ws auth_failed orders paused" in _header(app))


async def test_the_palette_lists_our_verbs_first_and_the_screenshot_names_a_file_that_exists(tmp_path, monkeypatch):
    monkeypatch.setenv("ARBEES_SCREENSHOT_DIR", str(tmp_path / "shots"))  # created on demand
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        provider = DeskCommands(app.screen)
        labels = [label for label, _cb in provider._entries()]
        assert labels[0] == "Kill switch: engage (halt trading)" and labels[-1] == SCREENSHOT
        assert DeskCommands in app.COMMANDS and len(app.COMMANDS) == 1  # no generic Textual entries
        await pilot.press("colon")
        await pilot.press(*"screenshot")
        await wait_for(
            pilot, lambda: "Screenshot" in str(app.screen.query("CommandList").first().get_option_at_index(0).prompt)
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: any(n.title == "screenshot" for n in app._notifications))
        note = next(n for n in app._notifications if n.title == "screenshot")
        files = list((tmp_path / "shots").glob("*.svg"))
        assert len(files) == 1 and str(files[0]) in note.message
        svg = files[0].read_text()
        assert "Positions" in svg and "Search" not in svg  # the desk itself, not the palette over it


async def test_a_read_only_palette_offers_no_mutating_verb():
    app = make_app()
    app.read_only = True
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        labels = [label for label, _cb in DeskCommands(app.screen)._entries()]
        assert not any(word in " ".join(labels) for word in ("Kill", "Resume", "Approve", "Reject", "Switch mode"))
        assert "Open risk view (limits, rejections)" in labels


async def test_the_audit_log_cursor_stays_on_its_line_when_new_lines_arrive():
    from arbees_engine.bus.messages import AuditView
    from arbees_tui.screens.audit_log import AuditScreen, AuditTable

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, AuditScreen))
        table = app.screen.query_one(AuditTable)
        table.move_cursor(row=2)
        chosen = table.selected_key()
        app.source.push(AuditView(audit_id=99, ts=NOW, actor="engine", action="fill", detail="new line"))
        await wait_for(pilot, lambda: app.tick() or table.has_key("99"))
        assert table.selected_key() == chosen and table.cursor_row == 3  # one line above it now


async def test_resume_names_the_mode_it_resumes_in_and_kill_says_when_nothing_can_acknowledge():
    from arbees_tui.screens.confirm import ConfirmScreen

    app = make_app(mode="manual", kill=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.screen.title_text == "Resume trading in MANUAL?"
        assert "resumes in MANUAL mode: signals wait for a or r" in app.screen.body
    offline = make_app(online=False)
    async with offline.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: isinstance(offline.screen, ConfirmScreen))
        assert "nothing will acknowledge it now" in offline.screen.body


def test_the_new_bus_fields_round_trip_and_older_messages_still_decode():
    import msgpack

    from arbees_engine.bus.messages import pack, unpack_event

    snap = sample_snapshot(NOW, kill=True)
    status = snap.engine.model_copy(update={"venue_states": {"kalshi": {"ws": "auth_failed"}}})
    assert unpack_event(pack(status)) == status and status.resume_mode == "auto"
    bank = snap.entities["bankroll"]["bankroll"]
    assert unpack_event(pack(bank)).day_fees == bank.day_fees
    raw_status = status.model_dump(mode="json")
    raw_bank = bank.model_dump(mode="json")
    for raw, fields in ((raw_status, ("venue_states", "resume_mode")), (raw_bank, ("day_fees",))):
        for field in fields:
            raw.pop(field)
    old_status, old_bank = unpack_event(msgpack.packb(raw_status)), unpack_event(msgpack.packb(raw_bank))
    assert old_status.venue_states == {} and old_status.resume_mode == ""
    assert old_bank.day_fees is None
