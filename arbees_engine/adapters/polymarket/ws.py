"""Polymarket CLOB market-channel book stream (paper trading only).

Protocol (https://docs.polymarket.com/developers/CLOB/websocket/wss-overview,
https://docs.polymarket.com/developers/CLOB/websocket/market-channel, and the migration guide for
the 2025-09-15 `price_change` schema):
- connect to wss://ws-subscriptions-clob.polymarket.com/ws/market, send
  `{"assets_ids": [...], "type": "market"}`; later `{"assets_ids": [...], "operation":
  "subscribe" | "unsubscribe"}`; keep alive by sending the text "PING" every ~10 s ("PONG" back);
- `book`: full snapshot per asset, `bids` ascending and `asks` descending (best LAST);
- `price_change` (current): `price_changes[]` of {asset_id, price, size (new total, "0"
  removes), side BUY|SELL, hash, best_bid, best_ask}; legacy (pre 2025-09): one flat change
  {asset_id, price, size, side, hash} (or a `changes[]` list) per event;
- `tick_size_change` {asset_id, old_tick_size, new_tick_size} and `last_trade_price`; a frame may
  be a JSON list of events. `book` events may carry the current `tick_size`.

Ticks: a new tick (from `tick_size_change` or a book's `tick_size`) of a listed market (`listings`)
goes out as that market's listing with `tick` replaced, through `sink.on_listing` like any other
market change, so the engine's `Market.tick` follows it. A tick that is not a finite number with
0 < tick < 1 dividing $1 exactly is counted and logged as the rejection "bad_tick_size"; the book
is unaffected.

Continuity: every `book` and `price_change` carries the venue's `hash`, the SHA1 of the asset's
whole book after the change; `book_hash.HashVerifier` recomputes it with the official client's
function (py-clob-client-v2) and compares. A mismatch ("hash_mismatch", counted) marks the asset
stale and resyncs it, so a change lost below the top of the book is caught at the next event. A
mismatch while our book is crossed is a mid-trade state (the venue hashed the book after the whole
trade): counted "hash_mid_trade", its levels are held back until the trade completes. Besides,
a book is trusted while the best bid/ask we compute equal the `best_bid`/`best_ask` the venue
reports and timestamps do not go backwards. A stale asset is resynced from REST
`GET /book?token_id=` (injectable `fetch_book`; https://docs.polymarket.com/api-reference/orderbook).

Liveness (`adapters/watchdog.py`, on the injectable `clock`): "PING" every `ping_interval_s`, and
no "PONG" within `pong_timeout_s` → reconnect; a subscribed asset silent `silence_s` → REST
top-of-book check, then resubscribe, then reconnect. `feed_status()` reports it.

Bounds: frames are decoded with `wire.decode_json` (depth, length) and every event's numbers,
ids and lists are bounded by `frames.py`. A schema violation is "malformed" (stats also count
"malformed:<reason>"); any other exception an event raises is caught in `handle_raw`, the one
boundary of the connection loop, and counted as "bad_frame:<ExceptionType>"; either way the
event's assets are marked stale and resynced, and the connection stays up.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, deque
from collections.abc import MutableMapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import structlog
from websockets.asyncio.client import connect

from ...model import ONE, ZERO, BookLevel, BookUpdate, BookUpdateKind, MarketListing
from ...ports import Clock
from ..reconnect import ReconnectPolicy, run_with_reconnect
from ..recording import Recorder
from ..watchdog import FeedWatchdog, WatchdogConfig, utc_clock
from ..wire import MAX_WS_FRAME_BYTES, ParseError, decode_json, need_list
from .book_hash import HashVerifier
from .frames import (
    FrameError,
    asset_id,
    asset_ids,
    book_side,
    change,
    changes_of,
    event_ts,
    levels,
    order_hash,
    venue_best,
)
from .liveness import StreamLiveness, StreamMetadata
from .rest import rest_book_fetcher  # noqa: F401 - re-exported: the stream's usual fetch_book

log = structlog.get_logger(__name__)

POLYMARKET_WS_URL = "wss://ws-subscriptions-clob.polymarket.com/ws/market"
RESYNC_RETRY_S = 2.0  # minimum seconds between REST resyncs of one asset after a failure
MAX_BUFFERED = 500  # price changes kept per asset while its snapshot is awaited
REST_SOURCE = "polymarket-rest"  # recording source of resync snapshots, so replays reproduce them


def _ts(received_at: float) -> datetime:
    return datetime.fromtimestamp(received_at, UTC)


class PolymarketBookStream(StreamLiveness, StreamMetadata):
    """Adapter streaming Polymarket books for token (asset) ids; market ids "polymarket:<asset>".

    fetch_book: async (asset_id) -> REST book dict used to resync (None = resubscribe instead).
    ping_interval_s: seconds between "PING" keep-alives (overrides `watchdog.ping_interval_s`).
    watchdog: silence/PONG bounds (WatchdogConfig, seconds); clock: the engine clock (`ports.Clock`)
      the watchdog times on, so tests drive it.
    listings: YES token id → the market's latest MarketListing (pass `PolymarketRestVenue.listings`,
      which discovery keeps current); a tick change of a listed market is re-emitted through
      `sink.on_listing` with the new `tick` (and stored back here). Without it, ticks are only kept
      in `ticks` (dollars) and counted as "tick_unlisted". Other args as `KalshiBookStream`.
    """

    name = "polymarket"
    sources = (name, REST_SOURCE)  # recording sources this stream parses

    def __init__(
        self,
        asset_ids,
        *,
        url: str = POLYMARKET_WS_URL,
        fetch_book=None,
        policy: ReconnectPolicy | None = None,
        recorder: Recorder | None = None,
        ping_interval_s: float | None = None,
        max_queue: int | None = 64,
        listings: MutableMapping[str, MarketListing] | None = None,
        watchdog: WatchdogConfig | None = None,
        clock: Clock = utc_clock,
    ) -> None:
        self.asset_ids: set[str] = set(asset_ids)
        self.url, self.fetch_book = url, fetch_book
        config = watchdog or WatchdogConfig()
        if ping_interval_s is not None:
            config = replace(
                config, ping_interval_s=ping_interval_s, check_every_s=min(config.check_every_s, ping_interval_s)
            )
        self.policy = policy or ReconnectPolicy()
        self.recorder, self.max_queue = recorder, max_queue
        self.stats: Counter[str] = Counter()
        self.books: dict[str, dict[str, dict[Decimal, Decimal]]] = {}
        self.ticks: dict[str, Decimal] = {}
        self.listings: MutableMapping[str, MarketListing] = listings if listings is not None else {}
        self.last_trade: dict[str, dict] = {}
        self._last_ts: dict[str, int] = {}
        self._hashes: dict[str, deque[str]] = {}
        self._awaiting: set[str] = set(self.asset_ids)
        self._resyncing: dict[str, asyncio.Task] = {}
        # price changes seen while waiting for a snapshot, replayed on top of it when newer
        self._buffered: dict[str, list[tuple[int | None, list, float]]] = {}
        self._resync_failed: dict[str, float] = {}  # asset → monotonic time of its last failed resync
        self._held: dict[str, list[tuple[str, BookLevel]]] = {}  # mid-trade levels not yet emitted
        self._sink = None
        self._ws = None
        self.hashes = HashVerifier(self.stats)
        self.watchdog = FeedWatchdog(
            self.name,
            config,
            fetch_top=self._fetch_top if fetch_book is not None else None,
            local_top=self._local_top,
            resubscribe=self._resubscribe,
            reconnect=self._drop_connection,
            clock=clock,
        )
        self.watchdog.track(self.asset_ids)

    async def run(self, sink) -> None:
        """Stream until cancelled, reconnecting under `policy`. Never raises on bad input."""
        self._sink = sink
        await run_with_reconnect(self._session, self.policy, lambda: self._mark_all_stale("disconnected"), log)

    async def _session(self) -> None:
        async with connect(self.url, max_queue=self.max_queue, max_size=MAX_WS_FRAME_BYTES, open_timeout=5) as ws:
            self._ws = ws
            self.policy.on_connected()
            self.watchdog.connected()
            pinger = asyncio.create_task(self.watchdog.run(send_ping=self._send_ping))
            try:
                if self.asset_ids:
                    await ws.send(json.dumps({"assets_ids": sorted(self.asset_ids), "type": "market"}))
                async for raw in ws:
                    for asset in self.handle_raw(raw, self._sink):
                        self._start_resync(asset)
            finally:
                self.watchdog.disconnected()
                pinger.cancel()
                for task in list(self._resyncing.values()):
                    task.cancel()  # a REST book must not freshen a market whose feed is down
                self._ws = None

    async def add_assets(self, asset_ids) -> None:
        """Subscribe more assets while connected (`operation: subscribe`)."""
        new = set(asset_ids) - self.asset_ids
        self.asset_ids |= new
        self._awaiting |= new
        self.watchdog.track(new)
        if new and self._ws is not None:
            await self._ws.send(json.dumps({"assets_ids": sorted(new), "operation": "subscribe"}))

    async def remove_assets(self, asset_ids) -> None:
        """Stop streaming assets (`operation: unsubscribe`); their books go stale."""
        gone = set(asset_ids) & self.asset_ids
        for asset in sorted(gone):
            self._mark_stale(asset, "unsubscribed")
        self.asset_ids -= gone
        self.watchdog.untrack(gone)
        if gone and self._ws is not None:
            await self._ws.send(json.dumps({"assets_ids": sorted(gone), "operation": "unsubscribe"}))

    subscribe, unsubscribe = add_assets, remove_assets  # the BookStream names (adapters/base.py)

    # ---- resync ------------------------------------------------------------------------
    def _start_resync(self, asset: str) -> None:
        failed_at = self._resync_failed.get(asset)
        if failed_at is not None and time.monotonic() - failed_at < RESYNC_RETRY_S:
            return  # the REST endpoint just failed for this asset: do not hammer it
        if asset not in self._resyncing:
            self._resyncing[asset] = asyncio.create_task(self._resync(asset))

    async def _resync(self, asset: str) -> None:
        try:
            if self.fetch_book is None:
                if self._ws is not None:
                    await self._ws.send(json.dumps({"assets_ids": [asset], "operation": "subscribe"}))
                return
            book = await self.fetch_book(asset)
            book.setdefault("asset_id", asset)
            self.handle_raw(json.dumps(book), self._sink, source=REST_SOURCE)
        except Exception as exc:  # noqa: BLE001 - stays stale; the next change retries (rate-limited)
            self._resync_failed[asset] = time.monotonic()
            self._reject(self._sink, "resync_failed", f"{asset}: {type(exc).__name__}")
        finally:
            self._resyncing.pop(asset, None)

    # ---- frames ------------------------------------------------------------------------
    async def replay(self, source, sink) -> None:
        """Feed recorded (source, received_at, raw) tuples through the same parser (no resync I/O)."""
        async for src, received_at, raw in source:
            if src in self.sources:
                self.handle_raw(raw, sink, received_at, source=src)

    def handle_raw(self, raw, sink, received_at: float | None = None, *, source: str | None = None) -> list[str]:
        """Parse one frame (an event or a list of events); return asset ids needing a resync."""
        received_at = time.time() if received_at is None else received_at
        source = source or self.name
        self._sink = sink
        if self.recorder is not None:
            self.recorder.record(source, raw, received_at)
        if raw in ("PONG", b"PONG"):
            self.stats["pong"] += 1
            self.watchdog.pong()
            return []
        if source == self.name:
            self.watchdog.frame()
        try:
            payload = decode_json(raw, "polymarket frame", max_chars=MAX_WS_FRAME_BYTES)  # as max_size, for replays
            events = need_list(payload, "events") if isinstance(payload, list) else [payload]
        except ParseError as exc:
            self._malformed(sink, exc)
            return []
        if not events:
            self.stats["empty"] += 1
        resync: list[str] = []
        for event in events:
            resync += self._guarded_event(event, sink, received_at, source)
        return resync

    def _guarded_event(self, event: object, sink, received_at: float, source: str) -> list[str]:
        """`_event` behind the boundary: every exception is counted, never raised. An update we
        could not apply leaves its books unknown (no sequence numbers to notice it later): its
        assets are marked stale and resynced."""
        try:
            if not isinstance(event, dict):
                raise FrameError("event is not an object")
            if source == REST_SOURCE:
                event = {**event, "event_type": "book"}
            else:
                for asset in asset_ids(event) & self.asset_ids:
                    self.watchdog.touch(asset)
            return self._event(event, sink, received_at)
        except ParseError as exc:
            self._malformed(sink, exc)
        except (ValueError, KeyError, TypeError) as exc:  # FrameError, and schema slips
            self._reject(sink, "malformed", f"{type(exc).__name__}: {exc}"[:200])
        except Exception as exc:  # noqa: BLE001 - the boundary: no frame may drop the connection
            log.exception("polymarket_ws_frame_bug")
            self._reject(sink, f"bad_frame:{type(exc).__name__}", str(exc)[:200])
        return [
            a
            for asset in sorted(asset_ids(event) & self.asset_ids)
            if asset not in self._awaiting
            for a in self._stale(asset, "malformed")
        ]

    def _malformed(self, sink, exc: ParseError) -> None:
        self.stats[f"malformed:{exc.reason}"] += 1
        self._reject(sink, "malformed", f"{exc.reason}: {exc.detail}"[:200])

    def _event(self, ev: dict, sink, received_at: float) -> list[str]:
        kind = ev.get("event_type")
        if kind == "book":
            return self._apply_book(ev, sink, received_at)
        if kind == "price_change":
            return self._price_changes(ev, changes_of(ev), sink, received_at)
        if kind == "tick_size_change":
            if not self._set_tick(ev.get("asset_id"), ev.get("new_tick_size"), sink, "new_tick_size"):
                return []
        elif kind == "last_trade_price":
            asset = asset_id(ev)
            if asset in self.asset_ids:  # kept per subscribed asset only: bounded memory
                self.last_trade[asset] = ev
                self.hashes.on_trade(asset, ev.get("price"))
        else:
            self.stats["unknown_type"] += 1
            return []
        self.stats[kind] += 1
        return []

    def _apply_book(self, ev: dict, sink, received_at: float) -> list[str]:
        """Apply a full book (socket or REST), then the buffered changes newer than it; returns the
        assets a replayed change found out of step (to resync)."""
        asset = asset_id(ev)
        book = {
            "bids": book_side(ev.get("bids", ev.get("buys")), "bids"),
            "asks": book_side(ev.get("asks", ev.get("sells")), "asks"),
        }
        if asset not in self.asset_ids:
            self.stats["unrequested_asset"] += 1
            return []
        ts = event_ts(ev) or 0
        book_hash = order_hash(ev)
        if asset not in self._awaiting and ts and ts < self._last_ts.get(asset, 0):
            self._reject(sink, "stale_snapshot", f"{asset} snapshot ts {ts} < applied {self._last_ts[asset]}")
            return []  # a REST reply overtaken by the websocket: what we hold is newer
        self.books[asset] = book
        self._held.pop(asset, None)  # mid-trade levels the snapshot supersedes
        self._awaiting.discard(asset)
        self._resync_failed.pop(asset, None)
        self._last_ts[asset] = ts
        self._hashes[asset] = deque([book_hash] if book_hash else [], maxlen=256)
        if "tick_size" in ev:
            self._set_tick(asset, ev["tick_size"], sink, "tick_size")
        self._hash_hints(asset)
        self.hashes.on_book(asset, ev, book)
        self._emit(
            sink,
            BookUpdate(
                f"polymarket:{asset}",
                levels(book["bids"]),
                levels(book["asks"]),
                BookUpdateKind.SNAPSHOT,
                None,
                _ts(received_at),
            ),
        )
        for change_ts, items, at in self._buffered.pop(asset, []):
            if change_ts is not None and change_ts > ts:  # newer than the snapshot: not in it yet
                resync = self._apply_changes(asset, change_ts, items, sink, at)
                if resync:
                    return resync
        return []

    def _price_changes(self, ev: dict, changes: list, sink, received_at: float) -> list[str]:
        ts = event_ts(ev)  # None: cannot order-check
        by_asset: dict[str, list] = {}
        for raw_change in changes:
            asset, parsed, _, ch = change(raw_change)  # validates the hash too
            by_asset.setdefault(asset, []).append((parsed, ch))
        if not by_asset:
            self.stats["empty"] += 1
        resync = []
        for asset, items in by_asset.items():
            if asset not in self.asset_ids:
                self.stats["unrequested_asset"] += 1
            elif asset in self._awaiting:
                self.stats["delta_while_stale"] += 1
                buffered = self._buffered.setdefault(asset, [])
                if len(buffered) < MAX_BUFFERED:
                    buffered.append((ts, items, received_at))
                if asset in self._resync_failed and asset not in self._resyncing:
                    resync.append(asset)  # a failed resync is retried by the next change
            elif self._is_replay(asset, items):
                self._reject(sink, "duplicate", f"{asset} hash {items[-1][1].get('hash')}")
            elif ts is not None and ts < self._last_ts[asset]:
                self._reject(sink, "out_of_order", f"{asset} ts {ts} < {self._last_ts[asset]}")
                resync += self._stale(asset, "out_of_order")
            else:
                resync += self._apply_changes(asset, ts, items, sink, received_at)
        return resync

    def _is_replay(self, asset: str, items: list) -> bool:
        """A change already applied: every hash seen and every level already at that size. The
        hash is the SHA1 of the asset's whole book after the change (book_hash.py), so a later
        change that returns the book to an earlier state repeats it; only a no-op repeat is a
        duplicate."""
        book, seen = self.books[asset], self._hashes[asset]
        return all(
            ch.get("hash") and ch["hash"] in seen and book[side].get(price, ZERO) == size
            for (side, price, size), ch in items
        )

    def _apply_changes(self, asset, ts, items, sink, received_at) -> list[str]:
        book = self.books[asset]
        held = self._held.setdefault(asset, [])
        for (side, price, size), ch in items:
            if size == 0:
                book[side].pop(price, None)
            else:
                book[side][price] = size
            held.append((side, BookLevel(price, size)))
            if ch.get("hash"):
                self._hashes[asset].append(ch["hash"])
        if ts is not None:
            self._last_ts[asset] = ts
        verdict = self.hashes.check(
            asset, str(ts or ""), book, items[-1][1].get("hash"), [str(p) for (_, p, _), _ in items]
        )
        if verdict == "mismatch":
            self._reject(sink, "hash_mismatch", f"{asset} hash {str(items[-1][1].get('hash'))[:64]} at ts {ts}")
            return self._stale(asset, "hash_mismatch")
        if verdict == "mid_trade":
            return []  # the trade's next changes complete the state the venue hashed: emit then
        theirs = venue_best(items[-1][1])
        if theirs is not None:
            ours = (max(book["bids"], default=ZERO), min(book["asks"], default=ONE))
            if ours != theirs:
                self._reject(sink, "book_mismatch", f"{asset} ours {ours} venue {theirs}")
                return self._stale(asset, "book_mismatch")
        latest = {(side, lv.price): lv for side, lv in self._held.pop(asset, [])}  # a level's last size wins
        levels_out = {side: tuple(lv for (s, _), lv in latest.items() if s == side) for side in ("bids", "asks")}
        self._emit(
            sink,
            BookUpdate(
                f"polymarket:{asset}",
                levels_out["bids"],
                levels_out["asks"],
                BookUpdateKind.SET_LEVELS,
                None,
                _ts(received_at),
            ),
        )
        return []

    def _emit(self, sink, update: BookUpdate) -> None:
        self.stats["book_updates"] += 1
        self.policy.on_book_message()
        sink.on_book(update)

    def _stale(self, asset: str, reason: str) -> list[str]:
        self.stats["resyncs"] += 1
        self._mark_stale(asset, reason)
        return [asset]

    def _mark_all_stale(self, reason: str) -> None:
        for asset in sorted(self.asset_ids):
            self._mark_stale(asset, reason)

    def _mark_stale(self, asset: str, reason: str) -> None:
        if asset in self._awaiting:
            return
        self._awaiting.add(asset)
        self.books.pop(asset, None)
        self.hashes.forget(asset)
        self._held.pop(asset, None)
        if self._sink is not None:
            self._sink.on_book_stale(f"polymarket:{asset}", reason)

    def _reject(self, sink, reason: str, detail: str) -> None:
        self.stats[reason] += 1
        log.info("polymarket_ws_reject", reason=reason, detail=detail)
        if sink is not None:
            sink.reject(self.name, reason, detail)
