"""Positions panel, grouped by game: game, the team the contract pays on, side, quantity,
unrealized P&L, average price, mark and venue. `enter` opens the position's game."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from arbees_engine.bus.messages import PositionView

from .. import format as fmt
from ..state import DeskState
from .table_sync import SyncTable


def pays_on(state: DeskState, pos: PositionView) -> str:
    """The outcome the contract pays on: "LAL" for YES on a LAL-wins market, "not LAL" for NO."""
    quote = state.quotes.get(pos.market_id)
    team = (quote.yes_team or quote.outcome) if quote is not None else None
    if not team:
        return pos.market_id.split(":", 1)[-1][-12:]
    return team if pos.side.lower() == "yes" else f"not {team}"


def game_label(state: DeskState, game_id: str) -> str:
    """ "BOS@LAL" for a known game, else its id."""
    game = state.games.get(game_id)
    return f"{game.away}@{game.home}" if game else game_id


class PositionsTable(SyncTable):
    """Open positions, sorted by game then market. Row key = position_id; settled ones leave.
    Key columns (game, pays on, side, qty, P&L) come first: a narrow desk cuts from the right."""

    COLUMNS = (
        ("game", "Game", 7),
        ("pays", "Pays on", 8),
        ("side", "Side", 3),
        ("qty", "Qty", 3),
        ("unrl", "Unrl P&L", 8),
        ("avg", "Avg¢", 5),
        ("mark", "Mark¢", 5),
        ("venue", "Venue", 5),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(id="positions", **kwargs)
        self.border_title = "Positions by game"

    def sync(self, state: DeskState, keys: Iterable[str] | None) -> None:
        """Apply changed positions (`keys`), or all when keys is None; settled/flat ones leave."""
        if keys is None:
            self.reset()
            keys = sorted(state.positions)
        added = False
        for key in keys:
            pos = state.positions.get(key)
            if pos is None or pos.settled or pos.contracts == 0:
                self.drop_row(key)
                continue
            added |= self.put_row(
                key,
                (
                    game_label(state, pos.game_id),
                    pays_on(state, pos),
                    pos.side.upper(),
                    fmt.contracts(pos.contracts),
                    fmt.dollars(pos.unrealized_pnl, signed=True),
                    fmt.cents(pos.avg_price),
                    fmt.cents(pos.mark),
                    pos.venue[:4],
                ),
            )
        if added and self.row_count > 1:
            self.sort("game", "pays")

    def selected_game(self, state: DeskState) -> str | None:
        """The game of the position under the cursor, if any."""
        key = self.selected_key()
        pos = state.positions.get(key) if key else None
        return pos.game_id if pos is not None else None
