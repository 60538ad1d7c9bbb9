"""Polymarket venue: pure Gamma/CLOB payload parsers (`parse`) and the REST poller (`rest`)."""

from .parse import (
    book_timestamp,
    fee_schedule,
    parse_book,
    parse_events,
    parse_market,
    parse_midpoint,
    parse_prices_history,
)
from .rest import PolymarketRestVenue, engine_market_id

__all__ = [
    "PolymarketRestVenue",
    "book_timestamp",
    "engine_market_id",
    "fee_schedule",
    "parse_book",
    "parse_events",
    "parse_market",
    "parse_midpoint",
    "parse_prices_history",
]
