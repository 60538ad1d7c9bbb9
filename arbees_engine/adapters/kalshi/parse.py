"""Kalshi REST JSON → domain types (pure functions; the websocket adapter may reuse them).

Shapes (https://docs.kalshi.com/api-reference/market/get-markets,
https://docs.kalshi.com/api-reference/market/get-market-orderbook,
https://docs.kalshi.com/getting_started/orderbook_responses):
  GET /markets → {"markets": [...], "cursor": "..."}; GET /events/{t} → {"event": {...}, "markets": [...]}
  GET /markets/{t}/orderbook → {"orderbook_fp": {"yes_dollars": [["0.0800", "444.32"], ...],
  "no_dollars": [...]}}: BIDS only, each side ascending with the best LAST. A NO bid at q is a
  YES ask at 1 − q. Legacy: {"orderbook": {"yes": [[8, 444], ...], "no": [...]}} in integer cents.
Numbers may arrive as JSON numbers or strings (ccxt's recorder stringifies them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ...model import ONE, BookLevel, BookUpdate, BookUpdateKind, MarketListing, Venue
from ...model.contracts import FRACTIONAL_STEP, WHOLE_STEP
from ...model.fees import FeeError, FeeSchedule, kalshi_series_fees
from ...model.ticks import TICK_SCHEDULE_KEY, TICK_SCHEDULE_REFUSED, TickError, TickSchedule
from ..wire import (
    ParseError,
    Rejection,
    decimal_or_none,
    need,
    need_dict,
    need_list,
    need_str,
    price,
    short,
    size,
    text,
    timestamp,
)
from .evidence import attach

OPEN_STATUSES = {"active", "open"}
# Only a finalized market has a result that can no longer change: "determined" can still be
# "disputed" and "amended" (https://docs.kalshi.com/getting_started/market_lifecycle).
SETTLED_STATUSES = {"settled", "finalized"}
CLOSED_STATUSES = {"closed", "inactive", "paused", "initialized", "unopened", "determined", "disputed", "amended"}
RESULTS = ("yes", "no", "void")  # `result`; void = positions returned at cost (Kalshi Settlement.market_result)
# `price_level_structure` → grid, used when a market gives no `price_ranges`
# (https://docs.kalshi.com/getting_started/fixed_point_migration, "Price Level Structures").
TICK_BY_STRUCTURE = {
    "linear_cent": TickSchedule.uniform(Decimal("0.01")),
    "deci_cent": TickSchedule.uniform(Decimal("0.001")),
    "tapered_deci_cent": TickSchedule.of((("0", "0.10", "0.001"), ("0.10", "0.90", "0.01"), ("0.90", "1", "0.001"))),
}
DEFAULT_TICKS = TICK_BY_STRUCTURE["linear_cent"]
_TICKER_DATE = re.compile(r"-(\d{2})([A-Z]{3})(\d{2})")
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def normalise_status(raw: str) -> str:
    """Kalshi market status → "open" | "closed" | "settled". Raises ParseError("bad_status")."""
    status = raw.lower()
    if status in OPEN_STATUSES:
        return "open"
    if status in SETTLED_STATUSES:
        return "settled"
    if status in CLOSED_STATUSES:
        return "closed"
    raise ParseError("bad_status", f"status={short(raw)}")


def market_ticks(market: dict) -> TickSchedule:
    """The market's price grid in dollars: its `price_ranges` [{start, end, step}] (dollar strings,
    the exact valid intervals and steps), else the documented grid of its `price_level_structure`
    (linear_cent, deci_cent, tapered_deci_cent: $0.001 below $0.10 and above $0.90, $0.01 between),
    else $0.01 throughout (https://docs.kalshi.com/getting_started/fixed_point_migration).
    Raises ParseError("bad_tick") for `price_ranges` that are not a list of valid ranges."""
    ranges = market.get("price_ranges")
    if ranges not in (None, []):
        try:
            rows = [need_dict(r, "price_ranges[]") for r in need_list(ranges, "price_ranges", 100)]
            triples = [
                tuple(price(need(r, key, "price_ranges[]"), f"price_ranges.{key}") for key in ("start", "end", "step"))
                for r in rows
            ]  # bounded like every price: a step of 1e-1000000 would overflow
            return TickSchedule.of(triples)
        except (TickError, ParseError) as exc:
            raise ParseError("bad_tick", f"price_ranges={str(ranges)[:200]}: {exc}") from exc
    return _structure_ticks(market)


def _structure_ticks(market: dict) -> TickSchedule:
    """The documented grid of the market's `price_level_structure`, else $0.01 throughout."""
    structure = market.get("price_level_structure")
    return TICK_BY_STRUCTURE.get(structure, DEFAULT_TICKS) if isinstance(structure, str) else DEFAULT_TICKS


def listing_ticks(market: dict) -> tuple[TickSchedule, str, ParseError | None]:
    """(grid, TICK_SCHEDULE_KEY text, None) for a usable grid (`market_ticks`). For malformed
    `price_ranges`: (the `price_level_structure` grid or $0.01, TICK_SCHEDULE_REFUSED text,
    the ParseError("bad_tick")), so the listing (status, result) is kept for settlement while
    `price_grid` refuses orders on it. Never raises."""
    try:
        ticks = market_ticks(market)
    except ParseError as exc:
        return _structure_ticks(market), f"{TICK_SCHEDULE_REFUSED}{exc.detail}", exc
    return ticks, ticks.text, None


def _quote(market: dict, name: str) -> Decimal | None:
    """Top-of-book `yes_bid`/`yes_ask` in dollars from `<name>_dollars` or legacy cents."""
    if market.get(f"{name}_dollars") not in (None, ""):
        return price(market[f"{name}_dollars"], f"{name}_dollars")
    if market.get(name) not in (None, ""):
        return cents_price(market[name], name)
    return None


def cents_price(value: object, field: str) -> Decimal:
    """A legacy integer-cent price (56) → dollars (0.56). Raises ParseError("bad_price")."""
    cents = decimal_or_none(value, field)
    if cents is None:
        raise ParseError("bad_price", f"{field}={short(value)}")
    return price(cents / 100, field)


def _result(market: dict, status: str) -> str | None:
    """The venue's result once final: "yes", "no" or "void"; None before (or for a scalar result)."""
    if status != "settled":
        return None  # a determined result can still be disputed and amended
    result = str(market.get("result") or "").lower()
    if result in RESULTS:
        return result
    if status == "settled":
        value = decimal_or_none(market.get("settlement_value_dollars"), "settlement_value_dollars")
        if value is not None and value in (0, 1):
            return "yes" if value == 1 else "no"
    return None


def event_date(ticker: str) -> str:
    """ISO date encoded in a Kalshi ticker ("KXNBAGAME-26JUN13NYKSAS" → "2026-06-13"), or ""."""
    match = _TICKER_DATE.search(ticker)
    if not match or match.group(2) not in _MONTHS:
        return ""
    year, month, day = match.groups()
    return f"20{year}-{_MONTHS.index(month) + 1:02d}-{day}"


def contract_step(market: dict, ticker: str) -> tuple[Decimal, Rejection | None]:
    """The market's contract step: 0.01 when `fractional_trading_enabled` is true (Kalshi trades
    fractional contracts per market, minimum granularity 0.01: docs.kalshi.com/getting_started/
    fixed_point_contracts; the flag is in recorded GET /markets payloads, ../shared/fixtures/kalshi,
    though not yet in the `kalshi-typescript` 3.30.0 Market model), else 1 (whole contracts).

    Absent or false → 1. Any other value → 1 plus a Rejection("bad_contract_step") to count: whole
    contracts are always a valid order size there, so the listing is kept."""
    flag = market.get("fractional_trading_enabled")
    if flag is None or flag is False:
        return WHOLE_STEP, None
    if flag is True:
        return FRACTIONAL_STEP, None
    return WHOLE_STEP, Rejection(
        "bad_contract_step", f"market {ticker}: fractional_trading_enabled={short(flag)}; trading whole contracts"
    )


def parse_market(market: object, event: dict | None = None) -> MarketListing:
    """One Kalshi market object → MarketListing. Raises ParseError.

    `starts_at` is `occurrence_datetime`, else `expected_expiration_time` (Kalshi gives no game
    start; for game markets these sit at the expected END of play), else `open_time`; the
    ticker's date is in `extra["event_date"]`. `event` (from GET /events) adds series/competition.
    Malformed `price_ranges` do not raise: the listing is kept with its grid refused
    (`listing_ticks`); `parse_market_checked` also returns that as a Rejection to count.
    """
    return parse_market_checked(market, event)[0]


def parse_market_checked(market: object, event: dict | None = None) -> tuple[MarketListing, list[Rejection]]:
    """`parse_market`, plus the rejections that did not drop the listing: a malformed
    `price_ranges` → Rejection("bad_tick", "market <ticker>: …; orders refused"). The caller
    counts them (as `parse_markets` / `KalshiRestVenue` do). Raises ParseError as `parse_market`."""
    market = need_dict(market, "market")
    ticker = need_str(market, "ticker", "market")
    event_ticker = need_str(market, "event_ticker", ticker)
    status = normalise_status(need_str(market, "status", ticker))
    yes_label = text(market.get("yes_sub_title"), "yes_sub_title")
    no_label = text(market.get("no_sub_title"), "no_sub_title")
    rules = "\n\n".join(text(market.get(k), k).strip() for k in ("rules_primary", "rules_secondary"))
    event = event or {}
    ticks, schedule_text, bad_grid = listing_ticks(market)
    step, bad_step = contract_step(market, ticker)
    rejections = (
        []
        if bad_grid is None
        else [
            Rejection(
                bad_grid.reason, f"market {ticker}: {bad_grid.detail}; listed on the {ticks.text} grid, orders refused"
            )
        ]
    ) + ([bad_step] if bad_step is not None else [])
    extra = {
        "event_date": event_date(event_ticker),
        "price_level_structure": text(market.get("price_level_structure"), "price_level_structure"),
        TICK_SCHEDULE_KEY: schedule_text,
        "market_type": text(market.get("market_type"), "market_type"),
        "raw_status": str(market["status"]),
    }
    for key in ("series_ticker", "sub_title", "category"):
        if event.get(key):
            extra[f"event_{key}"] = text(event[key], f"event.{key}")
    if isinstance(event.get("product_metadata"), dict) and event["product_metadata"].get("competition"):
        extra["competition"] = text(event["product_metadata"]["competition"], "competition")
    starts = market.get("occurrence_datetime") or market.get("expected_expiration_time") or market.get("open_time")
    listing = MarketListing(
        venue=Venue.KALSHI,
        venue_market_id=ticker,
        event_id=event_ticker,
        title=text(market.get("title") or event.get("title"), "title"),
        yes_label=yes_label,
        no_label=no_label if no_label != yes_label else "",
        league_hint=text(event.get("series_ticker") or event_ticker.split("-")[0], "series_ticker"),
        starts_at=timestamp(starts, "starts_at"),
        closes_at=timestamp(market.get("close_time"), "close_time"),
        status=status,
        result=_result(market, status),
        tick=ticks.finest,
        tick_schedule=None if bad_grid is not None else ticks,
        tick_refused=bad_grid.detail if bad_grid is not None else "",
        contract_step=step,
        min_order_contracts=step,  # Kalshi states no minimum above its granularity
        rules=rules.strip(),
        best_bid=_quote(market, "yes_bid"),
        best_ask=_quote(market, "yes_ask"),
        extra=extra,
    )
    return attach(listing), rejections


def _parse_market_list(markets: Iterable, event: dict | None) -> tuple[list[MarketListing], list[Rejection]]:
    listings: list[MarketListing] = []
    rejections: list[Rejection] = []
    for index, market in enumerate(markets):
        try:
            listing, kept_with = parse_market_checked(market, event)
        except ParseError as exc:
            where = short(market.get("ticker")) if isinstance(market, dict) and market.get("ticker") else None
            rejections.append(Rejection.of(exc, f"market {where or '#' + str(index)}"))
            continue
        listings.append(listing)
        rejections.extend(kept_with)
    return listings, rejections


def parse_markets(payload: object) -> tuple[list[MarketListing], str | None, list[Rejection]]:
    """GET /markets → (listings, next cursor or None when there are no more pages, rejections).

    Raises ParseError only if the payload is not an object with a `markets` list.
    """
    payload = need_dict(payload, "markets response")
    markets = need_list(need(payload, "markets", "response"), "markets")
    listings, rejections = _parse_market_list(markets, None)
    return listings, (text(payload.get("cursor"), "cursor", 4096) or None), rejections


def parse_event(payload: object) -> tuple[list[MarketListing], list[Rejection]]:
    """GET /events/{event_ticker} → (listings of its markets with event context, rejections).

    Markets are read from top-level `markets` or, with nested markets, `event.markets`.
    Raises ParseError if there is no `event` object.
    """
    payload = need_dict(payload, "event response")
    event = need_dict(need(payload, "event", "response"), "event")
    markets = payload.get("markets") if payload.get("markets") is not None else event.get("markets", [])
    return _parse_market_list(need_list(markets, "markets"), event)


@dataclass(frozen=True, slots=True)
class _Side:
    keys: tuple[str, ...]
    cents: bool


_YES = (_Side(("yes_dollars", "yes_dollars_fp"), False), _Side(("yes",), True))
_NO = (_Side(("no_dollars", "no_dollars_fp"), False), _Side(("no",), True))


def parse_levels(levels: object, *, cents: bool, field: str) -> list[tuple[Decimal, Decimal]]:
    """[[price, count], ...] → [(price dollars, size)] validated; `cents` for legacy ints.

    Raises ParseError for non-list levels, prices outside 0..1 (after the cents conversion),
    NaN, negative sizes.
    """
    out = []
    for level in need_list(levels, field):
        if not isinstance(level, (list, tuple)) or len(level) < 2:
            raise ParseError("bad_level", f"{field} level {short(level)} is not [price, size]")
        name = f"{field}.price"
        level_price = cents_price(level[0], name) if cents else price(level[0], name)
        out.append((level_price, size(level[1], f"{field}.size")))
    return out


def _side_levels(book: dict, sides: tuple[_Side, ...], name: str) -> list[tuple[Decimal, Decimal]]:
    for side in sides:
        for key in side.keys:
            if book.get(key) is not None:
                return parse_levels(book[key], cents=side.cents, field=f"{name}.{key}")
    return []


def book_from_sides(book: dict, market_id: str, received_at: datetime | None, *, seq: int | None = None) -> BookUpdate:
    """A Kalshi book object (REST `orderbook_fp`/`orderbook`, or a WS snapshot `msg`) → YES-side
    snapshot. YES bids = yes levels; YES asks = 1 − NO bid levels. Levels best first. Absent or
    null sides are empty. Raises ParseError."""
    yes = _side_levels(book, _YES, "book")
    no = _side_levels(book, _NO, "book")
    bids = tuple(BookLevel(p, s) for p, s in sorted(yes, key=lambda lv: lv[0], reverse=True))
    asks = tuple(BookLevel(ONE - p, s) for p, s in sorted(no, key=lambda lv: lv[0], reverse=True))
    return BookUpdate(market_id, bids, asks, BookUpdateKind.SNAPSHOT, seq=seq, received_at=received_at)


def parse_orderbook(payload: object, market_id: str, received_at: datetime | None = None) -> BookUpdate:
    """GET /markets/{ticker}/orderbook → BookUpdate snapshot for `market_id`. Raises ParseError."""
    payload = need_dict(payload, "orderbook response")
    for key in ("orderbook_fp", "orderbook"):
        if payload.get(key) is not None:
            return book_from_sides(need_dict(payload[key], key), market_id, received_at)
    raise ParseError("missing_field", "neither orderbook_fp nor orderbook present")


@dataclass(frozen=True, slots=True)
class KalshiTrade:
    """One public trade: `yes_price` dollars, `count` contracts, `taker_side` "yes"/"no"."""

    trade_id: str
    ticker: str
    yes_price: Decimal
    count: Decimal
    taker_side: str
    created_at: datetime | None


def parse_trades(payload: object) -> tuple[list[KalshiTrade], list[Rejection]]:
    """GET /markets/trades → (trades, rejections). Raises ParseError without a `trades` list."""
    trades: list[KalshiTrade] = []
    rejections: list[Rejection] = []
    for index, raw in enumerate(need_list(need(need_dict(payload, "trades response"), "trades"), "trades")):
        try:
            raw = need_dict(raw, "trade")
            dollars = raw.get("yes_price_dollars")
            yes_price = (
                price(dollars, "yes_price_dollars")
                if dollars is not None
                else cents_price(need(raw, "yes_price", "trade"), "yes_price")
            )
            count = raw.get("count_fp", raw.get("count"))
            trades.append(
                KalshiTrade(
                    trade_id=need_str(raw, "trade_id", "trade"),
                    ticker=need_str(raw, "ticker", "trade"),
                    yes_price=yes_price,
                    count=size(count, "count"),
                    taker_side=text(raw.get("taker_side"), "taker_side"),
                    created_at=timestamp(raw.get("created_time"), "created_time"),
                )
            )
        except ParseError as exc:
            rejections.append(Rejection.of(exc, f"trade #{index}"))
    return trades, rejections


def parse_series_fees(payload: object) -> FeeSchedule:
    """GET /series/{series_ticker} → the series' FeeSchedule (`model.fees.kalshi_series_fees`).

    Shape per SDK kalshi-typescript 3.30.0 `GetSeriesResponse` {"series": Series} with
    `Series.fee_type` ("quadratic", "quadratic_with_maker_fees", "quadratic_with_combo_maker_fees",
    "flat") and `Series.fee_multiplier` (number). Raises ParseError("bad_series_fees") for a
    missing object, an unpriced fee type (`flat`) or a bad multiplier.
    """
    series = need_dict(need(need_dict(payload, "series response"), "series", "response"), "series")
    try:
        return kalshi_series_fees(series.get("fee_type"), series.get("fee_multiplier"))
    except FeeError as exc:
        raise ParseError("bad_series_fees", f"{short(series.get('ticker'))}: {exc}"[:200]) from exc
