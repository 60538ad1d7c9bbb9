"""The one discover-then-poll loop shared by the REST venue adapters."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import replace

from ..model import ListingStatus, MarketListing
from .base import Sink


def close_vanished(
    listings: MutableMapping[str, MarketListing], seen: set[str], sink: Sink, market_id: Callable[[str], str]
) -> int:
    """After a COMPLETE discovery round: an open listing the venue no longer lists has closed;
    mark it closed (so it is no longer polled) and its book stale. Returns how many closed.
    Never call it after a partial round, which proves nothing about what is missing."""
    closed = 0
    for key, listing in list(listings.items()):
        if key not in seen and listing.status == "open":
            listings[key] = replace(listing, status=ListingStatus.CLOSED)
            sink.on_book_stale(market_id(key), "no longer listed")
            closed += 1
    return closed


async def discover_and_poll(
    discover: Callable[[], Awaitable[bool]],
    poll_books: Callable[[], Awaitable[None]],
    poll_s: float,
    discover_every_s: float,
) -> None:
    """Forever: discover markets every `discover_every_s` seconds (at the next round again if a
    discovery was incomplete), and poll books every `poll_s` seconds. Runs until cancelled."""
    loop = asyncio.get_running_loop()
    next_discovery = loop.time()
    while True:
        if loop.time() >= next_discovery:
            complete = await discover()
            next_discovery = loop.time() + (discover_every_s if complete else 0.0)
        await poll_books()
        await asyncio.sleep(poll_s)
