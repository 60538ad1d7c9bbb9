"""The fake CLOB's user channel: a websocket server on 127.0.0.1 (own thread and event loop).

Speaks the user channel of docs.polymarket.com/market-data/websocket/user-channel: the first
frame must be `{"auth": {"apiKey", "secret", "passphrase"}, "markets": [...], "type": "user"}`
with the fake's API key; anything else is refused by closing with 1008 (`auth_refused` counts
them). `push_trade` sends a matched trade (the `/data/trades` object plus `event_type: "trade"`,
`type: "TRADE"`) to every subscriber whose markets include the trade's market (or who named
none); `push_raw` sends any text (hostile frames). `subscriptions` keeps each accepted
subscription's markets, `updates` the later `{"operation": "subscribe"}` frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading

from websockets.asyncio.server import ServerConnection, serve


class FakeUserChannel:
    def __init__(self, api_key: str, api_secret: str, api_passphrase: str) -> None:
        self.auth = {"apiKey": api_key, "secret": api_secret, "passphrase": api_passphrase}
        self.clients: dict[ServerConnection, set[str]] = {}
        self.subscriptions: list[list[str]] = []
        self.updates: list[dict] = []
        self.auth_refused = 0
        self.subscribed = threading.Event()
        self.loop = asyncio.new_event_loop()

    def start(self) -> None:
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.server = asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result(5)

    async def _serve(self):
        return await serve(self._client, "127.0.0.1", 0)

    def stop(self) -> None:
        async def close() -> None:
            self.server.close()
            # a client still connected would need the (blocked) test loop to finish its close handshake
            await asyncio.wait_for(self.server.wait_closed(), 1)

        with contextlib.suppress(TimeoutError):
            asyncio.run_coroutine_threadsafe(close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/ws/user"

    async def _client(self, ws: ServerConnection) -> None:
        try:
            first = json.loads(await ws.recv())
        except (ValueError, TypeError):
            first = {}
        if not isinstance(first, dict) or first.get("type") != "user" or first.get("auth") != self.auth:
            self.auth_refused += 1
            await ws.close(1008, "invalid api key")
            return
        markets = [str(m) for m in first.get("markets") or []]
        self.subscriptions.append(markets)
        self.clients[ws] = set(markets)
        self.subscribed.set()
        try:
            async for raw in ws:
                update = json.loads(raw)
                self.updates.append(update)
                self.clients[ws] |= set(update.get("markets") or [])
        finally:
            self.clients.pop(ws, None)

    def push_trade(self, trade: dict) -> None:
        """Send `trade` as a user-channel trade event to its market's subscribers (blocks ≤ 5 s)."""
        event = dict(trade, event_type="trade", type="TRADE", trade_owner=trade.get("owner"))
        self._send(json.dumps(event), trade.get("market"))

    def push_raw(self, text: str) -> None:
        """Send `text` as it is to every subscriber."""
        self._send(text, None)

    def _send(self, text: str, market: str | None) -> None:
        async def send() -> None:
            for ws, markets in list(self.clients.items()):
                if market is None or not markets or market in markets:
                    await ws.send(text)

        asyncio.run_coroutine_threadsafe(send(), self.loop).result(5)
