"""Fills blotter (`f`): every fill the desk has seen since it attached, newest first — time (UTC),
game, the team the contract pays on, venue, side, contracts, price, fee and order. The store's
full record for a date range, with CSV export, is `arbees-engine report --csv DIR`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from arbees_engine.bus.messages import FillView

from .. import format as fmt
from ..literal import literal
from ..panels.positions import game_label
from ..panels.table_sync import SyncTable
from ..state import DeskState


class FillsBlotter(SyncTable):
    """One row per fill; row key = fill_id; newest first."""

    COLUMNS = (
        ("at", "Time UTC", 8),
        ("game", "Game", 9),
        ("pays", "Pays on", 9),
        ("side", "Side", 4),
        ("qty", "Qty", 5),
        ("px", "Px¢", 5),
        ("fee", "Fee", 7),
        ("venue", "Venue", 10),
        ("order", "Order", 12),
    )
    DROP = ("order", "venue")
    GROW = {"order": 3, "pays": 1, "game": 1}  # noqa: RUF012


def fill_cells(state: DeskState, fill: FillView) -> tuple[str, ...]:
    """Display cells of one fill (game and team from the market's quote when the desk knows it)."""
    quote = state.quotes.get(fill.market_id)
    team = (quote.yes_team or quote.outcome) if quote is not None else fill.market_id[-10:]
    pays = team if fill.side.lower() == "yes" else f"not {team}"
    game = game_label(state, quote.game_id) if quote is not None and quote.game_id else fmt.DASH
    return (
        fill.filled_at.strftime("%H:%M:%S"),
        game,
        pays,
        fill.side.upper(),
        fmt.contracts(fill.contracts),
        fmt.cents(fill.price),
        fmt.dollars(fill.fee),
        fill.venue,
        fill.client_order_id,
    )


class FillsScreen(Screen):
    """The blotter; repainted from the app's tick (new fills are added, the cursor stays)."""

    BINDINGS = [Binding("escape", "back", "Back", id="fills.back")]

    def compose(self) -> ComposeResult:
        """Title, blotter, footer."""
        yield Static(id="fills-title")
        blotter = FillsBlotter(id="fills-table")
        blotter.border_title = "Fills (since this desk attached; arbees-engine report for the store's record)"
        yield blotter
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Paint at once."""
        self.paint(self.app.state, self.app.clock())  # type: ignore[attr-defined]

    def paint(self, state: DeskState, now: datetime) -> None:
        """Add new fills (never clear: the operator's cursor stays where it is)."""
        blotter = self.query_one(FillsBlotter)
        fees = sum((f.fee for f in state.fills.values()), Decimal(0))
        contracts = sum((f.contracts for f in state.fills.values()), Decimal(0))
        self.query_one("#fills-title", Static).update(
            literal(
                ("Fills", "b"),
                f"  {len(state.fills)} fills  {fmt.contracts(contracts)} contracts  fees {fmt.dollars(fees)}  ",
                (f"engine clock {state.engine_clock(now):%H:%M:%S} UTC", "$text-muted"),
            )
        )
        added = False
        for fill in state.fills.values():
            added |= blotter.put_row(fill.fill_id, fill_cells(state, fill))
        for key in blotter.row_keys():
            if key not in state.fills:
                blotter.drop_row(key)
        if added:
            blotter.sort("at", reverse=True)

    def action_back(self) -> None:
        """esc: back."""
        self.app.pop_screen()
