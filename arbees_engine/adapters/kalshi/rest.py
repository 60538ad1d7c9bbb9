"""Kalshi REST venue (paper, unauthenticated public endpoints): discover markets, poll books.

Endpoints (https://docs.kalshi.com/api-reference/market/get-markets,
https://docs.kalshi.com/api-reference/events/get-event,
https://docs.kalshi.com/api-reference/market/get-market-orderbook):
  GET {base}/markets?series_ticker=S&status=open&limit=200[&cursor=C]   (cursor pagination)
  GET {base}/events/{event_ticker}
  GET {base}/markets/{ticker}/orderbook
  GET {base}/markets/{ticker}            (one market: its status and result, for settlement)
  GET {base}/series/{series_ticker}      (`fee_type`, `fee_multiplier`: the listings' fee schedule,
                                          https://docs.kalshi.com/api-reference/market/get-series)
Books are pushed as YES-side snapshots with market_id "kalshi:<ticker>".
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

import httpx
import structlog

from ...model import FeeSchedule, MarketListing
from ..base import Sink
from ..http import DEFAULT_POLICY, FetchError, RetryPolicy, get_json
from ..polling import close_vanished, discover_and_poll
from ..wire import ParseError, Rejection
from .parse import parse_event, parse_market_checked, parse_markets, parse_orderbook, parse_series_fees

log = structlog.get_logger(__name__)

SOURCE = "kalshi"
T = TypeVar("T")
_TICKER = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


def engine_market_id(ticker: str) -> str:
    """Engine-wide id of a Kalshi market ("kalshi:<ticker>"), as `Market.market_id`."""
    return f"{SOURCE}:{ticker}"


def _check_ticker(ticker: str) -> str:
    if not _TICKER.match(ticker):
        raise ValueError(f"not a Kalshi ticker: {ticker!r}")
    return ticker


class KalshiRestVenue:
    """Polls Kalshi's public REST API into the sink.

    series_tickers: e.g. ["KXNBAGAME"], discovered via GET /markets (all pages);
    event_tickers: e.g. ["KXNBAGAME-26JUN13NYKSAS"], via GET /events/{t}.
    poll_s: seconds between order-book rounds; discover_every_s: seconds between discoveries.
    Every listing goes to `sink.on_listing`; the books of "open" ones to `sink.on_book`. A listing's
    `fees` is its series' schedule from GET /series/{ticker} (read once per discovery round); when
    that fails the general schedule (KALSHI_FEES) stays and the failure is counted.
    Failures are counted via `sink.reject("kalshi", reason, detail)`; `run` never raises on them.
    """

    name = SOURCE

    def __init__(
        self,
        base_url: str,
        client: httpx.AsyncClient,
        series_tickers: Sequence[str] = (),
        event_tickers: Sequence[str] = (),
        poll_s: float = 2.0,
        *,
        discover_every_s: float = 60.0,
        market_status: str | None = "open",
        max_pages: int = 50,
        concurrency: int = 8,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.series_tickers = [_check_ticker(t) for t in series_tickers]
        self.event_tickers = [_check_ticker(t) for t in event_tickers]
        self.poll_s = poll_s
        self.discover_every_s = discover_every_s
        self.market_status = market_status
        self.max_pages = max_pages
        self.policy = policy
        self._limit = asyncio.Semaphore(concurrency)
        self.listings: dict[str, MarketListing] = {}
        self._seen: set[str] = set()  # tickers listed in the current discovery round
        self.series_fees: dict[str, FeeSchedule] = {}  # series ticker → schedule read this round
        self._fees_tried: set[str] = set()

    async def run(self, sink: Sink) -> None:
        """Discover, then poll books every `poll_s`, rediscovering every `discover_every_s`."""
        await discover_and_poll(
            lambda: self.discover(sink), lambda: self.poll_books(sink), self.poll_s, self.discover_every_s
        )

    async def _fetch(self, path: str, sink: Sink, params: dict | None = None) -> object | None:
        try:
            return await get_json(self.client, f"{self.base_url}{path}", params, policy=self.policy)
        except (FetchError, ParseError) as exc:
            self._reject(sink, exc.reason, f"{path}: {exc.detail}")
        except Exception as exc:  # noqa: BLE001 - whatever the wire does, the venue keeps polling
            log.exception("kalshi_fetch_bug")
            self._reject(sink, f"bad_frame:{type(exc).__name__}", str(exc)[:300])
        return None

    def _reject(self, sink: Sink, reason: str, detail: str) -> None:
        detail = detail[:300]  # a rejected value can be a megabyte long
        log.warning("kalshi_rejected", reason=reason, detail=detail)
        sink.reject(SOURCE, reason, detail)

    def _reject_all(self, sink: Sink, rejections: list[Rejection]) -> None:
        """Count and log each rejection (`_reject`), also those that kept their listing."""
        for rejection in rejections:
            self._reject(sink, rejection.reason, rejection.detail)

    async def _fees_of(self, series: str, sink: Sink) -> FeeSchedule | None:
        """The series' fee schedule (fetched at most once per discovery round), or None (counted)."""
        if series not in self._fees_tried and _TICKER.match(series):
            self._fees_tried.add(series)
            payload = await self._fetch(f"/series/{series}", sink)
            fees = self._guarded(sink, parse_series_fees, payload, series) if payload is not None else None
            if fees is None:
                self.series_fees.pop(series, None)
            else:
                self.series_fees[series] = fees
        return self.series_fees.get(series)

    async def _with_series_fees(self, listings: list[MarketListing], sink: Sink) -> list[MarketListing]:
        out = []
        for listing in listings:
            fees = await self._fees_of(listing.league_hint, sink)
            out.append(listing if fees is None else dataclasses.replace(listing, fees=fees))
        return out

    async def _accept(self, listings: list[MarketListing], rejections: list[Rejection], sink: Sink) -> None:
        self._reject_all(sink, rejections)
        for listing in await self._with_series_fees(listings, sink):
            self.listings[listing.venue_market_id] = listing
            self._seen.add(listing.venue_market_id)
            sink.on_listing(listing)

    async def discover(self, sink: Sink) -> bool:
        """One discovery round over all series (paginated) and events; False if any request or
        page failed (what did arrive is still pushed)."""
        complete, self._seen, self._fees_tried = True, set(), set()
        for series in self.series_tickers:
            complete &= await self._discover_series(series, sink)
        for event in self.event_tickers:
            payload = await self._fetch(f"/events/{event}", sink)
            parsed = self._guarded(sink, parse_event, payload) if payload is not None else None
            if parsed is None:
                complete = False
                continue
            await self._accept(*parsed, sink)
        if complete:
            close_vanished(self.listings, self._seen, sink, engine_market_id)
        return complete

    async def _discover_series(self, series: str, sink: Sink) -> bool:
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(self.max_pages):
            params = {"series_ticker": series, "limit": 200}
            if self.market_status:
                params["status"] = self.market_status
            if cursor:
                params["cursor"] = cursor
            payload = await self._fetch("/markets", sink, params)
            page = self._guarded(sink, parse_markets, payload) if payload is not None else None
            if page is None:
                return False
            listings, cursor, rejections = page
            await self._accept(listings, rejections, sink)
            if not cursor or cursor in seen:
                return True
            seen.add(cursor)
        return True

    def _guarded(self, sink: Sink, parse: Callable[[object], T], payload: object, where: str = "") -> T | None:
        """parse(payload), or None after counting a ParseError (or, defensively, any bug)."""
        prefix = f"{where}: " if where else ""
        try:
            return parse(payload)
        except ParseError as exc:
            self._reject(sink, exc.reason, prefix + exc.detail)
        except Exception as exc:  # noqa: BLE001 - a parser bug must not kill the venue
            log.exception("kalshi_parse_bug")
            self._reject(sink, f"bad_frame:{type(exc).__name__}", f"{prefix}{exc}"[:300])
        return None

    async def lookup(self, ticker: str, sink: Sink) -> bool:
        """GET /markets/{ticker} (https://docs.kalshi.com/api-reference/market/get-market) and push
        the listing (status, result) to `sink.on_listing`. Returns False, counted, when the ticker
        is malformed or the fetch or parse fails. A rejection that keeps the listing (malformed
        `price_ranges`: orders refused, settlement still possible) is counted and the listing pushed."""
        if not _TICKER.match(ticker):
            self._reject(sink, "bad_ticker", repr(ticker))
            return False
        async with self._limit:
            payload = await self._fetch(f"/markets/{ticker}", sink)
        parsed = (
            self._guarded(
                sink, lambda p: parse_market_checked(p.get("market") if isinstance(p, dict) else p), payload, ticker
            )
            if payload is not None
            else None
        )
        if parsed is None:
            return False
        listing, rejections = parsed
        self._reject_all(sink, rejections)
        sink.on_listing(listing)
        return True

    async def poll_books(self, sink: Sink) -> None:
        """Fetch the order book of every open listing once and push the snapshots."""
        tickers = [t for t, listing in self.listings.items() if listing.status == "open"]
        for bad in [t for t in tickers if not _TICKER.match(t)]:
            self._reject(sink, "bad_ticker", repr(bad))
            tickers.remove(bad)
        await asyncio.gather(*(self._poll_book(t, sink) for t in tickers))

    async def top_of_book(self, ticker: str) -> tuple[Decimal | None, Decimal | None]:
        """(best YES bid, best YES ask) dollars from GET /markets/{ticker}/orderbook, for the feed
        watchdog's check of a silent market. Raises FetchError/ParseError (the watchdog counts it)."""
        async with self._limit:
            payload = await get_json(self.client, f"{self.base_url}/markets/{_check_ticker(ticker)}/orderbook")
        book = parse_orderbook(payload, engine_market_id(ticker))
        return (
            book.bids[0].price if book.bids else None,
            book.asks[0].price if book.asks else None,
        )

    async def _poll_book(self, ticker: str, sink: Sink) -> None:
        async with self._limit:
            payload = await self._fetch(f"/markets/{ticker}/orderbook", sink)
        if payload is None:
            sink.on_book_stale(engine_market_id(ticker), "fetch failed")
            return
        market_id = engine_market_id(ticker)
        update = self._guarded(sink, lambda p: parse_orderbook(p, market_id, datetime.now(UTC)), payload, ticker)
        if update is None:
            sink.on_book_stale(market_id, "bad book")
            return
        sink.on_book(update)
