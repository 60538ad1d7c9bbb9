"""Market data in: the adapters' Sink (engine.py, `MarketData`: books, game states, listings,
staleness, quote sampling) and the listing intake that matches venue listings to games
(listings.py). The cache they fill is `arbees_engine.cache` (with the pre-game priors, `arbees_engine.priors`)."""
