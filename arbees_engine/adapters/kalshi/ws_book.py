"""Kalshi order-book frame parsing and per-level book arithmetic for `ws.KalshiBookStream`.

Protocol (https://docs.kalshi.com/websockets/orderbook-updates, https://docs.kalshi.com/asyncapi.yaml):
`orderbook_snapshot` carries both sides as [price, size] levels — fixed-point `yes_dollars_fp`/
`no_dollars_fp`, `yes_dollars`/`no_dollars`, or legacy cents `yes`/`no`; an empty side omits its array.
`orderbook_delta` carries one level change: `side` ("yes" | "no"), `price_dollars` (or cents `price`)
and `delta_fp` (or `delta`), a signed change in contracts.

A YES bid at p is a `yes` level; a `no` level at q is a YES ask at 1 − q. The stream keeps per-level
sizes {price dollars: contracts} per side and emits ABSOLUTE sizes (size 0 removes the level).
Bounds: prices 0..1 dollars, changes within ±10^9 contracts (adapters/wire.py); a level pushed below
0 or past `MAX_LEVEL_CONTRACTS` is refused (the caller resyncs).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from ...model import ONE, BookLevel, BookUpdate, BookUpdateKind
from ...model.bounds import MAX_LEVEL_CONTRACTS
from ..wire import price, size_change
from .parse import cents_price, parse_levels

SideLevels = dict[Decimal, Decimal]  # price dollars → size contracts, one side of one market


class FrameError(ValueError):
    """A frame that does not fit the documented schema."""


def _levels(msg: dict, side: str) -> SideLevels:
    """Snapshot side → {price dollars: size} (bounded by `parse.parse_levels`). Absent arrays
    mean an empty side. Raises ParseError."""
    for key, cents in ((f"{side}_dollars_fp", False), (f"{side}_dollars", False), (side, True)):
        if key in msg:
            levels = parse_levels(msg[key] or [], cents=cents, field=f"{side}.{key}")
            return {p: s for p, s in levels if s > 0}
    return {}


def snapshot_book(msg: dict) -> dict[str, SideLevels]:
    """`orderbook_snapshot.msg` → {"yes": levels, "no": levels}. Raises ParseError."""
    return {"yes": _levels(msg, "yes"), "no": _levels(msg, "no")}


def parse_delta(msg: dict) -> tuple[str, Decimal, Decimal]:
    """`orderbook_delta.msg` → (side "yes" | "no", price dollars, size change contracts).
    Raises ParseError/FrameError/KeyError."""
    side = msg.get("side")
    if side not in ("yes", "no"):
        raise FrameError(f"bad side {side!r:.40}")
    level_price = (
        price(msg["price_dollars"], "price_dollars") if "price_dollars" in msg else cents_price(msg["price"], "price")
    )
    change = size_change(msg["delta_fp"] if "delta_fp" in msg else msg["delta"], "delta")
    return side, level_price, change


def apply_change(levels: SideLevels, level_price: Decimal, change: Decimal) -> tuple[Decimal, str | None]:
    """Add `change` contracts to the level at `level_price` in place.

    Returns (new size, None), or (refused size, reason) with `levels` untouched when the size would
    go below 0 ("negative_level") or past MAX_LEVEL_CONTRACTS ("oversized_level"). Size 0 removes
    the level."""
    size = levels.get(level_price, Decimal(0)) + change
    if size < 0:
        return size, "negative_level"
    if size > MAX_LEVEL_CONTRACTS:
        return size, "oversized_level"
    if size == 0:
        levels.pop(level_price, None)
    else:
        levels[level_price] = size
    return size, None


def book_top(book: dict[str, SideLevels]) -> tuple[Decimal | None, Decimal | None]:
    """(best YES bid, best YES ask) in dollars of a {"yes", "no"} book; None for an empty side."""
    no_bid = max(book["no"], default=None)
    return max(book["yes"], default=None), None if no_bid is None else ONE - no_bid


def side_levels(levels: SideLevels, invert: bool) -> tuple[BookLevel, ...]:
    """One side as YES-price BookLevels sorted by venue price (`invert`: a NO level at q is 1 − q)."""
    return tuple(BookLevel(ONE - p if invert else p, s) for p, s in sorted(levels.items()))


def snapshot_update(ticker: str, book: dict[str, SideLevels], seq: int, received_at: float) -> BookUpdate:
    """The SNAPSHOT BookUpdate of market "kalshi:<ticker>" (received_at: epoch seconds)."""
    return BookUpdate(
        f"kalshi:{ticker}",
        side_levels(book["yes"], False),
        side_levels(book["no"], True),
        BookUpdateKind.SNAPSHOT,
        seq,
        ts(received_at),
    )


def delta_update(
    ticker: str, side: str, level_price: Decimal, size: Decimal, seq: int, received_at: float
) -> BookUpdate:
    """The SET_LEVELS BookUpdate for one level's absolute `size` (contracts) after a delta."""
    lv = (BookLevel(ONE - level_price if side == "no" else level_price, size),)
    return BookUpdate(
        f"kalshi:{ticker}",
        lv if side == "yes" else (),
        lv if side == "no" else (),
        BookUpdateKind.SET_LEVELS,
        seq,
        ts(received_at),
    )


def ts(received_at: float) -> datetime:
    """Epoch seconds → aware UTC datetime."""
    return datetime.fromtimestamp(received_at, UTC)
