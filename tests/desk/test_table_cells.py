"""SyncTable cells show engine text literally: never parsed as markup, and no backslash added."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from arbees_tui.panels.table_sync import SyncTable

from .deskkit import wait_for

# Engine text as it may arrive in a team name, reason or audit detail.
TEXTS = ["C:\\", "bad [/venue] reply\\", "x\\[/venue]", "two\\\\", "[b]bold[/b]", "plain"]


class _Table(SyncTable):
    COLUMNS = (("text", "Text", 24),)


class _TableApp(App):
    def compose(self) -> ComposeResult:
        yield _Table()


def _shown(table: SyncTable, row: int) -> str:
    """What the table paints on body row `row` (line 0 is the header), padding stripped."""
    return table.render_line(row + 1).text.strip()


@pytest.mark.parametrize("text", TEXTS)
async def test_a_cell_shows_engine_text_exactly_when_added_and_when_updated(text):
    app = _TableApp()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.query_one(_Table)
        await wait_for(pilot, lambda: len(table.columns) == 1)
        table.put_row("r", (text,))
        await wait_for(pilot, lambda: table.row_count == 1)
        await pilot.pause()
        assert _shown(table, 0) == text
        table.put_row("r", ("before",))
        await pilot.pause()
        assert _shown(table, 0) == "before"
        table.put_row("r", (text,))  # the update_cell path
        await pilot.pause()
        assert _shown(table, 0) == text
        assert app.is_running


async def test_a_row_put_before_the_table_is_mounted_gets_the_columns_once():
    """A paint can reach the table of a just-pushed screen before its mount handler runs (the game
    screen's markets table did, crashing the desk with "More values provided than there are columns")."""
    app = _TableApp()
    async with app.run_test(size=(40, 10)) as pilot:
        early = _Table()  # not mounted yet
        assert early.put_row("r", ("first",)) and early.row_count == 1
        await app.screen.mount(early)
        await wait_for(pilot, lambda: early.is_mounted)
        assert [c.key.value for c in early.columns.values()] == ["text"]  # on_mount added none again
        early.put_row("r", ("second",))
        await pilot.pause()
        assert _shown(early, 0) == "second"
