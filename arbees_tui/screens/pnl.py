"""P&L screen (`p`): realized, fees, unrealized and net per game and per sport, with the P&L each
arbitrage has locked in. Refreshed from the app's tick; enter on a game opens it; esc goes back."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from .. import format as fmt
from ..literal import literal
from ..panels.pnl import PnlLine, pnl_by_game, pnl_by_sport, sport_of
from ..panels.positions import game_label
from ..panels.table_sync import SyncTable
from ..state import DeskState

PNL_COLUMNS = (
    ("net", "Net", 10),
    ("real", "Realized", 10),
    ("fees", "Fees", 8),
    ("unrl", "Unrealized", 10),
    ("open", "Open", 4),
    ("locked", "Arb locked", 10),
)


def pnl_cells(line: PnlLine) -> tuple[str, ...]:
    """Net, realized, fees, unrealized, open positions, locked arbitrage P&L (dollars)."""
    locked = fmt.dollars(line.locked, signed=True) if line.arbs or line.locked else fmt.DASH
    return (
        fmt.dollars(line.net, signed=True),
        fmt.dollars(line.realized, signed=True),
        fmt.dollars(line.fees),
        fmt.dollars(line.unrealized, signed=True),
        str(line.open_positions),
        locked,
    )


class GamePnlTable(SyncTable):
    """One row per game; row key = game_id."""

    COLUMNS = (("game", "Game", 9), ("sport", "Sport", 10), *PNL_COLUMNS, ("arbs", "Arbitrage", 20))
    DROP = ("arbs", "sport", "open")  # the money columns never drop
    GROW = {"arbs": 2, "game": 1}  # noqa: RUF012


class SportPnlTable(SyncTable):
    """One row per sport; row key = sport."""

    COLUMNS = (("sport", "Sport", 10), *PNL_COLUMNS)


class PnlScreen(Screen):
    """P&L by game and sport."""

    BINDINGS = [Binding("escape", "back", "Back", id="pnl.back")]

    def compose(self) -> ComposeResult:
        """Title, per-game table, per-sport table, footer."""
        yield Static(id="pnl-title")
        games = GamePnlTable(id="pnl-games")
        games.border_title = "P&L by game (realized before fees; net after fees)"
        yield games
        sports = SportPnlTable(id="pnl-sports")
        sports.border_title = "P&L by sport"
        yield sports
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Paint at once, then on every tick."""
        self.paint(self.app.state, self.app.clock())  # type: ignore[attr-defined]

    def paint(self, state: DeskState, now: datetime) -> None:
        """Diff both tables against the state by row key (the cursor stays)."""
        games = pnl_by_game(state)
        self.query_one("#pnl-title", Static).update(
            literal(
                ("P&L", "b"),
                f"  {len(games)} game{'s' * (len(games) != 1)}  ",
                (f"engine clock {state.engine_clock(now):%H:%M:%S} UTC", "$text-muted"),
            )
        )
        _diff(
            self.query_one(GamePnlTable),
            {
                g: (game_label(state, g), sport_of(state, g), *pnl_cells(line), ", ".join(line.arbs))
                for g, line in sorted(games.items(), key=lambda kv: kv[1].net)
            },
        )
        _diff(
            self.query_one(SportPnlTable),
            {s: (s, *pnl_cells(line)) for s, line in sorted(pnl_by_sport(state, games).items())},
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """enter on a game row: open that game."""
        if event.data_table.id == "pnl-games" and event.row_key.value:
            self.app.open_game(event.row_key.value)  # type: ignore[attr-defined]

    def action_back(self) -> None:
        """esc: back."""
        self.app.pop_screen()


def _diff(table: SyncTable, rows: dict[str, tuple]) -> None:
    for key in table.row_keys():
        if key not in rows:
            table.drop_row(key)
    for key, cells in rows.items():
        table.put_row(key, cells)
