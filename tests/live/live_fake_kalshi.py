"""A local Kalshi v2 websocket server (127.0.0.1) speaking the documented book protocol.

It keeps the true book per ticker, checks the signed handshake (RSA-PSS over
timestamp + "GET" + "/trade-api/ws/v2", 401 when invalid or older than 5 s), answers subscribe /
update_subscription / unsubscribe, and pushes orderbook_snapshot/orderbook_delta with per-sid seq.
Faults are injected per delta: "gap" (a seq is skipped), "duplicate", "swap" (two deltas out of
order), plus malformed frames and abrupt connection drops.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from decimal import Decimal
from http import HTTPStatus

from websockets.asyncio.server import serve

from arbees_engine.adapters.kalshi.auth import verify_signature
from arbees_engine.model import ONE

MAX_SKEW_MS = 5000


def _fmt(levels: dict[Decimal, Decimal], legacy: bool) -> list:
    if legacy:
        return [[int(p * 100), int(s)] for p, s in sorted(levels.items())]
    return [[f"{p:.4f}", f"{s:.2f}"] for p, s in sorted(levels.items())]


class FakeKalshiWs:
    def __init__(
        self, books: dict[str, dict[str, dict[Decimal, Decimal]]], *, public_key=None, legacy: bool = False
    ) -> None:
        self.books = books
        self.public_key = public_key
        self.legacy = legacy
        self.conns: dict[object, dict[int, dict]] = {}  # ws → sid → {channel, tickers, seq}
        self.commands: list[dict] = []
        self.rejected_handshakes = 0
        self.refuse_logins = 0  # answer this many next handshakes with HTTP 401, whatever they carry
        self.connections = 0
        self.subscribed = asyncio.Event()
        self._rejection = asyncio.Event()

    async def __aenter__(self) -> FakeKalshiWs:
        self.server = await serve(self._handler, "127.0.0.1", 0, process_request=self._auth)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()
        await self.server.wait_closed()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/trade-api/ws/v2"

    def _auth(self, connection, request):
        if self.refuse_logins > 0:
            self.refuse_logins -= 1
            self.rejected_handshakes += 1
            self._rejection.set()
            return connection.respond(HTTPStatus.UNAUTHORIZED, "authentication failed\n")
        if self.public_key is None:
            return None
        headers = dict(request.headers.raw_items())
        ts = int(headers.get("KALSHI-ACCESS-TIMESTAMP", "0") or 0)
        fresh = abs(time.time() * 1000 - ts) < MAX_SKEW_MS
        if not fresh or not verify_signature(self.public_key, headers, "GET", request.path):
            self.rejected_handshakes += 1
            self._rejection.set()
            return connection.respond(HTTPStatus.UNAUTHORIZED, "bad signature\n")
        return None

    async def wait_rejections(self, count: int, timeout: float = 5.0) -> None:
        """Return once `count` handshakes have been refused."""
        async with asyncio.timeout(timeout):
            while self.rejected_handshakes < count:
                self._rejection.clear()
                await self._rejection.wait()

    def yes_view(self, ticker: str):
        b = self.books[ticker]
        return dict(b["yes"]), {ONE - p: s for p, s in b["no"].items()}

    # ---- protocol ---------------------------------------------------------------------
    async def _handler(self, ws) -> None:
        self.connections += 1
        subs: dict[int, dict] = {}
        self.conns[ws] = subs
        sids = itertools.count(1)
        try:
            async for raw in ws:
                cmd = json.loads(raw)
                self.commands.append(cmd)
                params = cmd.get("params", {})
                if cmd["cmd"] == "subscribe":
                    for channel in params["channels"]:
                        sid = next(sids)
                        subs[sid] = {"channel": channel, "tickers": list(params["market_tickers"]), "seq": 0}
                        await ws.send(
                            json.dumps({"type": "subscribed", "id": cmd["id"], "msg": {"channel": channel, "sid": sid}})
                        )
                        if channel == "orderbook_delta":
                            for t in params["market_tickers"]:
                                await self._snapshot(ws, sid, subs[sid], t)
                    self.subscribed.set()
                elif cmd["cmd"] == "update_subscription":
                    (sid,) = params["sids"]
                    sub = subs[sid]
                    await ws.send(json.dumps({"type": "ok", "id": cmd["id"], "sid": sid}))
                    for t in params["market_tickers"]:
                        if params["action"] == "add_markets":
                            sub["tickers"].append(t)
                            if sub["channel"] == "orderbook_delta":
                                await self._snapshot(ws, sid, sub, t)
                        elif t in sub["tickers"]:
                            sub["tickers"].remove(t)
                elif cmd["cmd"] == "unsubscribe":
                    for sid in params["sids"]:
                        subs.pop(sid, None)
                    await ws.send(json.dumps({"type": "unsubscribed", "id": cmd["id"]}))
        except Exception:  # noqa: BLE001 - a client hanging up mid-frame ends its connection
            pass
        finally:
            self.conns.pop(ws, None)

    async def _snapshot(self, ws, sid: int, sub: dict, ticker: str) -> None:
        sub["seq"] += 1
        msg = {"market_ticker": ticker, "market_id": f"id-{ticker}"}
        b = self.books[ticker]
        for side in ("yes", "no"):
            if b[side]:  # an empty side is omitted, as on the real demo feed
                msg[side if self.legacy else f"{side}_dollars_fp"] = _fmt(b[side], self.legacy)
        await ws.send(json.dumps({"type": "orderbook_snapshot", "sid": sid, "seq": sub["seq"], "msg": msg}))

    def _book_subs(self, ticker: str):
        for ws, subs in list(self.conns.items()):
            for sid, sub in subs.items():
                if sub["channel"] == "orderbook_delta" and ticker in sub["tickers"]:
                    yield ws, sid, sub

    def _delta_msg(self, ticker: str, side: str, price: Decimal, change: Decimal) -> dict:
        if self.legacy:
            return {"market_ticker": ticker, "price": int(price * 100), "delta": int(change), "side": side}
        return {
            "market_ticker": ticker,
            "price_dollars": f"{price:.4f}",
            "delta_fp": f"{change:.2f}",
            "side": side,
            "ts": "2026-01-01T00:00:00Z",
        }

    def apply(self, ticker: str, side: str, price: Decimal, change: Decimal) -> None:
        levels = self.books[ticker][side]
        new = levels.get(price, Decimal(0)) + change
        assert new >= 0
        if new == 0:
            levels.pop(price, None)
        else:
            levels[price] = new

    async def delta(self, ticker: str, side: str, price, change, fault: str | None = None) -> None:
        """Change the true book and push the delta to subscribers, with an optional fault."""
        price, change = Decimal(str(price)), Decimal(str(change))
        self.apply(ticker, side, price, change)
        for ws, sid, sub in list(self._book_subs(ticker)):
            sub["seq"] += 2 if fault == "gap" else 1
            frame = json.dumps(
                {
                    "type": "orderbook_delta",
                    "sid": sid,
                    "seq": sub["seq"],
                    "msg": self._delta_msg(ticker, side, price, change),
                }
            )
            for _ in range(2 if fault == "duplicate" else 1):
                await ws.send(frame)

    async def swapped_deltas(self, ticker: str, first: tuple, second: tuple) -> None:
        """Two deltas whose frames arrive in the wrong order (seq n+2 before n+1)."""
        frames = []
        for side, price, change in (first, second):
            price, change = Decimal(str(price)), Decimal(str(change))
            self.apply(ticker, side, price, change)
            frames.append((side, price, change))
        for ws, sid, sub in list(self._book_subs(ticker)):
            seqs = (sub["seq"] + 1, sub["seq"] + 2)
            sub["seq"] += 2
            for (side, price, change), seq in reversed(list(zip(frames, seqs))):
                await ws.send(
                    json.dumps(
                        {
                            "type": "orderbook_delta",
                            "sid": sid,
                            "seq": seq,
                            "msg": self._delta_msg(ticker, side, price, change),
                        }
                    )
                )

    async def send_raw(self, raw: str) -> None:
        for ws in list(self.conns):
            await ws.send(raw)

    def next_seq(self, ticker: str) -> int:
        return next(sub["seq"] for _, _, sub in self._book_subs(ticker)) + 1

    def book_sid(self, ticker: str) -> int:
        return next(sid for _, sid, _ in self._book_subs(ticker))

    async def drop(self) -> None:
        """Abort every connection without a close frame (a network drop)."""
        for ws in list(self.conns):
            ws.transport.abort()
        self.conns.clear()
        self.subscribed.clear()
