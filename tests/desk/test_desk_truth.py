"""Issue 15: the header tells the truth, a dead engine goes OFFLINE, pending signals show every leg
with expiry on the engine's clock, and a signal can be opened. Pilot tests over MemorySource with
an injected clock (no sleeps)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from arbees_engine.bus.messages import HEARTBEAT_TTL_S, CommandAction, EngineStatus, pack, unpack_event
from arbees_tui.panels.header import HeaderBar
from arbees_tui.panels.signals import PendingTable
from arbees_tui.sample import heartbeat, sample_snapshot
from arbees_tui.screens.main import MainScreen
from arbees_tui.screens.signal import SignalScreen
from arbees_tui.source import MemorySource

from .deskkit import NOW, FakeClock, make_app, settle, wait_for


def header_text(app) -> str:
    return str(app.screen.query_one(HeaderBar).render()) if isinstance(app.screen, MainScreen) else ""


def pending_cells(app) -> dict[str, tuple]:
    return dict(app.screen.query_one(PendingTable)._cells)


async def test_engine_killed_under_the_desk_goes_offline_within_2s_of_the_heartbeat_deadline():
    clock = FakeClock()
    source = MemorySource(sample_snapshot(NOW, mode="manual", arb=True), heartbeat(NOW, "manual", age_s=0.0))
    app = make_app(source=source, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "engine ONLINE" in header_text(app) and not app.screen.has_class("-offline")
        # the engine dies: its heartbeat key keeps the last beat until the TTL, then expires
        clock.advance(HEARTBEAT_TTL_S - 0.5)
        app.tick()
        assert "OFFLINE" not in header_text(app)
        clock.advance(0.5 + 0.1)  # just past the deadline: well within 2 s of it
        app.tick()
        await pilot.pause()
        text = header_text(app)
        assert "OFFLINE 5.1s ago" in text, text
        # what it said last may no longer hold: mode, kill switch and store are shown as unknown
        assert "MANUAL?" in text and "kill:off?" in text and "store ?" in text
        assert app.screen.has_class("-offline")  # its data dimmed
        table = app.screen.query_one(PendingTable)
        assert table.offline and not table.show_cursor
        await pilot.press("a")  # a dead engine's pending signal cannot be approved
        await pilot.pause()
        assert source.commands == []
        source.beat = None  # the key expired too: still OFFLINE, the age keeps counting
        await wait_for(pilot, lambda: app.state.heartbeat is None)
        clock.advance(10)
        app.tick()
        assert "OFFLINE 15.1s ago" in header_text(app)
        # the engine comes back: selectable again
        source.beat = heartbeat(clock.now, "manual", age_s=0.0)
        # its return makes the desk reload the snapshot (link connecting → connected): paint until ONLINE
        await wait_for(
            pilot,
            lambda: (
                source.snapshot_loads > 1
                and app.link == "connected"
                and (app.tick() or "engine ONLINE" in header_text(app))
            ),
        )
        assert not table.offline


async def test_header_shows_trading_badge_money_and_health():
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        text = header_text(app)
        assert " PAPER " in text
        # equity marked to market: 10012.40 + 3.10 unrealized; realized after fees 12.75 − 0.35
        assert "eq $10,015.50" in text and "cash $9,745.15" in text and "real +$12.40" in text
        assert "fees today $0.35" in text and "exp $24.25/$400" in text
        assert "store ok" in text and "kals ok" in text and "poly stale 1/6" in text
        engine = app.state.engine.model_copy(
            update={
                "trading": {"kalshi": "live", "polymarket": "paper"},
                "store_ok": False,
                "store_reason": "PostgreSQL unreachable",
            }
        )
        app.source.push(engine)
        await wait_for(pilot, lambda: "LIVE kalshi" in header_text(app) or (app.tick() and False))
        text = header_text(app)
        assert "PAPER polymarket" in text and "store  DOWN  PostgreSQL unreachable" in text


async def test_unknown_states_are_shown_as_unknown():
    snap = sample_snapshot(NOW)
    snap.engine = None
    snap.entities.pop("bankroll")
    app = make_app(source=MemorySource(snap, None))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.feed.attaches > 0 and app.heartbeat_polls > 0)
        app.tick()
        text = header_text(app)
        assert "kill:?" in text and "kill:off" not in text
        assert "PAPER/LIVE ?" in text and "money ?" in text and "engine UNKNOWN" in text and "store ?" in text


async def test_arbitrage_shows_both_legs_and_expiry_runs_on_the_engine_clock():
    # the engine's clock is 20 min behind the desk's wall clock (a simulated world)
    snap = sample_snapshot(NOW, mode="manual", arb=True)
    snap.engine = snap.engine.model_copy(update={"engine_now": NOW - timedelta(minutes=20)})
    for key, sig in list(snap.entities["signal"].items()):
        if sig.expires_at is not None:
            snap.entities["signal"][key] = sig.model_copy(
                update={"expires_at": NOW - timedelta(minutes=20, seconds=-9)}
            )
    app = make_app(source=MemorySource(snap, heartbeat(NOW, "manual")))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        cells = pending_cells(app)
        legs, edge, exp = cells["s-004"][:3]
        assert legs == "K YES MIA 44¢×30\nP NO MIA 53¢×30" and edge == "+1.8¢"
        assert exp == "9s"  # on the desk's wall clock it would read "expired"
        engine = app.state.engine.model_copy(update={"engine_now": NOW - timedelta(minutes=20, seconds=-4)})
        app.source.push(engine)
        await wait_for(pilot, lambda: app.state.engine.engine_now == engine.engine_now)
        app.tick()
        assert pending_cells(app)["s-004"][2] == "5s"


async def test_enter_opens_the_signal_and_a_approves_exactly_it():
    app = make_app(source=MemorySource(sample_snapshot(NOW, mode="manual", arb=True), heartbeat(NOW, "manual")))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PendingTable)
        table.focus()
        await pilot.press("down")  # choose the arbitrage (second row)
        assert table.selected_key() == "s-004"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SignalScreen))
        text = str(app.screen.query_one("#signal-text").render())
        assert "ARB signal s-004" in text and "kalshi" in text and "polymarket" in text
        assert "edge after fees +1.8¢" in text and "expires in 27s" in text and "edge_gone" in text
        await pilot.press("a")
        await wait_for(pilot, lambda: len(app.source.commands) == 1)
        command = app.source.commands[0]
        assert (command.action, command.signal_id, command.signal_version) == (CommandAction.APPROVE, "s-004", 1)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))


def test_new_status_fields_round_trip_and_old_statuses_still_decode():
    status = sample_snapshot(NOW).engine
    back = unpack_event(pack(status))
    assert back == status and back.exposure_by_game == {"g0000": Decimal("24.25")}
    old = EngineStatus(instance="x", mode="auto", kill_engaged=False, started_at=NOW, updated_at=NOW)
    raw = old.model_dump(mode="json")
    for field in ("engine_now", "trading", "venue_feeds", "exposure_by_game", "exposure_by_sport"):
        raw.pop(field)
    import msgpack

    decoded = unpack_event(msgpack.packb(raw))
    assert decoded.engine_now is None and decoded.trading == {}


async def test_positions_name_the_team_paid_on_and_enter_opens_the_game():
    from arbees_tui.panels.positions import PositionsTable
    from arbees_tui.screens.game import GameScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(PositionsTable)
        rows = {key: cells[:5] for key, cells in table._cells.items()}
        assert rows == {  # rows are per market now (YES and NO netted); the side names its venue
            "mkt|K-g0000-LAL": ("BOS@LAL", "LAL", "K YES", "25", "+$1.50"),
            "mkt|P-g0003-PHI": ("BOS@LAL", "not PHI", "P NO", "40", "-$1.60"),
        }
        table.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GameScreen))
        assert app.screen.game_id == "g0000"


async def test_e_opens_the_risk_view_with_limits_in_use_and_explained_rejections():
    from arbees_tui.screens.risk import LimitsTable, RejectionsTable, RiskScreen

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, RiskScreen))
        limits = app.screen.query_one(LimitsTable)._cells
        assert limits["max_game_exposure|game BOS@LAL"] == (
            "max_game_exposure",
            "game BOS@LAL",
            "$24.25",
            "$150.00",
            "16%",
        )
        assert limits["max_sport_exposure|sport nba"][2:] == ("$24.25", "$400.00", "6%")
        assert limits["max_position_contracts|largest position"][2:] == ("40", "500", "8%")
        rejections = app.screen.query_one(RejectionsTable)._cells
        assert list(rejections) == ["cooldown", "stale_quote", "game_exposure", "kalshi:disconnected"]
        assert rejections["cooldown"] == ("cooldown", "10", "this game traded less than game_cooldown_s ago")
        assert rejections["kalshi:disconnected"][2].startswith("the venue's stream dropped")
        # the totals move: the row is updated in place
        app.source.push(app.state.engine.model_copy(update={"rejections": {"cooldown": 11}}))
        await wait_for(pilot, lambda: app.state.engine.rejections == {"cooldown": 11})
        app.tick()
        assert list(app.screen.query_one(RejectionsTable)._cells) == ["cooldown"]
        await pilot.press("q")  # q leaves the screen, it does not quit
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.is_running


async def test_refusals_in_the_signal_list_are_aggregated_with_count_and_last_time():
    from arbees_engine.bus.messages import LegView, SignalView
    from arbees_tui.panels.signals import RecentTable

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        leg = LegView(market_id="K-g0001-MIA", venue="kalshi", side="yes", limit_price=Decimal("0.4"), contracts=5)
        for n in range(10):
            app.source.push(
                SignalView(
                    signal_id=f"cd-{n}",
                    version=1,
                    signal_kind="edge",
                    game_id="g0001",
                    legs=[leg],
                    model_prob=0.5,
                    market_prob=0.4,
                    edge=Decimal("0.05"),
                    decision="rejected",
                    reason="cooldown",
                    created_at=NOW + timedelta(seconds=n),
                )
            )
        await wait_for(pilot, lambda: "cd-9" in app.state.signals)
        app.tick()
        await pilot.pause()
        cells = app.screen.query_one(RecentTable)._cells
        row = cells["agg|g0001|rejected|cooldown"]
        assert row[:5] == ("01:00:09", "NYK@MIA", "rejected", "10", "cooldown")
        assert not any(key.startswith("cd-") for key in cells)


async def test_q_on_the_main_screen_asks_when_positions_are_open_and_cancel_stays():
    from arbees_tui.screens.confirm import ConfirmScreen

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "2 open positions" in app.screen.title_text
        await pilot.press("enter")  # Cancel is focused
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.is_running
        app.open_game("g0000")
        await pilot.pause()
        await pilot.press("q")  # from another screen q goes back
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.is_running


def test_every_risk_gate_code_is_explained():
    import re
    from pathlib import Path

    import arbees_engine.risk.checks as checks
    from arbees_tui.panels.risk import REASONS, explain

    codes = set(re.findall(r'return "([a-z_]+)"', Path(checks.__file__).read_text()))
    codes |= set(re.findall(r'"([a-z_]+)" if ', Path(checks.__file__).read_text()))
    codes |= set(re.findall(r'else "([a-z_]+)"', Path(checks.__file__).read_text()))
    assert codes and codes <= set(REASONS), codes - set(REASONS)
    assert explain("command:expired") == REASONS["expired"]
    assert "see the engine log" in explain("no_such_code")


def test_each_sport_shows_its_own_clock():
    from arbees_tui.format import game_clock

    assert game_clock(4, 312, "live", "basketball") == "Q4 05:12"
    assert game_clock(5, 180, "live", "nba") == "OT 03:00"
    assert game_clock(2, 202, "live", "nfl") == "Q2 03:22"
    assert game_clock(2, 202, "live", "hockey") == "P2 03:22"
    assert game_clock(4, 100, "live", "hockey") == "OT 01:40"
    assert game_clock(2, 45 * 60 - 21 * 60 - 30, "live", "soccer") == "67'"  # 21.5 min into the 2nd half
    assert game_clock(2, 0, "live", "epl", added_time_s=150) == "90'+3'"
    assert game_clock(7, 0, "live", "baseball", inning_half="top", outs=2) == "Top 7th 2 out"
    assert game_clock(1, 0, "live", "mlb", inning_half="bottom", outs=0) == "Bot 1st 0 out"
    assert game_clock(3, 0, "final", "soccer") == "final"


async def test_p_shows_pnl_per_game_and_sport_with_the_arbitrage_locked_in():
    from arbees_engine.bus.messages import PositionView
    from arbees_tui.screens.game import GameScreen
    from arbees_tui.screens.pnl import GamePnlTable, PnlScreen, SportPnlTable

    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        # an arbitrage on NYK@MIA: YES MIA at Kalshi 44¢ and NO MIA at Polymarket 53¢, 30 each
        for pid, market, venue, side, avg, mark in (
            ("a1", "K-g0001-MIA", "kalshi", "yes", "0.44", "0.40"),
            ("a2", "P-g0001-MIA", "polymarket", "no", "0.53", "0.58"),
        ):
            app.source.push(
                PositionView(
                    position_id=pid,
                    market_id=market,
                    venue=venue,
                    game_id="g0001",
                    side=side,
                    contracts=30,
                    avg_price=Decimal(avg),
                    mark=Decimal(mark),
                    unrealized_pnl=(Decimal(mark) - Decimal(avg)) * 30,
                    realized_pnl=Decimal("0"),
                    fees=Decimal("0.42"),
                )
            )
        await wait_for(pilot, lambda: "a2" in app.state.positions)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, PnlScreen))
        games = app.screen.query_one(GamePnlTable)._cells
        # net = 0 realized − 0.84 fees + (−1.20 + 1.50) unrealized; locked = 30 × (1 − 0.44 − 0.53)
        assert games["g0001"] == ("NYK@MIA", "nba", "-$0.54", "$0.00", "$0.84", "+$0.30", "2", "+$0.90", "MIA 30 pairs")
        assert games["g0000"][2:6] == ("-$0.80", "$0.00", "$0.70", "-$0.10")
        sports = app.screen.query_one(SportPnlTable)._cells
        assert sports["nba"][1:5] == ("-$1.34", "$0.00", "$1.54", "+$0.20")
        table = app.screen.query_one(GamePnlTable)
        table.focus()
        table.move_cursor(row=table.get_row_index("g0001"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GameScreen) and app.screen.game_id == "g0001")


async def test_help_follows_the_live_keymap_and_the_current_screen(tmp_path):
    from arbees_tui.config import DeskConfig, save_config
    from arbees_tui.screens.help import HelpScreen
    from arbees_tui.screens.risk import RiskScreen

    config = tmp_path / "desk.toml"
    save_config(config, DeskConfig(keymap={"desk.audit": "L"}))
    app = make_app(config_path=config)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = {bid: keys for keys, _desc, bid in app.screen.rows}
        assert rows["desk.audit"] == "L" and rows["signal.approve"] == "a" and "risk.back" not in rows
        await pilot.press("escape")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, RiskScreen))
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = {bid: keys for keys, _desc, bid in app.screen.rows}
        assert "risk.back" in rows and "signal.approve" not in rows and rows["desk.kill"].startswith("ctrl+k")


async def test_f_opens_the_fills_blotter_and_new_fills_arrive_newest_first():
    from arbees_engine.bus.messages import FillView
    from arbees_tui.screens.fills import FillsBlotter, FillsScreen

    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FillsScreen))
        blotter = app.screen.query_one(FillsBlotter)
        assert blotter._cells["f1"] == ("00:56:00", "BOS@LAL", "LAL", "YES", "25", "41.0", "$0.35", "kalshi", "o1")
        app.source.push(
            FillView(
                fill_id="f2",
                client_order_id="o2",
                market_id="P-g0001-MIA",
                venue="polymarket",
                side="no",
                price=Decimal("0.53"),
                contracts=30,
                fee=Decimal("0.42"),
                filled_at=NOW,
            )
        )
        await wait_for(pilot, lambda: "f2" in app.state.fills)
        app.tick()
        assert blotter._cells["f2"][1:4] == ("NYK@MIA", "not MIA", "NO")
        assert blotter.coordinate_to_cell_key((0, 0)).row_key.value == "f2"  # newest first
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
