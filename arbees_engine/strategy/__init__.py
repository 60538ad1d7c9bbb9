"""Strategy: the trader (trader.py: on a market or game change, price, find edges and arbitrage, run
the risk gate, record the signal), model-vs-market edges, cross-venue arbitrage and Kelly sizing."""

from .arbitrage import find_arb
from .edge import find_edge
from .sizing import SizingError, kelly_contracts, kelly_fraction_binary

__all__ = ["SizingError", "find_arb", "find_edge", "kelly_contracts", "kelly_fraction_binary"]
