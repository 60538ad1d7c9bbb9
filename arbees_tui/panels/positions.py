"""Positions panel: market, venue, side, contracts, average price, mark and unrealized P&L."""

from __future__ import annotations

from typing import Any, Iterable

from .. import format as fmt
from ..state import DeskState
from .table_sync import SyncTable


class PositionsTable(SyncTable):
    """Open positions. Row key = position_id; settled positions leave the table."""

    COLUMNS = (
        ("market", "Market", 12), ("venue", "Venue", 5), ("side", "Side", 4), ("qty", "Qty", 4),
        ("avg", "Avg¢", 5), ("mark", "Mark¢", 5), ("unrl", "Unrl P&L", 9),
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(id="positions", **kwargs)
        self.border_title = "Positions"

    def sync(self, state: DeskState, keys: Iterable[str] | None) -> None:
        """Apply changed positions (`keys`), or all when keys is None; settled/flat ones leave."""
        if keys is None:
            self.reset()
            keys = sorted(state.positions)
        for key in keys:
            pos = state.positions.get(key)
            if pos is None or pos.settled or pos.contracts == 0:
                self.drop_row(key)
                continue
            self.put_row(key, (
                pos.market_id.split(":", 1)[-1], pos.venue[:4], pos.side.upper(), str(pos.contracts),
                fmt.cents(pos.avg_price), fmt.cents(pos.mark), fmt.dollars(pos.unrealized_pnl, signed=True),
            ))
