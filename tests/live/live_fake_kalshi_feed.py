"""FakeKalshiWs plus what the feed watchdog needs: REST `GET /markets/{t}/orderbook` on the same port
(127.0.0.1) and `freeze()`, a connection that stays open but is neither written nor read any more
(no deltas, no command answers, no protocol pongs: the frozen-TCP failure)."""

from __future__ import annotations

import json
import re
from http import HTTPStatus

from live_fake_kalshi import FakeKalshiWs, _fmt
from websockets.asyncio.server import serve

_ORDERBOOK = re.compile(r"^/trade-api/v2/markets/([A-Za-z0-9._-]+)/orderbook$")


class FeedFakeKalshi(FakeKalshiWs):
    """FakeKalshiWs with the REST order book and freezable connections."""

    def __init__(self, books, **kw) -> None:
        super().__init__(books, **kw)
        self.frozen: set = set()
        self.rest_calls = 0

    async def __aenter__(self) -> FeedFakeKalshi:
        self.server = await serve(self._handler, "127.0.0.1", 0, process_request=self._request)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        for ws in list(self.frozen):
            ws.transport.abort()  # a frozen connection would hold the close handshake for its timeout
        await super().__aexit__(*exc)

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/trade-api/v2"

    def _request(self, connection, request):
        match = _ORDERBOOK.match(request.path.split("?")[0])
        if match is None:
            return self._auth(connection, request)
        self.rest_calls += 1
        book = self.books[match.group(1)]
        body = {"orderbook_fp": {f"{side}_dollars": _fmt(book[side], False) for side in ("yes", "no")}}
        return connection.respond(HTTPStatus.OK, json.dumps(body))

    def freeze(self) -> None:
        """The open connections go dead with TCP up: nothing sent, nothing read (so no pongs)."""
        for ws in list(self.conns):
            self.frozen.add(ws)
            ws.transport.pause_reading()

    def _book_subs(self, ticker: str):
        for ws, sid, sub in super()._book_subs(ticker):
            if ws not in self.frozen:
                yield ws, sid, sub
