"""The market channel's `price_change` handling: ordering, duplicates, buffering and hash checks.

Mixed into `PolymarketBookStream` (ws.py, which keeps the state these read and write) so that module
stays about the connection, snapshots and staleness. Protocol: `price_change` events carry
`price_changes[]` of {asset_id, price, size (new total, "0" removes), side BUY|SELL, hash,
best_bid, best_ask} (https://docs.polymarket.com/developers/CLOB/websocket/market-channel; legacy
shapes are normalised by `frames.changes_of`/`frames.change`).

Continuity: every `book` and `price_change` carries the venue's `hash`, the SHA1 of the asset's
whole book after the change; `book_hash.HashVerifier` recomputes it with the official client's
function (py-clob-client-v2) and compares. A mismatch ("hash_mismatch", counted) marks the asset
stale and resyncs it, so a change lost below the top of the book is caught at the next event. A
mismatch while our book is crossed is a mid-trade state (the venue hashed the book after the whole
trade): counted "hash_mid_trade", its levels are held back until the trade completes. Besides,
a book is trusted while the best bid/ask we compute equal the `best_bid`/`best_ask` the venue
reports and timestamps do not go backwards. Changes seen while a snapshot is awaited are buffered
(at most `MAX_BUFFERED` per asset) and replayed on top of it when newer.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ...model import ONE, ZERO, BookLevel, BookUpdate, BookUpdateKind
from .book_hash import HashVerifier
from .frames import change, event_ts, venue_best

MAX_BUFFERED = 500  # price changes kept per asset while its snapshot is awaited


def received_time(received_at: float) -> datetime:
    """Epoch seconds → aware UTC datetime (a BookUpdate's timestamp)."""
    return datetime.fromtimestamp(received_at, UTC)


class PriceChanges:
    """`price_change` events of a Polymarket book stream (see the module docstring)."""

    stats: Counter[str]
    asset_ids: set[str]
    books: dict[str, dict[str, dict[Decimal, Decimal]]]
    hashes: HashVerifier
    _awaiting: set[str]
    _last_ts: dict[str, int]
    _hashes: dict[str, deque[str]]
    _resyncing: dict[str, asyncio.Task]
    _buffered: dict[str, list[tuple[int | None, list, float]]]
    _resync_failed: dict[str, float]
    _held: dict[str, list[tuple[str, BookLevel]]]

    _reject: Callable[[Any, str, str], None]  # ws.py
    _stale: Callable[[str, str], list[str]]  # ws.py
    _emit: Callable[[Any, BookUpdate], None]  # ws.py

    def _price_changes(self, ev: dict, changes: list, sink, received_at: float) -> list[str]:
        """Apply one `price_change` event's changes per asset; returns the assets to resync."""
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
                received_time(received_at),
            ),
        )
        return []
