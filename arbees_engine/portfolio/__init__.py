"""Positions, settlement, P&L and bankroll: `from arbees_engine.portfolio import Portfolio`."""

from .portfolio import Portfolio, PortfolioError

__all__ = ["Portfolio", "PortfolioError"]
