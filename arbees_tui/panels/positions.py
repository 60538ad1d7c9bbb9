"""Positions panel, grouped by game: game, the team the contract pays on, venue and side, quantity,
P&L, mark, average price and market. YES and NO held on one market are netted into one row; a team
held both YES and NO (an arbitrage across venues, or both sides of one market) gets an "arb" row
with its pairs and the P&L they lock in, its legs under it. `enter` opens the position's game."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from arbees_engine.bus.messages import PositionView

from .. import format as fmt
from ..state import DeskState
from .pnl import locked_arbitrage
from .table_sync import SyncTable

ZERO = Decimal(0)


def team_of(state: DeskState, market_id: str) -> str | None:
    """The team (or outcome) a market's YES pays on, None when the desk has no quote for it."""
    quote = state.quotes.get(market_id)
    return (quote.yes_team or quote.outcome) if quote is not None else None


def game_label(state: DeskState, game_id: str) -> str:
    """ "BOS@LAL" for a known game, else its id."""
    game = state.games.get(game_id)
    return f"{game.away}@{game.home}" if game else game_id


@dataclass
class MarketNet:
    """YES and NO held on one market, netted: `side` "yes" | "no" | "flat", `contracts` the net
    count; avg/mark of the net side (dollars); unrealized the market's total (dollars)."""

    market_id: str
    venue: str
    game_id: str
    side: str
    contracts: Decimal
    avg_price: Decimal | None
    mark: Decimal | None
    unrealized: Decimal


def net_market(positions: list[PositionView]) -> MarketNet:
    """Net the open positions of one market (YES − NO; one pair of YES+NO pays $1 whatever
    happens, so only the excess carries a view)."""
    by_side = {p.side.lower(): p for p in positions}
    yes, no = by_side.get("yes"), by_side.get("no")
    net = (yes.contracts if yes else ZERO) - (no.contracts if no else ZERO)
    held = yes if net > 0 else no if net < 0 else None
    first = positions[0]
    return MarketNet(
        market_id=first.market_id,
        venue=first.venue,
        game_id=first.game_id,
        side=held.side.lower() if held is not None else "flat",
        contracts=abs(net),
        avg_price=held.avg_price if held is not None else None,
        mark=held.mark if held is not None else None,
        unrealized=sum((p.unrealized_pnl for p in positions), ZERO),
    )


def _venue_side(venue: str, side: str) -> str:
    """ "K YES", "P NO", "K FLAT": the venue's initial and the side, so 80 columns keep both."""
    return f"{venue[:1].upper()} {side.upper()}"


def _leg_cells(state: DeskState, net: MarketNet, prefix: str) -> tuple[str, ...]:
    team = team_of(state, net.market_id)
    if team is None:
        pays = net.market_id.split(":", 1)[-1][-12:]
    else:
        pays = {"yes": team, "no": f"not {team}"}.get(net.side, f"{team} flat")
    return (
        game_label(state, net.game_id),
        prefix + pays,
        _venue_side(net.venue, net.side),
        fmt.contracts(net.contracts),
        fmt.dollars(net.unrealized, signed=True),
        fmt.cents(net.mark),
        fmt.cents(net.avg_price),
        f"{net.venue} {net.market_id}",
    )


def _team_rows(
    state: DeskState, game_id: str, team: str, nets: list[MarketNet], locked: tuple[Decimal, Decimal] | None
) -> list[tuple[str, tuple[str, ...]]]:
    """One team's rows: an arbitrage header ("arb|game|team") over its legs when `locked` (pairs,
    dollars locked in), else a row per market."""
    if locked is None:
        return [(f"mkt|{net.market_id}", _leg_cells(state, net, "")) for net in nets]
    pairs, amount = locked
    label = game_label(state, game_id)
    money = fmt.dollars(amount, signed=True)
    qty = fmt.contracts(pairs)
    header: tuple[str, ...] = (label, f"arb {team}", "Y+N", qty, money, fmt.DASH, fmt.DASH, "locked in")
    rows: list[tuple[str, tuple[str, ...]]] = [(f"arb|{game_id}|{team}", header)]
    for i, net in enumerate(nets):
        rows.append((f"mkt|{net.market_id}", _leg_cells(state, net, "└" if i == len(nets) - 1 else "├")))
    return rows


def position_rows(state: DeskState) -> tuple[list[tuple[str, tuple[str, ...]]], dict[str, str]]:
    """The table's rows in display order, (row key, cells), and row key → game_id.

    Per game (by label), per team: a team held both YES and NO gets an "arb|game|team" row (Pays
    on "arb TEAM", Side "Y+N", Qty the pairs, P&L what the pairs lock in before fees,
    `panels.pnl.locked_arbitrage`), then its markets as legs ("├"/"└"); otherwise one row per
    market ("mkt|market_id"), YES and NO on it netted."""
    by_game: dict[str, list[PositionView]] = defaultdict(list)
    for pos in state.positions.values():
        if pos.contracts and not pos.settled:
            by_game[pos.game_id].append(pos)
    rows: list[tuple[str, tuple[str, ...]]] = []
    games: dict[str, str] = {}
    for game_id in sorted(by_game, key=lambda g: (game_label(state, g), g)):
        positions = by_game[game_id]
        locked = {team: (pairs, amount) for team, pairs, amount in locked_arbitrage(state, positions)}
        by_team: dict[str, dict[str, list[PositionView]]] = defaultdict(lambda: defaultdict(list))
        for pos in positions:
            by_team[team_of(state, pos.market_id) or pos.market_id][pos.market_id].append(pos)
        for team in sorted(by_team):
            nets = [net_market(ps) for _m, ps in sorted(by_team[team].items())]
            for key, cells in _team_rows(state, game_id, team, nets, locked.get(team)):
                rows.append((key, cells))
                games[key] = game_id
    return rows, games


class PositionsTable(SyncTable):
    """Open positions by game (see `position_rows`). Key columns (game, pays on, venue+side, qty,
    P&L) never drop; mark, average and market show when the panel is wide enough."""

    COLUMNS = (
        ("game", "Game", 7),
        ("pays", "Pays on", 8),
        ("side", "Side", 5),
        ("qty", "Qty", 3),
        ("pnl", "P&L", 8),
        ("mark", "Mark¢", 5),
        ("avg", "Avg¢", 5),
        ("market", "Market", 20),
    )
    DROP = ("market", "avg", "mark")
    GROW = {"pays": 1, "market": 2}  # noqa: RUF012

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(id="positions", **kwargs)
        self.border_title = "Positions (arb: pairs, locked P&L)"
        self._games: dict[str, str] = {}

    def sync(self, state: DeskState, keys: Iterable[str] | None) -> None:
        """Recompute the rows from every open position (a handful: netting and grouping need the
        whole game); cells are diffed in place, and the table is rebuilt (cursor kept on its row)
        only when rows come, go or move."""
        rows, self._games = position_rows(state)
        order = [key for key, _cells in rows]
        if order != [row.key.value for row in self.ordered_rows]:
            keep = self.selected_key()
            self.reset()
            for key, cells in rows:
                self.put_row(key, cells)
            if keep is not None and self.has_key(keep):
                self.move_cursor(row=self.get_row_index(keep), animate=False)
            return
        for key, cells in rows:
            self.put_row(key, cells)

    def selected_game(self, state: DeskState) -> str | None:
        """The game of the row under the cursor, if any."""
        key = self.selected_key()
        return self._games.get(key) if key else None
