"""Pilot tests for every desk hotkey over an in-memory source (engine stand-in acks commands)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from arbees_engine.bus.messages import CommandAck, CommandAction, EngineStatus, LegView, SignalView
from arbees_tui.panels.games import GamesTable
from arbees_tui.panels.header import HaltedBanner, HeaderBar
from arbees_tui.panels.signals import PendingTable
from arbees_tui.screens.audit_log import AuditScreen, AuditTable
from arbees_tui.screens.confirm import ConfirmScreen
from arbees_tui.screens.game import GameScreen, GameSignalsTable, MarketsTable
from arbees_tui.screens.help import HelpScreen
from arbees_tui.screens.main import MainScreen

from .deskkit import NOW, FakeClock, ack_ok, make_app, settle, wait_for


def header_text(app) -> str:
    return str(app.screen.query_one(HeaderBar).render())


async def confirm(pilot) -> None:
    """Confirm the open dialog: the kill dialog's reason Input is focused and enter confirms with
    the prefilled reason; any other dialog focuses Cancel, so move to Confirm and press it."""
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
    if pilot.app.screen.reason_prefill is not None:
        assert pilot.app.focused.id == "confirm-reason"
        await pilot.press("enter")
        return
    assert pilot.app.focused.id == "cancel"  # the safe choice is focused
    await pilot.press("right", "enter")


async def send_kill(pilot) -> None:
    """Settle, press ctrl+k, confirm, and wait until the desk has sent the one KILL command."""
    app = pilot.app
    await settle(pilot)
    await pilot.press("ctrl+k")
    await confirm(pilot)
    await wait_for(pilot, lambda: len(app.source.commands) == 1)


async def test_kill_confirm_pending_then_halted_banner_until_resume():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await send_kill(pilot)
        cmd = app.source.commands[0]
        assert (cmd.action, cmd.operator, cmd.command_id) == (CommandAction.KILL, "alice", "c-0001")
        assert cmd.reason == "operator kill from the desk"  # the prefill, kept as it was
        assert "KILL PENDING" in header_text(app)
        assert not app.screen.query_one(HaltedBanner).display
        app.source.push(CommandAck(command_id="c-0001", action="kill", ok=True, outcome="done", acked_at=NOW))
        await wait_for(pilot, lambda: app.state.commands["c-0001"].status == "done")
        app.tick()
        await pilot.pause()
        assert "KILL PENDING" not in header_text(app) and "HALTED" in header_text(app)
        assert app.screen.query_one(HaltedBanner).display
        # the banner stays until the engine reports the kill lifted
        await pilot.press("R")
        await confirm(pilot)
        await wait_for(pilot, lambda: len(app.source.commands) == 2)
        assert app.source.commands[1].action == CommandAction.RESUME
        app.tick()
        assert app.screen.query_one(HaltedBanner).display
        engine = app.state.engine.model_copy(update={"kill_engaged": False, "mode": "auto"})
        app.source.push(CommandAck(command_id="c-0002", action="resume", ok=True, outcome="done", acked_at=NOW), engine)
        await wait_for(pilot, lambda: not app.state.kill_engaged)
        app.tick()
        await pilot.pause()
        assert not app.screen.query_one(HaltedBanner).display and "AUTO" in header_text(app)


async def test_bang_opens_kill_dialog_and_cancel_sends_nothing():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("!")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.focused.id == "confirm-reason"
        await pilot.press("tab")  # from the reason to Cancel
        assert app.focused.id == "cancel"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("!")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.source.commands == []


async def test_kill_sends_the_typed_reason_trimmed_and_cut_and_escape_sends_nothing():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.focused.id == "confirm-reason" and app.focused.value == "operator kill from the desk"
        await pilot.press(*"  bad feed [nba] ", "escape")  # typed, then cancelled
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await settle(pilot)
        assert app.source.commands == []
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press(*"  bad feed [nba] ", "enter")  # typing replaces the selected prefill
        await wait_for(pilot, lambda: len(app.source.commands) == 1)
        assert (app.source.commands[0].action, app.source.commands[0].reason) == (CommandAction.KILL, "bad feed [nba]")
        app.source.commands.clear()
        for typed, sent in (("x" * 250, "x" * 200), ("   ", "operator kill from the desk")):
            await pilot.press("ctrl+k")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press(*typed)
            await pilot.click("#confirm")
            await wait_for(pilot, lambda: len(app.source.commands) == 1)
            assert app.source.commands.pop().reason == sent


async def test_kill_without_ack_times_out_loudly_only_once_the_engine_can_no_longer_run_it():
    clock = FakeClock()
    app = make_app(clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await send_kill(pilot)
        cmd = app.source.commands[0]
        assert (cmd.expires_at - cmd.issued_at).total_seconds() == app.command_ttl_s == 10
        clock.now = cmd.expires_at + timedelta(
            seconds=app.clock_skew_s
        )  # an engine up to the skew behind may still run it
        app.tick()
        assert app.state.commands["c-0001"].status == "pending" and "KILL PENDING" in header_text(app)
        clock.advance(0.001)
        app.tick()
        assert app.state.commands["c-0001"].status == "timeout"
        assert "will not run it now" in app.state.commands["c-0001"].detail
        await wait_for(pilot, lambda: any(n.severity == "error" and "timeout" in n.message for n in app._notifications))
        assert "KILL PENDING" not in header_text(app) and "KILL TIMEOUT" in header_text(app)


async def test_failed_kill_ack_is_shown_as_error():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await send_kill(pilot)
        app.source.push(
            CommandAck(
                command_id="c-0001", action="kill", ok=False, outcome="failed", detail="store unreachable", acked_at=NOW
            )
        )
        await wait_for(pilot, lambda: app.state.commands["c-0001"].status == "failed")
        await wait_for(
            pilot, lambda: any(n.severity == "error" and "store unreachable" in n.message for n in app._notifications)
        )
        app.tick()
        assert "KILL FAILED" in header_text(app)


async def test_approve_and_reject_send_id_and_version_and_show_outcome():
    app = make_app(mode="manual")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pending = app.screen.query_one(PendingTable)
        assert pending.selected_key() == "s-003"
        await pilot.press("a")
        await wait_for(pilot, lambda: len(app.source.commands) == 1)
        cmd = app.source.commands[0]
        assert (cmd.action, cmd.signal_id, cmd.signal_version, cmd.operator) == (
            CommandAction.APPROVE,
            "s-003",
            2,
            "alice",
        )
        app.tick()
        assert "approve pending" in str(pending.get_cell("s-003", "cmd"))
        app.source.push(
            CommandAck(
                command_id="c-0001", action="approve", ok=False, outcome="refused", detail="price moved", acked_at=NOW
            )
        )
        await wait_for(pilot, lambda: app.state.commands["c-0001"].status == "refused")
        app.tick()
        assert "refused (price moved)" in str(pending.get_cell("s-003", "cmd"))
        await pilot.press("r")
        await wait_for(pilot, lambda: len(app.source.commands) == 2)
        assert app.source.commands[1].action == CommandAction.REJECT


async def test_approve_with_no_pending_signal_warns():
    app = make_app(mode="auto")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: any("no pending signal" in n.message for n in app._notifications))
        assert app.source.commands == []


async def test_mode_switch_is_confirmed_and_acked():
    app = make_app(mode="auto", auto_ack=ack_ok)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await confirm(pilot)
        await wait_for(
            pilot, lambda: app.state.commands.get("c-0001") and app.state.commands["c-0001"].status == "done"
        )
        cmd = app.source.commands[0]
        assert (cmd.action, cmd.mode) == (CommandAction.SET_MODE, "manual")


async def test_enter_opens_game_screen_and_escape_backs_out():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(GamesTable)
        first = table.selected_key()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GameScreen))
        assert app.screen.game_id == first
        assert set(app.screen.query_one(MarketsTable).row_keys()) == app.state.quotes_by_game[first]
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_game_screen_lists_signals_newest_first_with_model_and_used_probability():
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        first = app.screen.query_one(GamesTable).selected_key()
        leg = LegView(market_id="K-x", venue="kalshi", side="yes", limit_price=Decimal("0.40"), contracts=5)
        for i in range(3):
            app.source.push(
                SignalView(
                    signal_id=f"sig-{i}",
                    version=1,
                    signal_kind="edge",
                    game_id=first,
                    legs=[leg],
                    model_prob=0.50 + i / 100,
                    raw_model_prob=0.55 + i / 100,
                    market_weight=0.2,
                    market_prob=0.42,
                    edge=Decimal("0.05"),
                    decision="rejected",
                    reason="cooldown",
                    created_at=NOW + timedelta(seconds=10 * i),
                )
            )
        await wait_for(pilot, lambda: "sig-2" in app.state.signals)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GameScreen))
        table = app.screen.query_one(GameSignalsTable)
        await wait_for(pilot, lambda: {"sig-0", "sig-1", "sig-2"} <= set(table.row_keys()))
        assert [table.coordinate_to_cell_key((r, 0)).row_key.value for r in range(3)] == ["sig-2", "sig-1", "sig-0"]
        assert table.get_row("sig-2")[4:7] == ["57.0%", "52.0%", "42.0%"]


async def test_audit_screen_search_and_back():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, AuditScreen))
        table = app.screen.query_one(AuditTable)
        assert table.row_count == 4
        await pilot.press("slash", *"actor:ops")
        await wait_for(pilot, lambda: table.row_count == 1)
        await pilot.press("escape")  # clears the search first
        await wait_for(pilot, lambda: table.row_count == 4)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_help_lists_every_binding_id():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        ids = {row[2] for row in app.screen.rows}
        assert {
            "desk.kill",
            "desk.resume",
            "desk.mode",
            "desk.audit",
            "desk.help",
            "desk.quit",
            "signal.approve",
            "signal.reject",
            "games.filter",
            "games.sort",
        } <= ids
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))


async def test_filter_and_sort_games():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(GamesTable)
        await pilot.press("slash", *"nfl")
        await wait_for(pilot, lambda: table.row_count == 2)
        await pilot.press("escape")
        await wait_for(pilot, lambda: table.row_count == 6)
        await pilot.press("s", "s")  # matchup → sport → edge
        assert table.border_subtitle.startswith("sort: edge")
        edges = [str(table.get_row_at(i)[-1]) for i in range(table.row_count)]
        assert edges[0] == "+1.2¢" and edges[-1] == "-0.4¢"


async def test_palette_lists_desk_commands():
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("colon")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CommandPalette")
        await pilot.press(*"Kill switch")
        await wait_for(
            pilot, lambda: "Kill switch" in str(app.screen.query_one("CommandList").get_option_at_index(0).prompt)
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))


async def test_q_quits_without_sending_anything():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")  # issue 15: positions are open, so the desk asks first
        await confirm(pilot)
        await wait_for(pilot, lambda: app._exit_renderables is not None or not app.is_running)
    assert app.source.commands == []


async def test_engine_status_event_updates_mode_live():
    app = make_app(mode="auto")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        status: EngineStatus = app.state.engine.model_copy(update={"mode": "manual"})
        app.source.push(status)
        await wait_for(pilot, lambda: app.state.mode == "manual")
        app.tick()
        assert "MANUAL" in header_text(app)


async def test_resize_relays_out_and_heartbeat_staleness_shows():
    from datetime import timedelta

    from arbees_tui.sample import heartbeat, sample_snapshot
    from arbees_tui.source import MemorySource

    source = MemorySource(sample_snapshot(NOW), heartbeat(NOW, age_s=4.0))
    app = make_app(source=source)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "STALE" in header_text(app)
        small = app.screen.query_one(GamesTable).size.height
        await pilot.resize_terminal(160, 48)
        await wait_for(pilot, lambda: app.screen.query_one(GamesTable).size.height > small)
        source.beat = heartbeat(NOW, age_s=0.2)
        await wait_for(pilot, lambda: app.state.heartbeat.ts == NOW - timedelta(seconds=0.2))
        app.tick()
        assert "ONLINE" in header_text(app)


async def test_read_only_desk_sends_nothing():
    app = make_app(mode="manual")
    app.read_only = True
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # issue 15: a read-only desk hides its mutating keys instead of asking and then refusing
        assert "READ-ONLY" in header_text(app)
        footer_keys = {key.description for key in app.screen.query("FooterKey")}
        assert not footer_keys & {"KILL", "Resume", "Mode", "Approve", "Reject"} and "Log" in footer_keys
        for key in ("a", "r", "ctrl+k", "R", "m"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)  # no confirmation dialog opened
        assert app.source.commands == [] and app.state.commands == {}


async def test_command_that_cannot_be_sent_fails_loudly_and_worker_errors_reach_the_operator():
    from arbees_tui.sample import heartbeat, sample_snapshot
    from arbees_tui.source import MemorySource

    class BrokenSend(MemorySource):
        async def send_command(self, command):
            raise ConnectionError("redis gone")

    app = make_app(source=BrokenSend(sample_snapshot(NOW), heartbeat(NOW)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+k")
        await confirm(pilot)
        await wait_for(
            pilot,
            lambda: app.state.commands.get("c-0001") is not None and app.state.commands["c-0001"].status == "failed",
        )
        assert "redis gone" in app.state.commands["c-0001"].detail

        async def crash():
            raise RuntimeError("boom")

        app.run_worker(crash(), name="crashy", exit_on_error=False)
        await wait_for(pilot, lambda: any("crashy" in e and "boom" in e for e in app.errors))


async def test_header_shouts_when_a_live_order_outcome_is_unknown():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "OUTCOME UNKNOWN" not in header_text(app)
        counts = {**app.state.engine.counts, "orders_outcome_unknown": 2}
        app.source.push(app.state.engine.model_copy(update={"counts": counts}))
        await wait_for(pilot, lambda: "2 ORDERS OUTCOME UNKNOWN" in header_text(app))


async def test_header_shows_settlements_awaiting_the_venue_and_mismatches():
    app = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert "awaiting venue settlement" not in header_text(app)
        counts = {**app.state.engine.counts, "settlements_awaiting_venue": 3, "settlement_mismatches": 1}
        app.source.push(app.state.engine.model_copy(update={"counts": counts}))
        await wait_for(
            pilot,
            lambda: (
                "3 awaiting venue settlement" in header_text(app) and "1 settled unlike the score" in header_text(app)
            ),
        )


async def push_newer_pending(pilot, n: int) -> PendingTable:
    """Push pending signals p-0..p-(n-1), newer than the sample's s-003; returns the pending table
    once it shows all n + 1 rows (s-003 first)."""
    app = pilot.app
    pending = app.screen.query_one(PendingTable)
    base = app.state.signals["s-003"]
    for i in range(n):
        app.source.push(
            base.model_copy(
                update={"signal_id": f"p-{i}", "version": 1, "created_at": base.created_at + timedelta(seconds=i + 1)}
            )
        )
    await wait_for(pilot, lambda: pending.row_count == n + 1)
    return pending


async def test_approve_acts_on_the_chosen_signal_even_when_rows_come_and_go_under_the_cursor():
    app = make_app(mode="manual")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pending = await push_newer_pending(pilot, 3)
        base = app.state.signals["s-003"]
        assert [pending.coordinate_to_cell_key((r, 0)).row_key.value for r in range(4)] == [
            "s-003",
            "p-0",
            "p-1",
            "p-2",
        ]
        pending.focus()
        await pilot.press("down")  # the operator picks p-0
        assert pending.selected_key() == "p-0"
        app.source.push(base.model_copy(update={"version": 3, "decision": "expired"}))  # the row above leaves
        await wait_for(pilot, lambda: pending.row_count == 3)
        assert pending.selected_key() == "p-0" and pending.cursor_row == 0
        await pilot.press("a")
        await wait_for(pilot, lambda: len(app.source.commands) == 1)
        assert app.source.commands[0].signal_id == "p-0"  # not p-1, now at the cursor's old position
        app.source.push(app.state.signals["p-0"].model_copy(update={"version": 2, "decision": "rejected"}))
        await wait_for(pilot, lambda: pending.row_count == 2)  # decided elsewhere: nothing is chosen now
        assert pending.selected_key() is None and not pending.show_cursor
        await pilot.press("a")
        await wait_for(pilot, lambda: any("no pending signal" in n.message for n in app._notifications))
        assert len(app.source.commands) == 1
        await pilot.press("down")  # picking again shows the cursor and chooses the row under it
        assert pending.show_cursor and pending.selected_key() in {"p-1", "p-2"}
        chosen = pending.selected_key()
        await pilot.press("r")
        await wait_for(pilot, lambda: len(app.source.commands) == 2)
        assert app.source.commands[1].signal_id == chosen


async def test_kill_switch_cancels_another_open_question_instead_of_waiting_behind_it():
    app = make_app(mode="auto")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("m")  # "switch to manual?" is open
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("ctrl+k")
        await wait_for(
            pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen.title_text.startswith("ENGAGE KILL")
        )
        await confirm(pilot)
        await wait_for(pilot, lambda: len(app.source.commands) == 1)
        assert app.source.commands[0].action == CommandAction.KILL  # and no mode change was sent
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))


async def test_engine_text_is_shown_literally_and_naive_times_are_utc():
    from arbees_engine.bus.messages import AuditView

    app = make_app(mode="manual")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        base = app.state.signals["s-003"]
        naive = base.created_at.replace(tzinfo=None)
        raw = base.model_dump(mode="json") | {
            "signal_id": "s-naive",
            "version": 1,
            "reason": "bad [/venue] reply",
            "created_at": naive.isoformat(),
            "expires_at": None,
        }
        signal = SignalView.model_validate(raw)
        assert signal.created_at.tzinfo is not None and signal.created_at == base.created_at
        app.source.push(
            signal,
            AuditView(
                audit_id="a-x", ts=NOW, actor="engine[/x]", action="note", entity="[b]e", detail="bad [/venue] reply"
            ),
        )
        await wait_for(pilot, lambda: "s-naive" in app.state.signals)
        app.tick()  # sorting pending rows compares its time with aware ones: no TypeError
        await pilot.press("l")  # the audit log renders "[/venue]" as text, no MarkupError
        await wait_for(pilot, lambda: isinstance(app.screen, AuditScreen))
        table = app.screen.query_one(AuditTable)
        await wait_for(pilot, lambda: table.row_count > 0)
        assert app.errors == [] and app.is_running


async def test_a_lost_link_dims_the_tables_and_shows_the_engine_as_unknown():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not app.screen.has_class("-stale") and "engine ONLINE" in header_text(app)
        app.link, app.link_detail = "down", "connection refused"
        app.tick()
        assert app.screen.has_class("-stale") and "engine UNKNOWN" in header_text(app)
        app.link = "connected"
        app.tick()
        assert not app.screen.has_class("-stale")


async def test_a_double_press_sends_one_approve():
    app = make_app(mode="manual")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a", "a")
        await wait_for(pilot, lambda: any("already sent" in n.message for n in app._notifications))
        assert len(app.source.commands) == 1 and app.source.commands[0].signal_id == "s-003"


async def test_a_send_that_fails_after_the_timeout_shows_not_sent():
    from arbees_tui.messages import CommandSendFailed

    app = make_app(mode="manual")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: "c-0001" in app.state.commands)
        app.state.expire_commands(NOW + timedelta(hours=1), app.clock_skew_s)
        assert app.state.commands["c-0001"].status == "timeout"
        app.post_message(CommandSendFailed("c-0001", "redis: connection refused"))
        await wait_for(pilot, lambda: app.state.commands["c-0001"].status == "failed")
        assert app.state.commands["c-0001"].detail == "not sent: redis: connection refused"


async def test_a_command_awaiting_its_ack_is_sent_again_with_the_same_id_after_a_resync():
    from arbees_tui.messages import SnapshotLoaded

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await send_kill(pilot)
        app.post_message(SnapshotLoaded(await app.source.load_snapshot()))  # the desk reattached
        await wait_for(pilot, lambda: len(app.source.commands) == 2)
        assert [c.command_id for c in app.source.commands] == ["c-0001", "c-0001"]  # the engine runs it once
        app.source.push(CommandAck(command_id="c-0001", action="kill", ok=True, outcome="done", acked_at=NOW))
        await wait_for(pilot, lambda: app.state.commands["c-0001"].status == "done")
        app.post_message(SnapshotLoaded(await app.source.load_snapshot()))
        await pilot.pause()
        await settle(pilot)
        assert len(app.source.commands) == 2  # acknowledged: not sent again


async def test_an_exclamation_mark_typed_in_the_filter_is_text_and_ctrl_k_still_kills_from_there():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("slash", "!")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.screen.query_one("#filter").value == "!"
        await pilot.press("ctrl+k")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))


async def test_the_games_cursor_stays_on_its_game_when_a_new_game_sorts_in_above_it():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        games = app.screen.query_one(GamesTable)
        games.focus()
        await pilot.press("down", "down")
        chosen = games.selected_key()
        first = games.coordinate_to_cell_key((0, 0)).row_key.value
        template = app.state.games[first]
        app.source.push(template.model_copy(update={"game_id": "a-new-first", "league": "AAA", "sport": "aaa"}))
        await wait_for(pilot, lambda: "a-new-first" in app.state.games)
        app.tick()
        await pilot.pause()
        assert games.has_key("a-new-first") and games.selected_key() == chosen
        await pilot.press("s")  # a re-sort keeps it too
        await pilot.pause()
        assert games.selected_key() == chosen


async def test_clicking_a_pending_row_chooses_it():
    app = make_app(mode="manual")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pending = await push_newer_pending(pilot, 1)
        assert pending.selected_key() == "s-003"
        await pilot.click(PendingTable, offset=(3, 3))  # border, header, s-003, then p-0
        await pilot.pause()
        assert pending.selected_key() == "p-0"
        await pilot.press("a")
        await wait_for(pilot, lambda: len(app.source.commands) == 1)
        assert app.source.commands[0].signal_id == "p-0"
