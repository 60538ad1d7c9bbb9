"""The CLOB user channel: our trades and order updates pushed by the venue, booked once by the broker.

Protocol (docs.polymarket.com/market-data/websocket/user-channel and asyncapi-user.json, read
2026-12-07; py-clob-client-v2 1.2.1 has no websocket code): connect to
wss://ws-subscriptions-clob.polymarket.com/ws/user and send one subscription
`{"auth": {"apiKey", "secret", "passphrase"}, "markets": [condition ids], "type": "user"}`; more
markets later with `{"operation": "subscribe", "markets": [...]}`. Frames are one event object
or a list of them, each with `event_type`:
- `trade`: `id` (the trade id `/data/trades` also returns), `taker_order_id` (the taker's order
  hash), `status` MATCHED → MINED → CONFIRMED (or RETRYING / FAILED), `asset_id`, `size`,
  `price`, `maker_orders` [{order_id, asset_id, price, matched_amount, …}], and on V2 the
  `fee_rate_bps` charged at match time;
- `order`: `id` (order hash), `type` PLACEMENT / UPDATE / CANCELLATION, `status`, `size_matched`.
Every frame is bounded by adapters/wire.py before use; a bad frame or event is a counted rejection
(`sink.reject("polymarket-user", reason, …)`), never a crash. A trade of one of our orders goes to
`PolymarketLiveBroker.on_user_trade` (fill id `polymarket:<trade id>`, as REST names it, so it is
booked once). A trade without `fee_rate_bps` is counted ("trade_without_fee") and left to REST, so
a fee is never booked as zero. The venue answering the subscription by closing the socket with
1008 (policy violation), or an `error`/auth frame, is counted as "auth_refused". The API secret
and passphrase are sent only in the subscription and never logged.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable

import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from ...model import ONE
from ...ports import Clock
from ..reconnect import ReconnectPolicy, run_with_reconnect
from ..watchdog import utc_clock
from ..wire import (
    MAX_WS_FRAME_BYTES,
    ParseError,
    decode_json,
    need_dict,
    need_list,
    need_str,
    price,
    size,
    to_int,
)
from .broker import PolymarketLiveBroker
from .credentials import ApiCredentials

log = structlog.get_logger(__name__)

POLYMARKET_USER_WS_URL = "wss://ws-subscriptions-clob.polymarket.com/ws/user"
SOURCE = "polymarket-user"
POLICY_VIOLATION = 1008  # websocket close code of a refused subscription
MAX_MAKERS = 1_000  # maker orders in one trade
TRADE_STATUSES = ("MATCHED", "MINED", "CONFIRMED", "RETRYING", "FAILED")


class PolymarketUserChannel:
    """Engine adapter ("polymarket-user") streaming our trades to `broker` until cancelled.

    `credentials`: the CLOB API key (credentials.py); `url`: the user channel; `policy`: reconnect
    backoff; `clock`: the engine clock (`ports.Clock`) that stamps a fill's `filled_at`. `stats`
    counts rejections by reason plus "trades", "fills_booked", "orders" and "auth_refused";
    `order_status` keeps the last pushed status of each of our order hashes.
    """

    name = SOURCE

    def __init__(
        self,
        credentials: ApiCredentials,
        broker: PolymarketLiveBroker,
        *,
        url: str = POLYMARKET_USER_WS_URL,
        policy: ReconnectPolicy | None = None,
        clock: Clock = utc_clock,
    ) -> None:
        self.credentials, self.broker, self.url, self.clock = credentials, broker, url, clock
        self.policy = policy or ReconnectPolicy()
        self.stats: Counter[str] = Counter()
        self.order_status: dict[str, str] = {}
        self.subscribed: set[str] = set()
        self._sink = None
        self._ws: ClientConnection | None = None
        self._updates: set[asyncio.Task] = set()
        self._handled = asyncio.Event()  # set after each frame is handled (`wait_until`)
        broker.on_new_market = self._new_market

    def __repr__(self) -> str:  # never the credentials
        return f"PolymarketUserChannel(url={self.url!r})"

    async def run(self, sink) -> None:
        """Stream until cancelled, reconnecting under `policy`. Never raises on bad input."""
        self._sink = sink
        await run_with_reconnect(self._session, self.policy, lambda: None, log)

    def _subscription(self, markets: set[str]) -> str:
        creds = self.credentials
        auth = {"apiKey": creds.api_key, "secret": creds.api_secret, "passphrase": creds.api_passphrase}
        return json.dumps({"auth": auth, "markets": sorted(markets), "type": "user"})

    async def _session(self) -> None:
        async with connect(self.url, max_size=MAX_WS_FRAME_BYTES, open_timeout=5, max_queue=64) as ws:
            self.subscribed = self.broker.condition_ids()
            await ws.send(self._subscription(self.subscribed))
            self._ws = ws
            self.policy.on_connected()
            try:
                async for raw in ws:
                    await self.handle_raw(raw)
            except ConnectionClosed as exc:
                self._closed(exc)
                raise
            finally:
                self._ws = None
            if ws.close_code == POLICY_VIOLATION:
                self._refused(ws.close_reason or "")

    def _closed(self, exc: ConnectionClosed) -> None:
        if exc.rcvd is not None and exc.rcvd.code == POLICY_VIOLATION:
            self._refused(exc.rcvd.reason)

    def _refused(self, reason: str) -> None:
        self._reject("auth_refused", f"user channel subscription refused: {reason[:120]}")

    def _new_market(self, condition_id: str) -> None:
        task = asyncio.get_running_loop().create_task(self.add_markets({condition_id}))
        self._updates.add(task)
        task.add_done_callback(self._updates.discard)

    async def add_markets(self, markets: set[str]) -> None:
        """Subscribe more condition ids while connected (the update message); no-op when none are new."""
        new = markets - self.subscribed
        if new and self._ws is not None:
            try:
                await self._ws.send(json.dumps({"operation": "subscribe", "markets": sorted(new)}))
            except ConnectionClosed:
                return  # the next session subscribes to every tracked order's market
            self.subscribed |= new

    async def handle_raw(self, raw: str | bytes) -> None:
        """Parse one frame (an event or a list of them) and act on each event; bad ones are counted."""
        try:
            body = decode_json(raw, "user frame", max_chars=MAX_WS_FRAME_BYTES)
            events = body if isinstance(body, list) else [body]
            need_list(events, "user frame")
        except ParseError as exc:
            self._reject(exc.reason, exc.detail)
            return self._handled.set()
        for event in events:
            try:
                await self._event(need_dict(event, "user event"))
            except ParseError as exc:
                self._reject(exc.reason, exc.detail)
        self._handled.set()

    async def wait_until(self, predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
        """Return once `predicate()` holds, re-checked after each handled frame; TimeoutError after
        `timeout_s` seconds (for tests and the operator's checks, not the trading path)."""
        async with asyncio.timeout(timeout_s):
            while not predicate():
                self._handled.clear()
                await self._handled.wait()

    async def _event(self, event: dict) -> None:
        kind = need_str(event, "event_type", "user event").lower()
        if kind == "trade":
            return await self._trade(event)
        if kind == "order":
            return self._order(event)
        if kind in ("error", "auth"):
            return self._refused(str(event.get("message") or event.get("error") or kind))
        self._reject("unknown_event", kind[:40])

    async def _trade(self, event: dict) -> None:
        trade = bounded_trade(event)
        self.stats["trades"] += 1
        if trade["taker_order_id"] not in self.broker.tracked:
            return  # a trade of an order we did not send this run (a maker fill, another desk): REST's
        if trade.get("fee_rate_bps") is None:
            return self._reject("trade_without_fee", f"trade {trade['id']}: left to REST")
        if await self.broker.on_user_trade(trade, self.clock()):
            self.stats["fills_booked"] += 1

    def _order(self, event: dict) -> None:
        order_id = need_str(event, "id", "order")
        status = need_str(event, "status", "order") if event.get("status") is not None else ""
        self.stats["orders"] += 1
        if order_id in self.broker.tracked:
            self.order_status[order_id] = status.upper() or need_str(event, "type", "order").upper()

    def _reject(self, reason: str, detail: str) -> None:
        self.stats[reason] += 1
        log.info("polymarket_user_reject", reason=reason, detail=detail[:200])
        if self._sink is not None:
            self._sink.reject(SOURCE, reason, detail)


def bounded_trade(event: dict) -> dict:
    """The fields of a user-channel `trade` the broker reads, each bounded (wire.py): id, taker_order_id,
    status, asset_id (strings), size (contracts), price (0..1), fee_rate_bps (None if absent, else an
    integer 0..10000), maker_orders [{asset_id, price, matched_amount}]. Raises ParseError."""
    status = need_str(event, "status", "trade").upper()
    if status not in TRADE_STATUSES:
        raise ParseError("bad_status", f"trade status {status[:40]}")
    makers = []
    for maker in need_list(event.get("maker_orders") or [], "maker_orders", MAX_MAKERS):
        maker = need_dict(maker, "maker order")
        matched = size(maker.get("matched_amount"), "matched_amount")
        makers.append(
            {
                "asset_id": need_str(maker, "asset_id", "maker"),
                "price": price(maker.get("price")),
                "matched_amount": matched,
            }
        )
    fee = event.get("fee_rate_bps")
    trade_size = size(event.get("size"), "size")
    if trade_size < ONE:
        raise ParseError("bad_size", f"trade size {trade_size}")
    return {
        "id": need_str(event, "id", "trade"),
        "taker_order_id": need_str(event, "taker_order_id", "trade"),
        "status": status,
        "asset_id": need_str(event, "asset_id", "trade"),
        "size": trade_size,
        "price": price(event.get("price")),
        "fee_rate_bps": None if fee is None else to_int(fee, "fee_rate_bps", 0, 10_000),
        "maker_orders": makers,
    }
