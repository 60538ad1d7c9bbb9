"""A local Polymarket CLOB market-channel server (127.0.0.1): websocket + REST `GET /book`.

Keeps the true book per asset; on `{"assets_ids": [...], "type": "market"}` sends a JSON list of
`book` events (bids ascending, asks descending: best LAST, as the venue does); pushes
`price_change` in the current (price_changes[] with best_bid/best_ask) or legacy flat schema;
answers "PING" with "PONG"; serves the REST book on the same port for resyncs, and Gamma's keyset
lists `/events/keyset` and `/markets/keyset` (`gamma_events`, `gamma_markets`); the retired offset
lists `/events` and `/markets` answer the same data with GAMMA_DEPRECATION headers, counted in
`gamma_calls` like every Gamma path. Every `hash` is
the real one: py-clob-client-v2's `generate_orderbook_summary_hash` over the whole book (min order
size "5", tick "0.01", not neg-risk, last trade "0.5", as the venue hashes them).
Faults: "lost" (change applied but never sent), "duplicate", "old" (timestamp in the past);
`freeze()`: the open sockets stay open but get nothing more and no PONG (the known CLOB failure;
REST and new connections work); `mute(asset)`: that asset's changes are not sent (with
`deaf=True` its re-subscribes are not answered either), while PINGs are.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from decimal import Decimal
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from fixture_server import GAMMA_DEPRECATION
from py_clob_client_v2.utilities import generate_orderbook_summary_hash, parse_raw_orderbook_summary
from websockets.asyncio.server import serve

GAMMA_PATHS = ("/events/keyset", "/markets/keyset", "/events", "/markets")
HASHED = {"min_order_size": "5", "tick_size": "0.01", "neg_risk": False, "last_trade_price": "0.5"}


class FakePolymarketWs:
    def __init__(self, books: dict[str, dict[str, dict[Decimal, Decimal]]]) -> None:
        self.books = books
        self.ts = 1_757_908_892_351
        self.version = 0
        self.conns: list = []
        self.pings = 0
        self.rest_calls = 0
        self.connections = 0
        self.frozen: set = set()  # connections frozen by freeze()
        self.muted: dict[str, bool] = {}  # asset → deaf to subscribes
        self.subscribes: list[dict] = []
        self.gamma_events: list = []
        self.gamma_markets: list = []
        self.gamma_calls: Counter[str] = Counter()
        self._changed = asyncio.Event()

    async def __aenter__(self) -> FakePolymarketWs:
        self.server = await serve(self._handler, "127.0.0.1", 0, process_request=self._rest)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/market"

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def wait_until(self, predicate, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    def _summary(self, asset: str, ts: int) -> dict:
        b = self.books[asset]
        return {
            "market": "0xmarket",
            "asset_id": asset,
            "timestamp": str(ts),
            "bids": [{"price": str(p), "size": str(s)} for p, s in sorted(b["bids"].items())],
            "asks": [{"price": str(p), "size": str(s)} for p, s in sorted(b["asks"].items(), reverse=True)],
            **HASHED,
        }

    def _hash(self, asset: str, ts: int) -> str:
        """The venue's hash of `asset`'s whole book at `ts`: the official client's function."""
        return generate_orderbook_summary_hash(parse_raw_orderbook_summary({**self._summary(asset, ts), "hash": ""}))

    def book_event(self, asset: str) -> dict:
        """A market-channel `book` (it carries tick_size and last_trade_price, not min_order_size/neg_risk)."""
        event = {"event_type": "book", **self._summary(asset, self.ts), "hash": self._hash(asset, self.ts)}
        del event["min_order_size"], event["neg_risk"]
        return event

    def rest_book(self, asset: str) -> dict:
        """CLOB `GET /book` (every hashed field)."""
        return {**self._summary(asset, self.ts), "hash": self._hash(asset, self.ts)}

    def freeze(self) -> None:
        """From now on the open sockets get nothing: no frame, no PONG (TCP stays open)."""
        self.frozen |= set(self.conns)

    def mute(self, asset: str, *, deaf: bool = False) -> None:
        """Stop sending `asset`'s changes (and, if `deaf`, its books on re-subscribe)."""
        self.muted[asset] = deaf

    def _rest(self, connection, request):
        url = urlsplit(request.path)
        if url.path in GAMMA_PATHS:
            return self._gamma(connection, url.path)
        if url.path != "/book":
            return None  # a websocket upgrade
        self.rest_calls += 1
        self._changed.set()
        body = self.rest_book(parse_qs(url.query)["token_id"][0])
        return connection.respond(HTTPStatus.OK, json.dumps(body))

    def _gamma(self, connection, path: str):
        self.gamma_calls[path] += 1
        kind = "events" if path.startswith("/events") else "markets"
        items = self.gamma_events if kind == "events" else self.gamma_markets
        if path.endswith("/keyset"):
            return connection.respond(HTTPStatus.OK, json.dumps({kind: items}))  # one page: no next_cursor
        response = connection.respond(HTTPStatus.OK, json.dumps(items))
        for name, value in GAMMA_DEPRECATION.items():
            response.headers[name] = value
        return response

    async def _handler(self, ws) -> None:
        self.connections += 1
        self.conns.append(ws)
        try:
            async for raw in ws:
                if ws in self.frozen:
                    continue  # read and ignored: the frozen venue never answers
                if raw == "PING":
                    self.pings += 1
                    self._changed.set()
                    await ws.send("PONG")
                    continue
                msg = json.loads(raw)
                self.subscribes.append(msg)
                self._changed.set()
                answered = [a for a in msg["assets_ids"] if a in self.books and not self.muted.get(a)]
                await ws.send(json.dumps([self.book_event(a) for a in answered]))
        except Exception:  # noqa: BLE001 - a client hanging up mid-frame ends its connection
            pass
        finally:
            if ws in self.conns:
                self.conns.remove(ws)

    def yes_view(self, asset: str):
        return dict(self.books[asset]["bids"]), dict(self.books[asset]["asks"])

    async def change(
        self, asset: str, side: str, price, size, *, fault: str | None = None, legacy: bool = False
    ) -> None:
        """Set a level's total size (0 removes) and push a price_change."""
        price, size = Decimal(str(price)), Decimal(str(size))
        levels = self.books[asset]["bids" if side == "BUY" else "asks"]
        if size == 0:
            levels.pop(price, None)
        else:
            levels[price] = size
        self.ts += 5
        self.version += 1
        if fault == "lost" or asset in self.muted:
            return
        b = self.books[asset]
        ts = self.ts - 1000 if fault == "old" else self.ts
        book_hash = self._hash(asset, ts)
        if legacy:
            event = {
                "event_type": "price_change",
                "asset_id": asset,
                "market": "0xmarket",
                "price": str(price),
                "side": side,
                "size": str(size),
                "hash": book_hash,
                "timestamp": str(ts),
            }
        else:
            event = {
                "event_type": "price_change",
                "market": "0xmarket",
                "timestamp": str(ts),
                "price_changes": [
                    {
                        "asset_id": asset,
                        "price": str(price),
                        "size": str(size),
                        "side": side,
                        "hash": book_hash,
                        "best_bid": str(max(b["bids"], default="0")),
                        "best_ask": str(min(b["asks"], default="1")),
                    }
                ],
            }
        for _ in range(2 if fault == "duplicate" else 1):
            await self.send_raw(json.dumps(event))

    async def send_raw(self, raw: str) -> None:
        for ws in list(self.conns):
            if ws not in self.frozen:
                await ws.send(raw)

    async def drop(self) -> None:
        for ws in list(self.conns):
            ws.transport.abort()
        self.conns.clear()
