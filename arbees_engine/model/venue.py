"""Venues, contract sides and game outcomes: the vocabulary every other model type is built on."""

from __future__ import annotations

from enum import StrEnum

from .game import Sport


class Venue(StrEnum):
    """Trading venue. The simulated venue reuses these ids with `Market.simulated`."""

    KALSHI = "kalshi"
    POLYMARKET = "polymarket"


class Side(StrEnum):
    """Which contract: YES pays $1 if the market's outcome happens, NO pays $1 if not."""

    YES = "yes"
    NO = "no"

    @property
    def opposite(self) -> Side:
        """The other contract."""
        return Side.NO if self is Side.YES else Side.YES


class Outcome(StrEnum):
    """Which game result makes YES pay: the home team wins, the away team wins, or a draw."""

    HOME = "home"
    AWAY = "away"
    DRAW = "draw"


def paying_results(outcome: Outcome, side: Side, sport: Sport | None) -> frozenset[Outcome]:
    """Game results for which a contract pays: YES pays on `outcome`, NO on every other result
    (home, away, and a draw in soccer, the only sport here whose games can end level)."""
    results = {Outcome.HOME, Outcome.AWAY} | ({Outcome.DRAW} if sport is Sport.SOCCER else set())
    return frozenset({outcome}) if side is Side.YES else frozenset(results - {outcome})
