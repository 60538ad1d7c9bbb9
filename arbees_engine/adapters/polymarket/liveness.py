"""The market channel's liveness hooks (`adapters/watchdog.py`) and market metadata (ticks, hash hints).

Mixed into `PolymarketBookStream` (ws.py, which keeps the state these read) so that module stays
about frames and books. The watchdog calls `_send_ping`, `_resubscribe`, `_drop_connection`,
`_local_top` and `_fetch_top`; `feed_status` is what the engine status shows.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, MutableMapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

import structlog

from ...model import ONE, ZERO, MarketListing
from ..watchdog import FeedStatus, FeedWatchdog, Top
from ..wire import ParseError, decimal_or_none
from .book_hash import HashVerifier
from .frames import book_side

log = structlog.get_logger("arbees_engine.adapters.polymarket.ws")


class StreamLiveness:
    """Liveness callbacks and `feed_status` of a Polymarket book stream (see the module docstring)."""

    name: str
    stats: Counter[str]
    books: dict[str, dict[str, dict[Decimal, Decimal]]]
    watchdog: FeedWatchdog
    fetch_book: Any
    _ws: Any

    _mark_stale: Callable[[str, str], None]  # ws.py

    async def _send_ping(self) -> None:
        if self._ws is not None:
            await self._ws.send("PING")

    async def liveness_step(self) -> str:
        """One watchdog pass now (send a due PING, check PONG and silence); see FeedWatchdog.step."""
        return await self.watchdog.step(self._send_ping)

    async def _drop_connection(self) -> None:
        """Abort the socket (a frozen one would not finish a close handshake); `run` redials."""
        if self._ws is not None:
            self._ws.transport.abort()

    async def _resubscribe(self, assets: list[str]) -> None:
        """Watchdog step: the silent assets go stale and are subscribed again (fresh `book`)."""
        for asset in assets:
            self._mark_stale(asset, "silent")
        if self._ws is not None:
            await self._ws.send(json.dumps({"assets_ids": sorted(assets), "operation": "subscribe"}))

    def _local_top(self, asset: str) -> Top | None:
        book = self.books.get(asset)
        if book is None:
            return None
        return max(book["bids"], default=None), min(book["asks"], default=None)

    async def _fetch_top(self, asset: str) -> Top:
        book = await self.fetch_book(asset)
        bids, asks = book_side(book.get("bids"), "bids"), book_side(book.get("asks"), "asks")
        return max(bids, default=None), min(asks, default=None)

    def feed_status(self) -> FeedStatus:
        """The feed's state, per-market message ages (seconds) and counters (`watchdog.FeedStatus`)."""
        keys = ("resyncs", "hash_ok", "hash_mismatch", "hash_mid_trade", "hash_unverifiable", "book_mismatch")
        return self.watchdog.status({k: self.stats[k] for k in keys})


class StreamMetadata:
    """Ticks (`tick_size_change`, a book's `tick_size`) and the hash context hints of listed markets."""

    stats: Counter[str]
    ticks: dict[str, Decimal]
    listings: MutableMapping[str, MarketListing]
    hashes: HashVerifier

    _reject: Callable[[Any, str, str], None]  # ws.py

    def _hash_hints(self, asset: str) -> None:
        """The listing's minimum order size and neg-risk flag, which the venue hashes."""
        listing = self.listings.get(asset)
        if listing is not None:
            neg = listing.extra.get("neg_risk")
            self.hashes.hints[asset] = (str(listing.min_order_contracts), None if neg is None else neg == "true")

    def _set_tick(self, asset: object, raw: object, sink, field: str) -> bool:
        """Take `raw` as the minimum tick (dollars) of `asset`: keep it in `ticks` and, for a listed
        market whose listing has another tick, emit the listing again with it (`sink.on_listing`).
        Returns False after counting "bad_tick_size" for a missing asset or a tick that is not a
        finite number with 0 < tick < 1 dividing $1 exactly; never raises."""
        try:
            tick = decimal_or_none(raw, field)
        except ParseError as exc:
            self._reject(sink, "bad_tick_size", f"{str(asset)[:80]}: {exc.detail}"[:200])
            return False
        if (
            not isinstance(asset, str)
            or not asset
            or len(asset) > 256
            or tick is None
            or not (ZERO < tick < ONE)
            or ONE % tick != 0
        ):
            self._reject(sink, "bad_tick_size", f"{str(asset)[:80]}: {field}={str(raw)[:40]!r}"[:200])
            return False
        self.ticks[asset] = tick
        self.hashes.on_tick(asset, str(raw))
        listing = self.listings.get(asset)
        if listing is None:
            self.stats["tick_unlisted"] += 1
        elif listing.tick != tick:
            listing = replace(listing, tick=tick)
            self.listings[asset] = listing
            self.stats["tick_updates"] += 1
            log.info("polymarket_tick_changed", asset=asset, tick=str(tick))
            if sink is not None:
                sink.on_listing(listing)
        return True
