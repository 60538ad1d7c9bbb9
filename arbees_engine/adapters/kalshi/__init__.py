"""Kalshi venue: pure REST/WS payload parsers (`parse`) and the REST poller (`rest`)."""

from .parse import (
    KalshiTrade,
    book_from_sides,
    event_date,
    market_ticks,
    normalise_status,
    parse_event,
    parse_levels,
    parse_market,
    parse_markets,
    parse_orderbook,
    parse_trades,
)
from .rest import KalshiRestVenue, engine_market_id

__all__ = [
    "KalshiRestVenue",
    "KalshiTrade",
    "book_from_sides",
    "engine_market_id",
    "event_date",
    "market_ticks",
    "normalise_status",
    "parse_event",
    "parse_levels",
    "parse_market",
    "parse_markets",
    "parse_orderbook",
    "parse_trades",
]
