"""P&L by game and by sport, and the P&L an arbitrage has locked in. Pure functions of DeskState.

realized: PositionView.realized_pnl (before fees, the engine's convention: equity = starting +
realized − fees); fees: PositionView.fees; unrealized: open positions at their marks; net =
realized − fees + unrealized. All dollars (Decimal).

An arbitrage holds YES on a team's market at one venue and NO on the same team's market at the
other: each YES+NO pair pays exactly $1 whoever wins, so `pairs × (1 − avg YES − avg NO)` is
locked in before fees whatever the score does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from arbees_engine.bus.messages import PositionView

from .. import format as fmt
from ..state import DeskState

ZERO = Decimal(0)


@dataclass
class PnlLine:
    """One game's or sport's P&L in dollars."""

    realized: Decimal = ZERO
    fees: Decimal = ZERO
    unrealized: Decimal = ZERO
    open_positions: int = 0
    locked: Decimal = ZERO  # arbitrage P&L locked in (before fees)
    arbs: list[str] = field(default_factory=list)  # "LAL 30 pairs"

    @property
    def net(self) -> Decimal:
        """realized − fees + unrealized."""
        return self.realized - self.fees + self.unrealized

    def add(self, pos: PositionView) -> None:
        """Fold one position in."""
        self.realized += pos.realized_pnl
        self.fees += pos.fees
        if pos.contracts and not pos.settled:
            self.unrealized += pos.unrealized_pnl
            self.open_positions += 1


def sport_of(state: DeskState, game_id: str) -> str:
    """The game's sport as the engine named it, "?" for a game the desk no longer lists."""
    game = state.games.get(game_id)
    return game.sport if game is not None else "?"


def locked_arbitrage(state: DeskState, positions: list[PositionView]) -> list[tuple[str, Decimal, Decimal]]:
    """(team, pairs, locked dollars) for each team one game's open positions hold both YES and NO on
    (on different markets: an arbitrage across venues)."""
    held: dict[str, dict[str, list[PositionView]]] = defaultdict(lambda: {"yes": [], "no": []})
    for pos in positions:
        quote = state.quotes.get(pos.market_id)
        team = quote.yes_team or quote.outcome if quote is not None else None
        if team and pos.contracts and not pos.settled and pos.side.lower() in ("yes", "no"):
            held[team][pos.side.lower()].append(pos)
    out = []
    for team, sides in sorted(held.items()):
        yes_qty = sum((p.contracts for p in sides["yes"]), ZERO)
        no_qty = sum((p.contracts for p in sides["no"]), ZERO)
        pairs = min(yes_qty, no_qty)
        if pairs:
            avg_yes = sum((p.avg_price * p.contracts for p in sides["yes"]), ZERO) / yes_qty
            avg_no = sum((p.avg_price * p.contracts for p in sides["no"]), ZERO) / no_qty
            out.append((team, pairs, (Decimal(1) - avg_yes - avg_no) * pairs))
    return out


def pnl_by_game(state: DeskState) -> dict[str, PnlLine]:
    """game_id → its P&L (every position the desk knows, settled ones included)."""
    by_game: dict[str, list[PositionView]] = defaultdict(list)
    for pos in state.positions.values():
        by_game[pos.game_id].append(pos)
    lines = {}
    for game_id, positions in by_game.items():
        line = PnlLine()
        for pos in positions:
            line.add(pos)
        for team, pairs, locked in locked_arbitrage(state, positions):
            line.locked += locked
            line.arbs.append(f"{team} {fmt.contracts(pairs)} pairs")
        lines[game_id] = line
    return lines


def pnl_by_sport(state: DeskState, games: dict[str, PnlLine]) -> dict[str, PnlLine]:
    """sport → the sum of its games' lines."""
    sports: dict[str, PnlLine] = defaultdict(PnlLine)
    for game_id, line in games.items():
        total = sports[sport_of(state, game_id)]
        total.realized += line.realized
        total.fees += line.fees
        total.unrealized += line.unrealized
        total.open_positions += line.open_positions
        total.locked += line.locked
    return dict(sports)
