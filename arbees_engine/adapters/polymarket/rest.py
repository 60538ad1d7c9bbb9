"""Polymarket REST venue (paper): discover sports moneylines via Gamma, poll CLOB books.

Endpoints (Gamma keyset lists, https://docs.polymarket.com/api-reference/endpoints/gamma/get-events-keyset
and .../get-markets-keyset; https://docs.polymarket.com/developers/CLOB/prices-books/get-book):
  GET {gamma}/events/keyset?tag_id=1&closed=false&limit=100[&after_cursor=C]
      → {"events": [...], "next_cursor": "..."}; `next_cursor` is absent on the last page
  GET {clob}/book?token_id=<YES token id>
  GET {gamma}/markets/keyset?clob_token_ids=<YES token id>&closed=true → {"markets": [...]}
      (one resolved market, for settlement)
The offset lists `/events?offset=` and `/markets` they replace answer with a deprecation header and
a 2026-05-01 sunset. The keyset cursor parameter is `after_cursor` (NautilusTrader's Gamma client and
polyoxide-gamma 0.14 use it; a client that sent `cursor=` got page 1 again, Polymarket/agents#227).
The documented page maximum of /events/keyset is 500, but the server is reported to cap pages at
100, so a page's length never decides completeness: only a missing `next_cursor` does. A cursor
that repeats (the server ignoring it) ends the round as incomplete, counted "keyset_cursor_repeated".
Books are pushed as YES-token snapshots with market_id "polymarket:<YES token id>".
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

import httpx
import structlog

from ...model import MarketListing
from ..base import Sink
from ..http import DEFAULT_POLICY, FetchError, RetryPolicy, get_json
from ..polling import close_vanished, discover_and_poll
from ..wire import ParseError
from .parse import parse_book, parse_events, parse_market

log = structlog.get_logger(__name__)

SOURCE = "polymarket"
T = TypeVar("T")
SPORTS_TAG_ID = "1"  # Gamma tag "Sports" (fixture gamma_events_sports_game_mlp_open.json)


def engine_market_id(yes_token_id: str) -> str:
    """Engine-wide id of a Polymarket market ("polymarket:<YES token id>"), as `Market.market_id`."""
    return f"{SOURCE}:{yes_token_id}"


class PolymarketRestVenue:
    """Polls Gamma for sports events and the CLOB for books of their open markets.

    gamma_url / clob_url: settings `endpoints.polymarket_gamma_url` / `polymarket_clob_url`.
    tag_id: Gamma tag to list (default "1", Sports); market_types: `sportsMarketType` values to
    emit (default moneyline only; others are skipped silently, they are not errors).
    poll_s: seconds between book rounds; discover_every_s: seconds between Gamma discoveries.
    Failures are counted via `sink.reject("polymarket", reason, detail)`; `run` never raises on them.
    """

    name = SOURCE

    def __init__(
        self,
        gamma_url: str,
        clob_url: str,
        client: httpx.AsyncClient,
        *,
        tag_id: str = SPORTS_TAG_ID,
        market_types: Collection[str] = ("moneyline",),
        poll_s: float = 2.0,
        discover_every_s: float = 60.0,
        page_size: int = 100,
        max_pages: int = 50,
        concurrency: int = 8,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        self.gamma_url = gamma_url.rstrip("/")
        self.clob_url = clob_url.rstrip("/")
        self.client = client
        self.tag_id = tag_id
        self.market_types = set(market_types)
        self.poll_s = poll_s
        self.discover_every_s = discover_every_s
        self.page_size = page_size
        self.max_pages = max_pages
        self.policy = policy
        self._limit = asyncio.Semaphore(concurrency)
        self.listings: dict[str, MarketListing] = {}
        # YES token id → the latest tick the market channel announced (PolymarketBookStream.ticks,
        # shared by the builder): newer than Gamma's orderPriceMinTickSize, which can lag it.
        self.streamed_ticks: Mapping[str, Decimal] = {}

    async def run(self, sink: Sink) -> None:
        """Discover, then poll books every `poll_s`, rediscovering every `discover_every_s`."""
        await discover_and_poll(
            lambda: self.discover(sink), lambda: self.poll_books(sink), self.poll_s, self.discover_every_s
        )

    def _reject(self, sink: Sink, reason: str, detail: str) -> None:
        detail = detail[:300]  # a rejected value can be a megabyte long
        log.warning("polymarket_rejected", reason=reason, detail=detail)
        sink.reject(SOURCE, reason, detail)

    def _guarded(self, sink: Sink, parse: Callable[[object], T], payload: object, where: str = "") -> T | None:
        """parse(payload), or None after counting a ParseError (or, defensively, any bug)."""
        prefix = f"{where}: " if where else ""
        try:
            return parse(payload)
        except ParseError as exc:
            self._reject(sink, exc.reason, prefix + exc.detail)
        except Exception as exc:  # noqa: BLE001 - a parser bug must not kill the venue
            log.exception("polymarket_parse_bug")
            self._reject(sink, f"bad_frame:{type(exc).__name__}", f"{prefix}{exc}"[:300])
        return None

    async def _fetch(self, url: str, sink: Sink, params: dict) -> object | None:
        try:
            return await get_json(self.client, url, params, policy=self.policy)
        except (FetchError, ParseError) as exc:
            self._reject(sink, exc.reason, exc.detail)
        except Exception as exc:  # noqa: BLE001 - whatever the wire does, the venue keeps polling
            log.exception("polymarket_fetch_bug")
            self._reject(sink, f"bad_frame:{type(exc).__name__}", str(exc)[:300])
        return None

    async def discover(self, sink: Sink) -> bool:
        """One Gamma discovery round over `/events/keyset` pages (following `next_cursor`); False
        if a page failed or a cursor repeated (listings that did arrive are still pushed). After a
        complete round, listings the venue no longer lists are closed (polling.close_vanished)."""
        seen: set[str] = set()
        cursor: str | None = None
        cursors: set[str] = set()
        for _ in range(self.max_pages):
            params: dict[str, object] = {"tag_id": self.tag_id, "closed": "false", "limit": self.page_size}
            if cursor:
                params["after_cursor"] = cursor
            payload = await self._fetch(f"{self.gamma_url}/events/keyset", sink, params)
            parsed = self._guarded(sink, parse_events, payload) if payload is not None else None
            if parsed is None:
                return False
            self._accept(parsed, seen, sink)
            cursor = next_cursor(payload)
            if cursor is None:
                close_vanished(self.listings, seen, sink, engine_market_id)
                return True
            if cursor in cursors:
                self._reject(sink, "keyset_cursor_repeated", cursor[:80])
                return False
            cursors.add(cursor)
        return True  # max_pages reached: not known to be complete, so nothing is closed

    def _accept(self, parsed: tuple[list[MarketListing], list], seen: set[str], sink: Sink) -> None:
        """Count a page's rejections; push its listings of the wanted market types."""
        listings, rejections = parsed
        for rejection in rejections:
            self._reject(sink, rejection.reason, rejection.detail)
        for listing in listings:
            if listing.extra.get("sports_market_type") in self.market_types:
                tick = self.streamed_ticks.get(listing.venue_market_id)
                if tick is not None and tick != listing.tick:
                    listing = replace(listing, tick=tick)
                self.listings[listing.venue_market_id] = listing
                seen.add(listing.venue_market_id)
                sink.on_listing(listing)

    async def lookup(self, token: str, sink: Sink) -> bool:
        """Look up the resolved market of YES token `token` on Gamma (GET /markets/keyset filtered by
        `clob_token_ids`, see the module docstring) and push its listing (status, result) to
        `sink.on_listing`. Returns False when it is not resolved yet (no closed market) or the
        fetch or parse fails (counted)."""
        async with self._limit:
            payload = await self._fetch(
                f"{self.gamma_url}/markets/keyset", sink, {"clob_token_ids": token, "closed": "true", "limit": 1}
            )
        markets = payload.get("data", payload.get("markets")) if isinstance(payload, dict) else payload
        if not isinstance(markets, list) or not markets:
            return False
        listing = self._guarded(sink, parse_market, markets[0], token)
        if listing is None or listing.venue_market_id != token:
            return False
        sink.on_listing(listing)
        return True

    async def poll_books(self, sink: Sink) -> None:
        """Fetch the YES-token book of every open listing once and push the snapshots."""
        tokens = [t for t, listing in self.listings.items() if listing.status == "open"]
        await asyncio.gather(*(self._poll_book(token, sink) for token in tokens))

    async def _poll_book(self, token: str, sink: Sink) -> None:
        market_id = engine_market_id(token)
        async with self._limit:
            payload = await self._fetch(f"{self.clob_url}/book", sink, {"token_id": token})
        if payload is None:
            sink.on_book_stale(market_id, "fetch failed")
            return
        update = self._guarded(sink, lambda p: parse_book(p, market_id, datetime.now(UTC)), payload, token)
        if update is None:
            sink.on_book_stale(market_id, "bad book")
            return
        sink.on_book(update)


def next_cursor(payload: object) -> str | None:
    """A keyset page's `next_cursor` (a non-empty string of at most 4096 characters), else None:
    the last page, or a payload that is not a keyset page (a plain list)."""
    cursor = payload.get("next_cursor") if isinstance(payload, dict) else None
    return cursor if isinstance(cursor, str) and 0 < len(cursor) <= 4096 else None


def rest_book_fetcher(base_url: str = "https://clob.polymarket.com", timeout_s: float = 5.0):
    """Return `async fetch(asset_id) -> dict` calling CLOB `GET /book?token_id=` (JSON object)."""

    async def fetch(asset_id: str) -> dict:
        async with httpx.AsyncClient(base_url=base_url, timeout=timeout_s) as client:
            # streamed under the body cap and bounded like every frame; one try: the stream retries
            book = await get_json(client, "/book", {"token_id": asset_id}, policy=RetryPolicy(attempts=1))
            if not isinstance(book, dict):
                raise ParseError("not_object", "polymarket book is not an object")
            return book

    return fetch
