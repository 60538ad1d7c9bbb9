"""Bounded pieces of Polymarket market-channel events (pure functions; `ws.py` keeps the state).

Shapes as in `ws.py` (https://docs.polymarket.com/developers/CLOB/websocket/market-channel).
Every number goes through the shared bounds of `adapters/wire.py`: prices 0..1 dollars, sizes
0..10^9 contracts with at most 6 places, timestamps Unix milliseconds in 0..MAX_TIMESTAMP_MS, ids
and hashes at most 256 characters, lists at most 10,000 elements. Each function raises
ParseError or FrameError (both ValueErrors) and nothing else.
"""

from __future__ import annotations

from decimal import Decimal

from ...model import BookLevel
from ..wire import ParseError, need_dict, need_list, need_str, price, size, to_int

#: Latest venue timestamp accepted, Unix milliseconds (year 5138): far beyond any real clock, and
#: small enough that ordering comparisons are plain int comparisons.
MAX_TIMESTAMP_MS = 10**14
_SIDES = {"BUY": "bids", "SELL": "asks"}


class FrameError(ValueError):
    """An event that does not fit the documented schema."""


def asset_id(obj: dict, what: str = "event") -> str:
    """The event's `asset_id` (a YES/NO token id), at most 256 characters. Raises ParseError."""
    return need_str(obj, "asset_id", what)


def book_side(levels: object, field: str) -> dict[Decimal, Decimal]:
    """[{price, size}, ...] (absent → empty) → {price dollars: size contracts}, sizes 0 dropped."""
    out: dict[Decimal, Decimal] = {}
    for level in need_list(levels or [], field):
        level = need_dict(level, f"{field}[]")
        level_size = size(level.get("size"), f"{field}.size")
        level_price = price(level.get("price"), f"{field}.price")
        if level_size > 0:
            out[level_price] = level_size
    return out


def event_ts(ev: dict) -> int | None:
    """The event's `timestamp` (Unix ms, string or number) or None when absent/empty/0-like.
    Raises ParseError("bad_number") outside 0..MAX_TIMESTAMP_MS."""
    raw = ev.get("timestamp")
    if raw is None or raw == "":
        return None
    return to_int(raw, "timestamp", 0, MAX_TIMESTAMP_MS) or None


def order_hash(obj: dict) -> str | None:
    """A `book`'s or change's `hash` (SHA1 hex of the asset's whole book after it, recomputed by
    book_hash.py) or None; FrameError unless a string of at most 256 characters."""
    value = obj.get("hash")
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 256:
        raise FrameError("hash is not a string of at most 256 characters")
    return value


def change(ch: object) -> tuple[str, tuple[str, Decimal, Decimal], str | None, dict]:
    """One price change → (asset id, (side "bids"/"asks", price dollars, new size), hash, raw).
    Raises ParseError/FrameError."""
    ch = need_dict(ch, "price_change")
    side = _SIDES.get(ch.get("side").upper()) if isinstance(ch.get("side"), str) else None
    if side is None:
        raise FrameError(f"bad side {str(ch.get('side'))[:20]!r}")
    parsed = (side, price(ch.get("price"), "price_change.price"), size(ch.get("size"), "price_change.size"))
    return asset_id(ch, "price_change"), parsed, order_hash(ch), ch


def changes_of(ev: dict) -> list:
    """The change objects of a `price_change` event: `price_changes[]` (current schema), else the
    legacy `changes[]` or the event itself as one flat change, carrying the event's asset/hash."""
    if "price_changes" in ev:
        return need_list(ev["price_changes"], "price_changes")
    legacy = need_list(ev.get("changes") or [ev], "changes")
    top = {"asset_id": asset_id(ev), "hash": ev.get("hash")}
    return [{**need_dict(c, "changes[]"), **top} for c in legacy]


def venue_best(last: dict) -> tuple[Decimal, Decimal] | None:
    """(best_bid, best_ask) dollars the venue reported with a change, or None when not both given."""
    if "best_bid" not in last or "best_ask" not in last:
        return None
    return price(last["best_bid"], "best_bid"), price(last["best_ask"], "best_ask")


def asset_ids(event: object) -> set[str]:
    """Asset ids an event names (top level or in price_changes[]), for marking them stale.
    Never raises: it runs on events that already failed to parse."""
    if not isinstance(event, dict):
        return set()
    found = [event.get("asset_id")]
    changes = event.get("price_changes")
    if isinstance(changes, list):
        found += [c.get("asset_id") for c in changes[:10_000] if isinstance(c, dict)]
    return {i for i in found if isinstance(i, str) and 0 < len(i) <= 256}


def levels(side: dict[Decimal, Decimal]) -> tuple[BookLevel, ...]:
    """{price: size} → BookLevels in ascending price order."""
    return tuple(BookLevel(p, s) for p, s in sorted(side.items()))


__all__ = [
    "MAX_TIMESTAMP_MS",
    "FrameError",
    "ParseError",
    "asset_id",
    "asset_ids",
    "book_side",
    "change",
    "changes_of",
    "event_ts",
    "levels",
    "order_hash",
    "venue_best",
]
