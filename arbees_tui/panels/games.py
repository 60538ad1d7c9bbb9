"""Games panel: one row per game with score, clock, model win probability, both venues' home-YES
bid/ask and the current edge. Sortable (`s` cycles the column) and filterable (`/`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import format as fmt
from ..literal import literal
from ..state import DeskState
from .table_sync import SyncTable

SORTS = ("matchup", "sport", "edge", "model")


def _num(text: str) -> float:
    try:
        return float(text.rstrip("%¢").replace("+", ""))
    except ValueError:
        return float("-inf")


class GamesTable(SyncTable):
    """Live games. Row key = game_id."""

    COLUMNS = (
        ("sport", "Lg", 4),
        ("matchup", "Matchup", 13),
        ("score", "Score", 7),
        ("clock", "Clock", 8),
        ("model", "Model", 6),
        ("kalshi", "Kalshi", 6),
        ("poly", "Poly", 6),
        ("edge", "Edge", 6),
    )
    GROW = {"matchup": 3, "clock": 2, "score": 1, "model": 1, "kalshi": 1, "poly": 1, "edge": 1}  # noqa: RUF012

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(id="games", **kwargs)
        self.filter_text = ""
        self.sort_index = 0
        self.border_title = "Games"

    def cells(self, state: DeskState, game_id: str) -> tuple[str, ...]:
        """Display cells for one game: (sport, matchup, score, clock, model %, Kalshi b/a ¢, Poly b/a ¢, edge ¢)."""
        g = state.games[game_id]
        k = state.home_quote(game_id, "kalshi")
        p = state.home_quote(game_id, "polymarket")
        return (
            g.league.upper()[:4],
            f"{g.away} @ {g.home}",
            f"{g.away_score}-{g.home_score}",
            fmt.clock_of(g),
            fmt.prob(g.model_p_home),
            _quote_cell(k),
            _quote_cell(p),
            fmt.edge_cents(state.game_edge(game_id)),
        )

    def matches(self, state: DeskState, game_id: str) -> bool:
        """True if every word of the filter occurs in the game's sport/league/teams/status."""
        if not self.filter_text:
            return True
        g = state.games[game_id]
        hay = f"{g.sport} {g.league} {g.home} {g.away} {g.status}".lower()
        return all(word in hay for word in self.filter_text.lower().split())

    def sync(self, state: DeskState, keys: Iterable[str] | None) -> None:
        """Apply changed games (`keys`), or all of them when keys is None (snapshot/filter). The
        cursor stays on the game it was on when rows are added, re-sorted or removed around it."""
        before = self.selected_key()
        if keys is None:
            self.reset()
            keys = sorted(state.games)
        added = False
        for game_id in keys:
            if game_id in state.games and self.matches(state, game_id):
                added |= self.put_row(game_id, self.cells(state, game_id))
            else:
                self.drop_row(game_id)
        if added:
            self.apply_sort()
        if before is not None and self.has_key(before) and self.selected_key() != before:
            self.move_cursor(row=self.get_row_index(before), animate=False)

    def apply_sort(self) -> None:
        """Sort rows by the current sort column (numeric columns descending)."""
        column = SORTS[self.sort_index]
        numeric = column in ("edge", "model")
        self.sort(column, key=_num if numeric else None, reverse=numeric)
        shown = f"sort: {column}" + (f"  filter: {self.filter_text}" if self.filter_text else "")
        self.border_subtitle = literal(shown)  # the operator's filter words, shown literally

    def cycle_sort(self) -> str:
        """Next sort column; returns its name. The cursor stays on its game."""
        before = self.selected_key()
        self.sort_index = (self.sort_index + 1) % len(SORTS)
        self.apply_sort()
        if before is not None and self.has_key(before):
            self.move_cursor(row=self.get_row_index(before), animate=False)
        return SORTS[self.sort_index]


def _quote_cell(quote: Any) -> str:
    """ "bid/ask" in cents; a stale book (feed down or being rebuilt) is marked "~" and never traded."""
    if quote is None:
        return fmt.DASH
    text = fmt.bid_ask(quote.yes_bid, quote.yes_ask)
    return f"~{text}" if quote.stale else text
