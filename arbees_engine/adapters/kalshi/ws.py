"""Kalshi order-book stream over the v2 websocket.

Protocol (https://docs.kalshi.com/getting_started/quick_start_websockets,
https://docs.kalshi.com/asyncapi.yaml, https://docs.kalshi.com/websockets/orderbook-updates):
- handshake signed like REST with `GET /trade-api/ws/v2` (see `auth.py`);
- commands `{"id", "cmd": "subscribe", "params": {"channels": [...], "market_tickers": [...]}}`,
  `update_subscription` (`{"sids": [sid], "market_tickers": [...], "action": "add_markets" |
  "delete_markets"}`, exactly one sid) and `unsubscribe` (`{"sids": [...]}`);
- replies `subscribed` (`msg.channel`, `msg.sid`), `ok`, `error` (`msg.code`, `msg.msg`);
- `orderbook_snapshot` then `orderbook_delta`, with `seq` increasing by 1 per subscription (sid).
  Levels are [price, size]; fixed-point `yes_dollars_fp`/`no_dollars_fp`, `price_dollars`,
  `delta_fp` or legacy cents `yes`/`no`, `price`, `delta`. An empty book omits the side arrays.
- Kalshi sends control pings; the websockets library answers them. Our own protocol pings go out
  every `watchdog.ping_interval_s` and an unanswered one closes the connection after
  `watchdog.pong_timeout_s` (the library's keepalive, `connect(ping_interval=, ping_timeout=)`,
  https://websockets.readthedocs.io/en/stable/topics/keepalive.html; websockets 17.4 fails the
  connection with 1011 "keepalive ping timeout"), and the close handshake waits at most as long
  (`close_timeout`), so `run` reconnects within about twice `pong_timeout_s` after the ping.
- A subscribed market silent `watchdog.silence_s` gets a REST top-of-book check (`fetch_top`),
  then a per-market resubscribe, then a reconnect (`adapters/watchdog.py`, on the `clock` port).

A YES bid at p is a `yes` level; a `no` level at q is a YES ask at 1 − q. Deltas are changes in
size; this class keeps per-level state and emits ABSOLUTE sizes (size 0 removes the level).
A seq gap marks every market of that sid stale and resubscribes (fresh snapshots); a repeated or
old seq is ignored. Every anomaly is counted in `stats` and reported via `sink.reject`.

Bounds (adapters/wire.py): a frame is decoded with `decode_json` (depth, length), sids and seqs
are integers in 0..2^63−1, prices 0..1 dollars, sizes and deltas within ±10^9 contracts with at
most 6 places; a level pushed past 10^9 contracts is refused and resynced like a negative one.
A schema violation is counted as "malformed" (stats also count "malformed:<reason>"); any other
exception a frame raises is caught in `handle_raw` (the one boundary of the connection loop) and
counted as "bad_frame:<ExceptionType>", so no frame ever drops the connection.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import structlog
from websockets.asyncio.client import connect

from ...model import ONE, BookLevel, BookUpdate, BookUpdateKind
from ...model.bounds import MAX_LEVEL_CONTRACTS
from ...ports import Clock
from ..reconnect import ReconnectPolicy, run_with_reconnect
from ..recording import Recorder
from ..watchdog import FeedStatus, FeedWatchdog, FetchTop, Top, WatchdogConfig, utc_clock
from ..wire import INT_MAX, MAX_WS_FRAME_BYTES, ParseError, decode_json, need_dict, need_str, price, size_change, to_int
from .auth import KalshiSigner
from .config import KALSHI_WS_URL
from .parse import cents_price, parse_levels
from .ws_auth import WS_AUTH_REJECTED, WsAuthState, auth_refusal

log = structlog.get_logger(__name__)

KALSHI_WS_PATH = "/trade-api/ws/v2"
BOOK_CHANNEL = "orderbook_delta"
TICKER_CHANNEL = "ticker"
MAX_SUBSCRIBE_RETRIES = 3  # a refused subscribe is sent again at most this often per connection


class FrameError(ValueError):
    """A frame that does not fit the documented schema."""


def _levels(msg: dict, side: str) -> dict[Decimal, Decimal]:
    """Snapshot side → {price dollars: size} (bounded by `parse.parse_levels`). Absent arrays
    mean an empty side. Raises ParseError."""
    for key, cents in ((f"{side}_dollars_fp", False), (f"{side}_dollars", False), (side, True)):
        if key in msg:
            levels = parse_levels(msg[key] or [], cents=cents, field=f"{side}.{key}")
            return {p: s for p, s in levels if s > 0}
    return {}


def _delta(msg: dict) -> tuple[str, Decimal, Decimal]:
    """Delta frame → (side, price dollars, size change). Raises ParseError/FrameError/KeyError."""
    side = msg.get("side")
    if side not in ("yes", "no"):
        raise FrameError(f"bad side {side!r:.40}")
    level_price = (
        price(msg["price_dollars"], "price_dollars") if "price_dollars" in msg else cents_price(msg["price"], "price")
    )
    change = size_change(msg["delta_fp"] if "delta_fp" in msg else msg["delta"], "delta")
    return side, level_price, change


class KalshiBookStream:
    """Adapter streaming Kalshi order books for a set of market tickers into a Sink.

    tickers: market tickers (e.g. "KXNBAGAME-26JUN13NYKSAS-SAS"); market ids are "kalshi:<ticker>".
    url: websocket URL; signer: KalshiSigner for the handshake (None = unsigned, public data only).
    policy: ReconnectPolicy (one per connection); recorder: optional Recorder of raw frames.
    max_queue: websockets receive-queue bound (backpressure for slow consumers).
    watchdog: silence and ping bounds (seconds; Kalshi has no application PING, so its
    `ping_interval_s` is the protocol ping's); fetch_top: async (ticker) → REST (best bid, best
    ask), e.g. `KalshiRestVenue.top_of_book`; clock: the engine clock the watchdog times on.
    auth: WsAuthState: a refused login (HTTP 401/403 at the upgrade) is counted there and as
    `sink.reject("kalshi", "ws_auth_rejected")`, and retried with its capped backoff (ws_auth.py).
    """

    name = "kalshi"
    sources = (name,)  # recording sources this stream parses

    def __init__(
        self,
        tickers,
        *,
        url: str = KALSHI_WS_URL,
        signer: KalshiSigner | None = None,
        policy: ReconnectPolicy | None = None,
        recorder: Recorder | None = None,
        max_queue: int | None = 64,
        ws_path: str = KALSHI_WS_PATH,
        watchdog: WatchdogConfig | None = None,
        fetch_top: FetchTop | None = None,
        clock: Clock = utc_clock,
        auth: WsAuthState | None = None,
    ) -> None:
        self.tickers: set[str] = set(tickers)
        self.url, self.signer, self.ws_path = url, signer, ws_path
        self.policy = policy or ReconnectPolicy()
        self.recorder, self.max_queue = recorder, max_queue
        self.stats: Counter[str] = Counter()
        self.auth = auth or WsAuthState()
        self.books: dict[str, dict[str, dict[Decimal, Decimal]]] = {}
        self.last_ticker: dict[str, dict] = {}
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[str, frozenset[str]]] = {}  # command id → (channel, tickers)
        self._subscribe_retries: Counter[str] = Counter()  # refused subscribes retried, per channel
        self._sids: dict[str, int] = {}  # channel → sid
        self._seq: dict[int, int] = {}  # book sid → last applied seq
        self._awaiting: set[str] = set(self.tickers)  # no trustworthy snapshot yet
        self._ws = None
        self._sink = None
        self.watchdog = FeedWatchdog(
            self.name,
            watchdog or WatchdogConfig(ping_interval_s=20.0, pong_timeout_s=20.0),
            fetch_top=fetch_top,
            local_top=self._local_top,
            resubscribe=self._resubscribe,
            reconnect=self._drop_connection,
            clock=clock,
        )
        self.watchdog.track(self.tickers)

    # ---- connection -------------------------------------------------------------------
    async def run(self, sink) -> None:
        """Stream until cancelled, reconnecting under `policy`. Never raises on bad input."""
        self._sink = sink
        await run_with_reconnect(self._session, self.policy, lambda: self._mark_all_stale("disconnected"), log)

    def status(self) -> dict[str, str]:
        """What `arbees-engine status` and the desk can show: {"ws_auth": WsAuthState.status()}."""
        return {"ws_auth": self.auth.status()}

    async def _session(self) -> None:
        try:
            await self._stream()
        except Exception as exc:
            status = auth_refusal(exc)
            if status is None:
                raise
            delay = self.auth.refused(status)
            log.warning("kalshi_ws_login_refused", status=status, refusals=self.auth.consecutive, retry_in_s=delay)
            detail = f"HTTP {status} at login #{self.auth.total}; retry in {delay:.1f}s"
            self._reject(self._sink, WS_AUTH_REJECTED, detail)
            await asyncio.sleep(delay)  # backoff (not synchronisation): a refused key is not retried at full speed
            raise

    async def _stream(self) -> None:
        headers = self.signer.headers("GET", self.ws_path) if self.signer else {}
        bounds = self.watchdog.config
        async with connect(
            self.url,
            additional_headers=headers,
            max_queue=self.max_queue,
            max_size=MAX_WS_FRAME_BYTES,
            open_timeout=5,
            ping_interval=bounds.ping_interval_s or None,
            ping_timeout=bounds.pong_timeout_s,
            close_timeout=bounds.pong_timeout_s,  # a frozen peer never completes the close handshake
        ) as ws:
            self._ws = ws
            self.auth.logged_in()
            self.policy.on_connected()
            self.watchdog.connected()
            liveness = asyncio.create_task(self.watchdog.run())
            self._sids.clear()
            self._seq.clear()
            self._pending.clear()
            self._subscribe_retries.clear()
            try:
                for cmd in self._subscribe_all():
                    await ws.send(json.dumps(cmd))
                async for raw in ws:
                    for cmd in self.handle_raw(raw, self._sink):
                        await ws.send(json.dumps(cmd))
            finally:
                self.watchdog.disconnected()
                liveness.cancel()
                self._ws = None

    # ---- liveness (adapters/watchdog.py) ------------------------------------------------
    async def liveness_step(self) -> str:
        """One watchdog pass now (silence checks); see FeedWatchdog.step."""
        return await self.watchdog.step()

    async def _drop_connection(self) -> None:
        """Abort the socket (a frozen one would not finish a close handshake); `run` redials."""
        if self._ws is not None:
            self._ws.transport.abort()

    async def _resubscribe(self, tickers: list[str]) -> None:
        """Watchdog step: the silent markets go stale and are dropped from and re-added to the book
        subscription (`update_subscription`), which answers with fresh snapshots."""
        for ticker in tickers:
            self._mark_stale(ticker, "silent")
        if self._ws is not None and BOOK_CHANNEL in self._sids:
            for action in ("delete_markets", "add_markets"):
                await self._ws.send(json.dumps(self._update_cmd(BOOK_CHANNEL, set(tickers), action)))

    def _local_top(self, ticker: str) -> Top | None:
        book = self.books.get(ticker)
        if book is None:
            return None
        no_bid = max(book["no"], default=None)
        return max(book["yes"], default=None), None if no_bid is None else ONE - no_bid

    def feed_status(self) -> FeedStatus:
        """The feed's state, per-market message ages (seconds) and counters (`watchdog.FeedStatus`)."""
        return self.watchdog.status({k: self.stats[k] for k in ("resyncs", "seq_gap", "stale_seq")})

    async def add_markets(self, tickers) -> None:
        """Start streaming more tickers (update_subscription add_markets when connected)."""
        new = set(tickers) - self.tickers
        self.tickers |= new
        self._awaiting |= new
        self.watchdog.track(new)
        await self._update(new, "add_markets")

    async def remove_markets(self, tickers) -> None:
        """Stop streaming tickers (update_subscription delete_markets); their books go stale."""
        gone = set(tickers) & self.tickers
        self.tickers -= gone
        self.watchdog.untrack(gone)
        for t in gone:
            self.books.pop(t, None)
            self._mark_stale(t, "unsubscribed")
        await self._update(gone, "delete_markets")

    subscribe, unsubscribe = add_markets, remove_markets  # the BookStream names (adapters/base.py)

    async def _update(self, tickers: set[str], action: str) -> None:
        if not tickers or self._ws is None:
            return
        pending = {channel for channel, _ in self._pending.values()}
        for channel in (BOOK_CHANNEL, TICKER_CHANNEL):
            if channel in self._sids:
                await self._ws.send(json.dumps(self._update_cmd(channel, tickers, action)))
            elif channel not in pending and action == "add_markets":
                await self._ws.send(json.dumps(self._subscribe(channel)))
            # else: a subscribe is in flight; its ack tops it up (see _dispatch)

    def _update_cmd(self, channel: str, tickers: set[str], action: str) -> dict:
        return {
            "id": next(self._ids),
            "cmd": "update_subscription",
            "params": {"sids": [self._sids[channel]], "market_tickers": sorted(tickers), "action": action},
        }

    def _subscribe_all(self) -> list[dict]:
        return [self._subscribe(ch) for ch in (BOOK_CHANNEL, TICKER_CHANNEL)] if self.tickers else []

    def _subscribe(self, channel: str) -> dict:
        cid = next(self._ids)
        self._pending[cid] = (channel, frozenset(self.tickers))
        return {
            "id": cid,
            "cmd": "subscribe",
            "params": {"channels": [channel], "market_tickers": sorted(self.tickers)},
        }

    # ---- frames -----------------------------------------------------------------------
    async def replay(self, source, sink) -> None:
        """Feed recorded (source, received_at, raw) tuples for "kalshi" through the same parser."""
        async for src, received_at, raw in source:
            if src in self.sources:
                self.handle_raw(raw, sink, received_at)

    def handle_raw(
        self, raw: str | bytes, sink, received_at: float | None = None, *, source: str | None = None
    ) -> list[dict]:
        """Parse one frame, update state and the sink; return commands to send (resubscribes).
        `source` is accepted for symmetry with other streams (Kalshi has one source)."""
        received_at = time.time() if received_at is None else received_at
        self._sink = sink
        if self.recorder is not None:
            self.recorder.record(self.name, raw, received_at)
        try:
            frame = decode_json(raw, "kalshi frame", max_chars=MAX_WS_FRAME_BYTES)  # as max_size, for replays
            if not isinstance(frame, dict):
                raise FrameError("frame is not an object")
            return self._dispatch(frame, sink, received_at)
        except ParseError as exc:  # a bound or schema check of adapters/wire.py
            self.stats[f"malformed:{exc.reason}"] += 1
            self._reject(sink, "malformed", f"{exc.reason}: {exc.detail}"[:200])
        except (ValueError, KeyError, TypeError) as exc:  # MoneyError/BookError are ValueErrors
            self._reject(sink, "malformed", f"{type(exc).__name__}: {exc}"[:200])
        except Exception as exc:  # noqa: BLE001 - the boundary: no frame may drop the connection
            log.exception("kalshi_ws_frame_bug")
            self._reject(sink, f"bad_frame:{type(exc).__name__}", str(exc)[:200])
        return []

    def _dispatch(self, frame: dict, sink, received_at: float) -> list[dict]:
        kind = frame.get("type")
        if kind == "subscribed":
            msg = need_dict(frame.get("msg"), "subscribed.msg")
            channel, sid = need_str(msg, "channel", "subscribed"), to_int(msg.get("sid"), "sid", 0, INT_MAX)
            self._subscribe_retries.pop(channel, None)
            _, asked = self._pending.pop(frame.get("id"), (channel, frozenset(self.tickers)))
            self._sids[channel] = sid
            self._seq.pop(sid, None)  # a new subscription (sids restart per connection)
            self.stats["subscribed"] += 1
            missing = self.tickers - asked  # markets added while the subscribe was in flight
            return [self._update_cmd(channel, missing, "add_markets")] if missing else []
        if kind in ("orderbook_snapshot", "orderbook_delta"):
            return self._book_frame(frame, sink, received_at)
        if kind == TICKER_CHANNEL:
            msg = need_dict(frame.get("msg"), "ticker.msg")
            ticker = need_str(msg, "market_ticker", "ticker")
            if ticker in self.tickers:  # kept per requested market only: bounded memory
                self.last_ticker[ticker] = msg
            self.stats["ticker"] += 1
            return []
        if kind == "ping":  # an app-level ping, should Kalshi ever send one
            self.stats["ping"] += 1
            return [{"type": "pong"}]
        if kind == "error":
            msg = frame.get("msg")
            code = msg.get("code") if isinstance(msg, dict) else None
            code = code if isinstance(code, int) and not isinstance(code, bool) and 0 <= code < 10**6 else None
            self._reject(sink, f"venue_error_{code}", json.dumps(frame)[:200])
            refused = self._pending.pop(frame.get("id"), None)  # so a later update may subscribe again
            if (
                refused is not None
                and refused[0] not in self._sids
                and self._subscribe_retries[refused[0]] < MAX_SUBSCRIBE_RETRIES
            ):
                self._subscribe_retries[refused[0]] += 1
                return [self._subscribe(refused[0])]  # its markets stay stale until a subscribe succeeds
            return []
        if kind in ("ok", "unsubscribed"):
            self.stats[kind] += 1
            return []
        self.stats["unknown_type"] += 1
        return []

    def _book_frame(self, frame: dict, sink, received_at: float) -> list[dict]:
        sid, seq = to_int(frame.get("sid"), "sid", 0, INT_MAX), to_int(frame.get("seq"), "seq", 0, INT_MAX)
        msg = need_dict(frame.get("msg"), "book.msg")
        ticker = need_str(msg, "market_ticker", "book")
        if sid != self._sids.get(BOOK_CHANNEL):
            self.stats["unknown_sid"] += 1  # e.g. frames of a subscription we just dropped
            return []
        last = self._seq.get(sid)
        if last is not None and seq <= last:
            self._reject(sink, "stale_seq", f"sid={sid} seq={seq} last={last}")
            return []
        if last is not None and seq != last + 1:
            self._reject(sink, "seq_gap", f"sid={sid} seq={seq} last={last}")
            return self._resync(sid, "seq_gap")
        is_snapshot = frame["type"] == "orderbook_snapshot"
        if is_snapshot:
            book = {"yes": _levels(msg, "yes"), "no": _levels(msg, "no")}
        else:
            side, price, change = _delta(msg)  # parse before touching state
        self._seq[sid] = seq
        if ticker not in self.tickers:
            self.stats["unrequested_market"] += 1
            return []
        self.watchdog.touch(ticker)
        if is_snapshot:
            self.books[ticker] = book
            self._awaiting.discard(ticker)
            update = BookUpdate(
                f"kalshi:{ticker}",
                self._side_levels(book["yes"], False),
                self._side_levels(book["no"], True),
                BookUpdateKind.SNAPSHOT,
                seq,
                _ts(received_at),
            )
        else:
            if ticker in self._awaiting:
                self.stats["delta_while_stale"] += 1
                return []
            levels = self.books[ticker][side]
            size = levels.get(price, Decimal(0)) + change
            if size < 0:
                self._reject(sink, "negative_level", f"{ticker} {side}@{price} -> {size}")
                return self._resync(sid, "negative_level")
            if size > MAX_LEVEL_CONTRACTS:
                self._reject(sink, "oversized_level", f"{ticker} {side}@{price} -> {size}")
                return self._resync(sid, "oversized_level")
            if size == 0:
                levels.pop(price, None)
            else:
                levels[price] = size
            lv = (BookLevel(ONE - price if side == "no" else price, size),)
            update = BookUpdate(
                f"kalshi:{ticker}",
                lv if side == "yes" else (),
                lv if side == "no" else (),
                BookUpdateKind.SET_LEVELS,
                seq,
                _ts(received_at),
            )
        self.stats["book_updates"] += 1
        self.policy.on_book_message()
        sink.on_book(update)
        return []

    @staticmethod
    def _side_levels(levels: dict[Decimal, Decimal], invert: bool) -> tuple[BookLevel, ...]:
        return tuple(BookLevel(ONE - p if invert else p, s) for p, s in sorted(levels.items()))

    def _resync(self, sid: int, reason: str) -> list[dict]:
        """Drop the broken subscription and subscribe again; every market waits for a snapshot."""
        self.stats["resyncs"] += 1
        self._mark_all_stale(reason)
        self._sids.pop(BOOK_CHANNEL, None)
        self._seq.pop(sid, None)
        unsub = {"id": next(self._ids), "cmd": "unsubscribe", "params": {"sids": [sid]}}
        return [unsub, self._subscribe(BOOK_CHANNEL)]

    def _mark_all_stale(self, reason: str) -> None:
        for ticker in sorted(self.tickers):
            self._mark_stale(ticker, reason)

    def _mark_stale(self, ticker: str, reason: str) -> None:
        if ticker in self._awaiting:
            return  # already stale; the engine hears it once per outage
        self._awaiting.add(ticker)
        self.books.pop(ticker, None)
        if self._sink is not None:
            self._sink.on_book_stale(f"kalshi:{ticker}", reason)

    def _reject(self, sink, reason: str, detail: str) -> None:
        self.stats[reason] += 1
        log.info("kalshi_ws_reject", reason=reason, detail=detail)
        if sink is not None:
            sink.reject(self.name, reason, detail)


def _ts(received_at: float) -> datetime:
    return datetime.fromtimestamp(received_at, UTC)
