"""Moved to `arbees_engine.model.depth` (walking book levels is domain logic); re-exported for one release."""

from arbees_engine.model.depth import Take, fees, notional, prefix, total_contracts, walk, whole_contracts  # noqa: F401
