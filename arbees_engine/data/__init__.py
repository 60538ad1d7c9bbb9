"""Market data kept: the cache of games, markets, books and listings (cache.py) and the pre-game
priors (priors.py). The Sink (runtime/market_data.py) and the listing intake join them when runtime/
is split further."""
