"""Engine text shows literally outside the tables too (arbees_tui/literal.py): the header's link
error, the HALTED banner, the audit panel, the help screen, the game screen's title, the games
filter and toasts. What is painted equals the text sent: never parsed as markup, and no backslash
added or lost (escaped markup shows a trailing backslash, or one before a tag, doubled)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.binding import Binding
from textual.widget import Widget
from textual.widgets import Input, Static
from textual.widgets._toast import Toast

from arbees_engine.bus.messages import AuditView, CommandAck
from arbees_tui import format as fmt
from arbees_tui.messages import LinkChanged
from arbees_tui.panels.audit import AuditPanel
from arbees_tui.panels.games import GamesTable
from arbees_tui.panels.header import HaltedBanner, HeaderBar
from arbees_tui.screens.game import GameScreen
from arbees_tui.screens.help import HelpScreen
from arbees_tui.screens.main import MainScreen

from .deskkit import NOW, make_app, settle, wait_for

# Engine text as it may arrive in a team name, league, kill reason, audit detail or command result.
TEXTS = ["C:\\", "bad [/venue] reply\\", "[bold]x[/bold]", "a\\[b]", "x\\[/venue]"]
SIZE = (160, 48)
each_text = pytest.mark.parametrize("text", TEXTS)


def painted(widget: Widget) -> list[str]:
    """The lines `widget` paints (its content region), surrounding blanks stripped."""
    return [widget.render_line(y).text.strip() for y in range(widget.size.height)]


async def repaint(pilot) -> None:
    """Run the desk's paint tick now and let the screen refresh."""
    pilot.app.tick()
    await pilot.pause()


def toasts(app) -> list[list[str]]:
    """What each toast on the screen paints: [title, message lines...]."""
    return [painted(toast) for toast in app.screen.query(Toast)]


@each_text
async def test_a_link_error_shows_literally_in_the_header_and_its_toast(text):
    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        app.post_message(LinkChanged("down", text))
        await wait_for(pilot, lambda: app.link == "down" and len(app.screen.query(Toast)) == 1)
        await repaint(pilot)
        # with the link down what the engine last said is shown as unknown (issue 15)
        assert (
            painted(app.screen.query_one(HeaderBar))[2]
            == f"engine UNKNOWN hb {fmt.DASH}  store ?  bus ?  link down {text}"
        )
        assert toasts(app) == [["desk error", f"link: {text}"]]


@each_text
async def test_the_halted_banner_shows_the_kill_operator_and_reason_literally(text):
    app = make_app(kill=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.source.push(app.state.engine.model_copy(update={"kill_operator": text, "kill_reason": text}))
        await wait_for(pilot, lambda: app.state.engine.kill_reason == text)
        await repaint(pilot)
        banner = app.screen.query_one(HaltedBanner)
        assert painted(banner) == [f"■ HALTED — kill switch engaged by {text}: {text} — R to resume ■"]


@each_text
async def test_the_audit_panel_shows_audit_lines_literally(text):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.source.push(
            AuditView(
                audit_id=99, ts=NOW + timedelta(minutes=1), actor=text, action="reject", entity="s-9", detail=text
            )
        )
        await wait_for(pilot, lambda: app.state.audit[0].audit_id == 99)
        await repaint(pilot)
        assert painted(app.screen.query_one(AuditPanel))[0] == f"01:01:00 {text} reject s-9 {text}"


@each_text
async def test_the_help_screen_shows_binding_text_literally(text):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.push_screen(HelpScreen([Binding("x", "noop", text, id=text)]))
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen.query("#help-text"))
        await pilot.pause()
        lines = painted(app.screen.query_one("#help-text", Static))
        assert lines[:3] == ["Arbees desk — keys", "", f"{'x':<16} {text:<10} {text}"]


@each_text
async def test_the_game_title_shows_teams_league_and_prior_source_literally(text):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        game = app.state.games["g0000"].model_copy(update={"away": text, "league": text, "prior_source": text})
        app.source.push(game)
        await wait_for(pilot, lambda: app.state.games["g0000"].away == text)
        app.open_game("g0000")
        await wait_for(pilot, lambda: isinstance(app.screen, GameScreen) and app.screen.is_mounted)
        await repaint(pilot)
        clock = fmt.clock_of(game)
        edge = fmt.edge_cents(app.state.game_edge("g0000"))
        assert painted(app.screen.query_one("#game-title", Static)) == [
            f"{text} @ {game.home}  {game.away_score}-{game.home_score}  {clock}  {text}  "
            f"model {fmt.prob(game.model_p_home)}  prior {fmt.prob(game.pregame_home_prob)} {text}  edge {edge}"
        ]


@each_text
async def test_the_game_title_of_a_game_no_longer_listed_shows_its_id_literally(text):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.open_game(text)
        await wait_for(pilot, lambda: isinstance(app.screen, GameScreen) and app.screen.is_mounted)
        await repaint(pilot)
        assert painted(app.screen.query_one("#game-title", Static)) == [f"game {text} is no longer listed"]


@each_text
async def test_a_refused_command_toasts_the_engine_reason_literally(text):
    app = make_app(mode="manual")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: len(app.source.commands) == 1)
        app.source.push(
            CommandAck(command_id="c-0001", action="approve", ok=False, outcome="refused", detail=text, acked_at=NOW)
        )
        await wait_for(pilot, lambda: len(app.screen.query(Toast)) == 1)
        await pilot.pause()
        assert toasts(app) == [["command", f"approve: refused — {text}"]]


@each_text
async def test_the_games_filter_words_show_literally_in_the_table_subtitle(text):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#filter", Input).value = text
        table = app.screen.query_one(GamesTable)
        await wait_for(pilot, lambda: table.filter_text == text)
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and app.is_running
        # the table has no bottom border to paint it on: the subtitle's text is what would show
        assert table._border_subtitle.plain == f"sort: matchup  filter: {text}"
