"""The frame benchmark's cases: which recorded payloads (../shared/fixtures) go through which
parser boundary, the sink that counts what comes out, and each book walked in whole contracts on
both sides (`model.depth.walk`). Run by `ops/bench_frames.py` and the adapters' fuzz tests."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..adapters.espn.feed import EspnFeed
from ..adapters.espn.parse import parse_summary
from ..adapters.kalshi.parse import parse_event, parse_markets, parse_orderbook, parse_trades
from ..adapters.kalshi.rest import KalshiRestVenue
from ..adapters.kalshi.ws import KalshiBookStream
from ..adapters.polymarket.parse import parse_book, parse_events, parse_market, parse_midpoint, parse_prices_history
from ..adapters.polymarket.rest import PolymarketRestVenue
from ..adapters.polymarket.ws import PolymarketBookStream
from ..adapters.wire import ParseError, decode_json_off_loop
from ..model import BookError, GameStateError, League, OrderBook, Side
from ..model.depth import walk

LOCAL = "http://127.0.0.1:9"  # never contacted: only the parse boundaries run


@dataclass
class FrameSink:
    """A Sink that applies every book to an OrderBook and walks its depth; counts everything.

    rejects: "source:reason" → count (as Engine.input_rejections); outputs: domain objects taken."""

    books: dict[str, OrderBook] = field(default_factory=dict)
    rejects: Counter = field(default_factory=Counter)
    outputs: int = 0
    stale: int = 0

    def on_book(self, update) -> None:  # noqa: ANN001 - Sink protocol
        """Apply to the market's OrderBook (a BookError is counted "book:invalid_update"), then walk."""
        self.outputs += 1
        book = self.books.setdefault(update.market_id, OrderBook(update.market_id))
        try:
            book.apply(update)
        except BookError as exc:
            self.reject("book", "invalid_update", str(exc))
            return
        for side in (Side.YES, Side.NO):
            walk(book.asks_for(side), 10**9)
            walk(book.bids_for(side), 10**9)

    def on_game_state(self, state) -> None:  # noqa: ANN001 - Sink protocol
        """Validate like the engine does (a GameStateError is counted "game:invalid_state")."""
        self.outputs += 1
        try:
            state.validate()
        except GameStateError as exc:
            self.reject("game", "invalid_state", str(exc))

    def on_listing(self, listing) -> None:  # noqa: ANN001 - Sink protocol
        """Count it."""
        self.outputs += 1

    on_market = on_listing

    def on_book_stale(self, market_id: str, reason: str) -> None:
        """Count it."""
        self.stale += 1

    def reject(self, source: str, reason: str, detail: str = "") -> None:
        """Count it under "source:reason"."""
        self.rejects[f"{source}:{reason}"] += 1

    def trace(self) -> int:
        """Everything this sink has seen (a frame that changes none of it left no trace here)."""
        return self.outputs + self.stale + sum(self.rejects.values())


@dataclass(frozen=True)
class Case:
    """One recorded payload and the boundary it goes through. `handle(raw, sink)` returns how
    many counters the frame moved outside the sink: a stream's `stats`, or 1 for a REST/ESPN
    response that was parsed (even an empty page is an outcome; its elements each become a
    domain object or a counted Rejection inside the parsers). REST/ESPN handlers are coroutines:
    like `http.get_json`, they decode a body over 64 KiB in a worker thread."""

    parser: str
    name: str
    payload: object
    handle: Callable[[str | bytes, FrameSink], int | Awaitable[int]]


def _stream_handler(make: Callable[[], object], primes: list[str]) -> Callable[[str | bytes, FrameSink], int]:
    def handle(raw: str | bytes, sink: FrameSink) -> int:
        stream = make()
        for frame in primes:
            stream.handle_raw(frame, FrameSink(), 1.0)
        before = sum(stream.stats.values())
        stream.handle_raw(raw, sink, 2.0)
        return sum(stream.stats.values()) - before

    return handle


def _rest_handler(
    venue, parse: Callable[[object], object], push: Callable
) -> Callable[[str | bytes, FrameSink], Awaitable[int]]:
    async def handle(raw: str | bytes, sink: FrameSink) -> int:
        try:
            payload = await decode_json_off_loop(raw, "body")  # what adapters/http.get_json does with a body
        except ParseError as exc:
            venue._reject(sink, exc.reason, exc.detail)
            return 0
        result = venue._guarded(sink, parse, payload)
        if result is None:
            return 0  # counted by _guarded
        push(venue, result, sink)
        return 1

    return handle


def _listings(venue, result, sink) -> None:  # noqa: ANN001
    listings, *_, rejections = result
    for rejection in rejections:
        venue._reject(sink, rejection.reason, rejection.detail)
    for listing in listings:
        sink.on_listing(listing)


def _count(venue, result, sink) -> None:  # noqa: ANN001 - trades, history points, a midpoint
    items, rejections = result if isinstance(result, tuple) else ([result], [])
    for rejection in rejections:
        venue._reject(sink, rejection.reason, rejection.detail)
    sink.outputs += len(items) if isinstance(items, list) else 1


def _espn_handler(path: str, league: League) -> Callable[[str | bytes, FrameSink], Awaitable[int]]:
    feed = EspnFeed([], LOCAL, client=None)  # type: ignore[arg-type]  # never fetches

    async def handle(raw: str | bytes, sink: FrameSink) -> int:
        try:
            payload = await decode_json_off_loop(raw, "scoreboard")
        except ParseError as exc:
            sink.reject("espn", exc.reason, exc.detail)
            return 0
        feed.take(payload, path, league, sink)
        return 1

    return handle


async def _summary_handler(raw: str | bytes, sink: FrameSink) -> int:
    try:
        sink.on_game_state(parse_summary(await decode_json_off_loop(raw, "summary"), League.NBA))
    except ParseError as exc:
        sink.reject("espn", exc.reason, exc.detail)
    return 0


_ESPN = {
    "scoreboard_nba_events_in_post_2022pre_extracted.json": ("basketball/nba", League.NBA),
    "scoreboard_nba_final_20260115.json": ("basketball/nba", League.NBA),
    "scoreboard_ncaaf_fbs_week_teamtracker.json": ("football/college-football", League.NCAAF),
    "scoreboard_nfl_2022wk1_in_post_pre.json": ("football/nfl", League.NFL),
    "scoreboard_nhl_2022pre_in_post.json": ("hockey/nhl", League.NHL),
    "scoreboard_soccer_eng1_ft_and_postponed_20260321.json": ("soccer/eng.1", League.EPL),
    "scoreboards_many_leagues_teamtracker.json": ("basketball/nba", League.NBA),
}
_KALSHI_REST = {
    "markets_open_two_tickers.json": (parse_markets, _listings),
    "markets_nba_game_settled.json": (parse_markets, _listings),
    "event_nba_game_settled.json": (parse_event, _listings),
    "orderbook_fp_full_KXELONMARS-99.json": (lambda p: parse_orderbook(p, "kalshi:m"), lambda v, r, s: s.on_book(r)),
    "orderbook_fp_mlb_depth5.json": (lambda p: parse_orderbook(p, "kalshi:m"), lambda v, r, s: s.on_book(r)),
    "trades_KXELONMARS-99.json": (parse_trades, _count),
}
_POLY_REST = {
    "gamma_events_sports_game_mlp_open.json": (parse_events, _listings),
    "gamma_market_open_negrisk_politics.json": (parse_market, lambda v, r, s: s.on_listing(r)),
    "gamma_market_sports_moneyline_resolved_cs2.json": (parse_market, lambda v, r, s: s.on_listing(r)),
    "clob_book_rest_negrisk_trimmed.json": (lambda p: parse_book(p, "polymarket:m"), lambda v, r, s: s.on_book(r)),
    "clob_prices_history_stringified.json": (parse_prices_history, _count),
    "clob_midpoint.json": (parse_midpoint, _count),
}
_POLY_WS = (
    "ws_book_2024_trimmed_middle_levels.json",
    "ws_book_captured_2026_full.json",
    "ws_last_trade_price.json",
    "ws_price_change_burst_with_hashes_2026.json",
    "ws_price_change_legacy_pre2025-09.json",
    "ws_price_change_v2_docs_example.json",
    "ws_tick_size_change.json",
)


def _kalshi_ws_cases(load: Callable[..., object]) -> Iterator[Case]:
    demo = load("kalshi", "ws_demo_subscribed_and_empty_snapshot.json")
    snap = load("kalshi", "synthetic", "SYNTHETIC_ws_orderbook_snapshot_fp.json")
    delta = load("kalshi", "synthetic", "SYNTHETIC_ws_orderbook_delta_fp.json")
    ticker = load("kalshi", "ws_ticker_prod_capture_legacy_fields.json")
    tickers = ["KXBTCD-26AUG2017-T73749.99", "KXBTC-25MAR15-B100000", ticker["msg"]["market_ticker"]]
    subscribed = json.dumps(demo[0])

    def make() -> KalshiBookStream:
        return KalshiBookStream(tickers)

    for index, frame in enumerate(demo):
        yield Case("kalshi-ws", f"ws_demo[{index}]", frame, _stream_handler(make, [subscribed] if index else []))
    yield Case("kalshi-ws", "snapshot_fp", snap, _stream_handler(make, [subscribed]))
    yield Case("kalshi-ws", "delta_fp", delta, _stream_handler(make, [subscribed, json.dumps(snap)]))
    yield Case("kalshi-ws", "ticker", ticker, _stream_handler(make, []))


def _assets(payload: object) -> list[str]:
    events = payload if isinstance(payload, list) else [payload]
    found = {e.get("asset_id") for e in events} | {
        c.get("asset_id") for e in events for c in e.get("price_changes", [])
    }
    return sorted(a for a in found if a)


def _polymarket_ws_cases(load: Callable[..., object]) -> Iterator[Case]:
    for name in _POLY_WS:
        payload = load("polymarket", name)
        assets = _assets(payload)
        primes = [
            json.dumps({"event_type": "book", "asset_id": a, "timestamp": "1", "bids": [], "asks": []}) for a in assets
        ]
        yield Case("polymarket-ws", name, payload, _stream_handler(lambda a=assets: PolymarketBookStream(a), primes))


def cases(fixtures: Path) -> list[Case]:
    """Every recorded payload under `fixtures` (shared/fixtures) with the boundary it goes through."""

    def load(*parts: str) -> object:
        return json.loads(fixtures.joinpath(*parts).read_text())

    kalshi = KalshiRestVenue(LOCAL, client=None)  # type: ignore[arg-type]  # never fetches
    poly = PolymarketRestVenue(LOCAL, LOCAL, client=None)  # type: ignore[arg-type]
    out = [*_kalshi_ws_cases(load), *_polymarket_ws_cases(load)]
    out += [Case("kalshi-rest", n, load("kalshi", n), _rest_handler(kalshi, *f)) for n, f in _KALSHI_REST.items()]
    out += [Case("polymarket-rest", n, load("polymarket", n), _rest_handler(poly, *f)) for n, f in _POLY_REST.items()]
    out += [Case("espn", n, load("espn", n), _espn_handler(*where)) for n, where in _ESPN.items()]
    out.append(
        Case(
            "espn",
            "summary_nba_final_401810433.json",
            load("espn", "summary_nba_final_401810433.json"),
            _summary_handler,
        )
    )
    return out
