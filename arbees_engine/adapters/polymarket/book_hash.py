"""Polymarket book hashes: the `hash` of a market-channel `book` or `price_change` recomputed locally.

The venue's `hash` is the SHA1 of the asset's WHOLE book after the change, serialised as the CLOB
serialises an order book summary: compact JSON of {market, asset_id, timestamp, hash: "", bids
(ascending), asks (descending), min_order_size, tick_size, neg_risk, last_trade_price}, every
number a string as the venue sent it. The function is the official client's own:
`py_clob_client_v2.utilities.generate_orderbook_summary_hash` (py-clob-client-v2 1.2.1,
https://pypi.org/project/py-clob-client-v2/, "Server-compatible orderbook hash"). It is called,
not copied, so a change in the venue's scheme arrives with the client.

A websocket `book` does not carry `min_order_size` or `neg_risk` (and a later book may omit
`tick_size` and `last_trade_price`), yet the venue hashes them. `HashVerifier.on_book` therefore
learns an asset's hash context from its snapshot: it tries the listing's values and the venue's
usual ones until the snapshot's own hash is reproduced. An asset whose snapshot hash no candidate
reproduces is unverifiable until its next snapshot (counted; the best bid/ask check still runs).

Checked against the recorded sequence `ws_price_change_burst_with_hashes_2026.json`: both books
and 47 of its 49 YES changes reproduce; the other two are mid-trade states (the venue hashed the
book after the whole crossing trade, and our book is crossed there), see `check`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from py_clob_client_v2.clob_types import OrderBookSummary, OrderSummary
from py_clob_client_v2.utilities import generate_orderbook_summary_hash

Book = dict[str, dict[Decimal, Decimal]]  # {"bids"/"asks": {price dollars: size contracts}}

#: Candidate `min_order_size` strings when the listing's is unknown ("5" is the venue's usual
#: sports minimum, Gamma `orderMinSize`; "1" the smallest) and `neg_risk` flags.
MIN_ORDER_CANDIDATES = ("5", "1", "10", "15")
MAX_MID_TRADE = 4  # consecutive crossed-book mismatches tolerated before a resync


@dataclass(frozen=True, slots=True)
class HashContext:
    """What the venue hashes besides the levels: the condition id (`market`), the minimum order
    size (shares, string), the tick (dollars, string), neg-risk flag and last trade price (string)."""

    market: str
    min_order_size: str
    tick_size: str
    neg_risk: bool
    last_trade_price: str


def book_hash(ctx: HashContext, asset: str, timestamp: str, book: Book) -> str:
    """SHA1 hex digest (40 chars) of `book` as the venue computes it (official client function)."""
    bids = [OrderSummary(price=str(p), size=str(s)) for p, s in sorted(book["bids"].items())]
    asks = [OrderSummary(price=str(p), size=str(s)) for p, s in sorted(book["asks"].items(), reverse=True)]
    summary = OrderBookSummary(
        market=ctx.market,
        asset_id=asset,
        timestamp=timestamp,
        bids=bids,
        asks=asks,
        min_order_size=ctx.min_order_size,
        neg_risk=ctx.neg_risk,
        tick_size=ctx.tick_size,
        last_trade_price=ctx.last_trade_price,
    )
    return str(generate_orderbook_summary_hash(summary))


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= 256 else None


class HashVerifier:
    """Per-asset hash contexts and the verdict on each change (no I/O, never raises on bad input).

    hints: asset → (min_order_size string or None, neg_risk or None) from the market's listing.
    stats: the owning stream's counters; this adds "hash_ok", "hash_mid_trade", "hash_unverifiable"
    and "hash_learned" (a "mismatch" verdict is counted by the owner, which rejects the event).
    """

    def __init__(self, stats) -> None:
        self.stats = stats
        self.contexts: dict[str, HashContext] = {}
        self.hints: dict[str, tuple[str | None, bool | None]] = {}
        self._mid_trade: dict[str, int] = {}
        self._tick: dict[str, str] = {}
        self._last_trade: dict[str, str] = {}

    def on_tick(self, asset: str, tick: str) -> None:
        """A `tick_size_change` (new tick, string as sent)."""
        self._tick[asset] = tick
        if asset in self.contexts:
            self.contexts[asset] = replace(self.contexts[asset], tick_size=tick)

    def on_trade(self, asset: str, trade_price: object) -> None:
        """A `last_trade_price` event's `price` (string as sent)."""
        text = _text(trade_price)
        if text is not None:
            self._last_trade[asset] = text
            if asset in self.contexts:
                self.contexts[asset] = replace(self.contexts[asset], last_trade_price=text)

    def on_book(self, asset: str, ev: dict, book: Book) -> bool:
        """Learn the asset's context from a snapshot `ev` (its `hash` reproduced). False (counted
        "hash_unverifiable") when the snapshot has no hash or no candidate reproduces it."""
        self.contexts.pop(asset, None)
        self._mid_trade.pop(asset, None)
        wanted, ts, market = ev.get("hash"), str(ev.get("timestamp") or ""), _text(ev.get("market"))
        tick = _text(ev.get("tick_size")) or self._tick.get(asset)
        trade = _text(ev.get("last_trade_price")) or self._last_trade.get(asset)
        if not isinstance(wanted, str) or market is None or tick is None or trade is None:
            self.stats["hash_unverifiable"] += 1
            return False
        self._tick[asset], self._last_trade[asset] = tick, trade
        if _text(ev.get("min_order_size")) or isinstance(ev.get("neg_risk"), bool):  # a REST book has both
            known = self.hints.get(asset, (None, None))
            neg = ev.get("neg_risk")
            self.hints[asset] = (
                _text(ev.get("min_order_size")) or known[0],
                neg if isinstance(neg, bool) else known[1],
            )
        for ctx in self._candidates(asset, market, tick, trade):
            if book_hash(ctx, asset, ts, book) == wanted:
                self.contexts[asset] = ctx
                self.stats["hash_learned"] += 1
                return True
        self.stats["hash_unverifiable"] += 1
        return False

    def _candidates(self, asset: str, market: str, tick: str, trade: str) -> Iterable[HashContext]:
        min_order, neg_risk = self.hints.get(asset, (None, None))
        sizes = dict.fromkeys([min_order, *MIN_ORDER_CANDIDATES] if min_order else MIN_ORDER_CANDIDATES)
        flags = dict.fromkeys([neg_risk, False, True] if neg_risk is not None else [False, True])
        for flag in flags:
            for size in sizes:
                yield HashContext(market, str(size), tick, bool(flag), trade)

    def check(self, asset: str, timestamp: str, book: Book, wanted: str | None, trade_prices: Iterable[str]) -> str:
        """Verdict on the book after an event's changes for `asset`, whose last change carried
        `wanted`: "ok", "unverifiable" (no context, or no hash), "mid_trade" (mismatch while our
        book is crossed: the venue hashed the state after the whole crossing trade, which the
        next events complete; tolerated MAX_MID_TRADE times in a row) or "mismatch" (resync).
        `trade_prices`: the event's change prices, tried as the new last trade price."""
        ctx = self.contexts.get(asset)
        if ctx is None or not wanted:
            return "unverifiable"
        for trade in dict.fromkeys([ctx.last_trade_price, *trade_prices]):
            candidate = replace(ctx, last_trade_price=trade)
            if book_hash(candidate, asset, timestamp, book) == wanted:
                self.contexts[asset] = candidate
                self._last_trade[asset] = trade
                self._mid_trade.pop(asset, None)
                self.stats["hash_ok"] += 1
                return "ok"
        crossed = book["bids"] and book["asks"] and max(book["bids"]) >= min(book["asks"])
        if crossed and self._mid_trade.get(asset, 0) < MAX_MID_TRADE:
            self._mid_trade[asset] = self._mid_trade.get(asset, 0) + 1
            self.stats["hash_mid_trade"] += 1
            return "mid_trade"
        self.contexts.pop(asset, None)  # the owner counts the mismatch (its rejection "hash_mismatch")
        self._mid_trade.pop(asset, None)
        return "mismatch"

    def forget(self, asset: str) -> None:
        """Drop an asset's context (stale book, unsubscribed)."""
        self.contexts.pop(asset, None)
        self._mid_trade.pop(asset, None)


__all__ = ["Book", "HashContext", "HashVerifier", "book_hash"]
