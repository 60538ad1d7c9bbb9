"""Positions, P&L and bankroll (portfolio.py), settlement of finished games and venue results
(settlement.py) and what a market settles on (settlement_rules.py): `from arbees_engine.portfolio import Portfolio`."""

from .portfolio import Portfolio, PortfolioError

__all__ = ["Portfolio", "PortfolioError"]
