"""Shared helpers for turning untrusted wire JSON into domain values.

Every adapter parser is a pure function `dict → domain types` that raises `ParseError` (one bad
object) or returns `Rejection`s next to what it could parse (one bad element among many). Feeds
count both through `sink.reject(source, reason, detail)`.

Bounds (issue 11, "no frame can hurt the engine"): every value from a venue or feed is bounded
here BEFORE any arithmetic, by the one helper `model.bounds.bounded_number` and the limits below:
bodies are decoded with a nesting-depth limit (`decode_json`), prices are 0..1 dollars, sizes
0..MAX_LEVEL_CONTRACTS contracts with at most MAX_PLACES decimal places, integers (sequence
numbers, timestamps, scores) lie within [−2^63, 2^63), ids and text have a maximum length, lists
a maximum length. A value out of bounds is a ParseError with a stable reason, so feeds count it;
none of these checks ever expands a number (int("1e1000000") would take minutes).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import math
import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from ..model import ONE, ZERO, MoneyError
from ..model.bounds import MAX_LEVEL_CONTRACTS, MAX_PLACES, bounded_number

#: Deepest JSON nesting accepted: the deepest recorded payload nests 15 deep (ESPN scoreboards; venue
#: frames at most 5), so 20 leaves ESPN room for a few more levels. The check is one linear scan,
#: so its cost does not grow with the limit (64 once meant 64 passes: a 1 MB frame stalled 3.2 s).
MAX_JSON_DEPTH = 20
#: Most arrays + objects in one body: the most in a recorded payload is 7,745 (the 1.1 MB ESPN
#: scoreboard); a 256 KiB frame of 120,000 tiny nests took 46 ms to decode, so 40,000 (≈ 15 ms)
#: keeps any frame's decode well under the 50 ms frame budget.
MAX_JSON_CONTAINERS = 40_000
#: Largest JSON body decoded, in characters (bytes for a bytes body): 4 × the largest recorded body
#: (an ESPN scoreboard of 1.1 MB). Websocket frames have their own, smaller cap (MAX_WS_FRAME_BYTES).
MAX_JSON_CHARS = 4 * 2**20
#: Largest websocket frame accepted (websockets `max_size`, and `handle_raw`'s decode cap for
#: replays): the largest recorded frame is 35.7 KB (a Polymarket price_change burst); a full
#: Polymarket book is ~4 KB (64 levels) and at most ~13 KB (2 × 99 levels at a 0.01 tick), so an
#: initial `book` snapshot of ~60 typical books (or ~20 full ones) fits. A larger frame closes the
#: connection (code 1009) and is refused before it is read into memory.
MAX_WS_FRAME_BYTES = 256 * 2**10
#: Bodies longer than this (bytes or characters) are decoded in a worker thread (`decode_json_off_loop`),
#: so a 4 MiB body never holds the event loop; shorter ones decode in < 1 ms on the loop.
OFF_LOOP_CHARS = 64 * 2**10
#: Longest list accepted anywhere (book sides, markets per page, events, price changes).
MAX_LIST_LEN = 10_000
#: Longest id-like string (tickers, token ids, hashes, statuses) and free text (titles, rules).
MAX_ID_CHARS = 256
MAX_TEXT_CHARS = 65_536
#: Integers (sequence numbers, sids, Unix timestamps, scores) lie in [INT_MIN, INT_MAX].
INT_MAX = 2**63 - 1
INT_MIN = -(2**63)
#: Longest numeric string read as an integer or float.
_MAX_NUMBER_CHARS = 64
#: Largest generic decimal (fee rates, settlement values, minimum order sizes) in absolute value.
_MAX_DECIMAL = Decimal(10**12)


class ParseError(ValueError):
    """A wire object that cannot become a domain value.

    `reason` is a short stable code for counting ("missing_field", "bad_price", "bad_json", ...);
    `detail` says which field and value, for the log.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Rejection:
    """One element of a payload that was skipped; same codes as `ParseError`."""

    reason: str
    detail: str = ""

    @classmethod
    def of(cls, error: ParseError, where: str = "") -> Rejection:
        """Turn a ParseError into a Rejection, prefixing `where` (e.g. the event id) to the detail."""
        return cls(error.reason, f"{where}: {error.detail}" if where else error.detail)


def need_dict(value: object, what: str) -> dict:
    """Return `value` if it is a JSON object, else raise ParseError("not_object")."""
    if not isinstance(value, Mapping):
        raise ParseError("not_object", f"{what} is {type(value).__name__}, expected object")
    return dict(value)


def need_list(value: object, what: str, max_len: int = MAX_LIST_LEN) -> list:
    """Return `value` if it is a JSON array of at most `max_len` elements, else raise
    ParseError("not_list") or ParseError("too_long")."""
    if not isinstance(value, list):
        raise ParseError("not_list", f"{what} is {type(value).__name__}, expected list")
    if len(value) > max_len:
        raise ParseError("too_long", f"{what} has {len(value)} elements, more than {max_len}")
    return value


def need(obj: Mapping, key: str, what: str = "") -> object:
    """`obj[key]`, raising ParseError("missing_field") when absent or null."""
    value = obj.get(key)
    if value is None:
        raise ParseError("missing_field", f"{what + '.' if what else ''}{key} missing")
    return value


def dig(obj: object, *keys: str) -> object:
    """obj[k1][k2]... through nested objects; None as soon as a step is missing or not an object."""
    for key in keys:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def need_str(obj: Mapping, key: str, what: str = "", max_chars: int = MAX_ID_CHARS) -> str:
    """A non-empty string field of at most `max_chars` characters (numbers are accepted and
    stringified, as ids sometimes are). Raises ParseError("missing_field" | "bad_field" | "too_long")."""
    value = need(obj, key, what)
    if isinstance(value, int) and not isinstance(value, bool) and not INT_MIN <= value <= INT_MAX:
        raise ParseError("bad_field", f"{what}.{key} is an integer out of range")
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value).strip() == "":
        raise ParseError("bad_field", f"{what}.{key}={short(value)} is not a non-empty string")
    text = str(value)
    if len(text) > max_chars:
        raise ParseError("too_long", f"{what}.{key} has {len(text)} characters, more than {max_chars}")
    return text


def text(value: object, field: str, max_chars: int = MAX_TEXT_CHARS) -> str:
    """Optional free text (a title, label, rules): None/"" → ""; a string or number as text.

    Raises ParseError("bad_field") for an object/array/boolean and ParseError("too_long") past
    `max_chars` characters."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ParseError("bad_field", f"{field} is {type(value).__name__}, expected text")
    if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
        raise ParseError("bad_field", f"{field} is an integer out of range")
    out = str(value)
    if len(out) > max_chars:
        raise ParseError("too_long", f"{field} has {len(out)} characters, more than {max_chars}")
    return out


def short(value: object) -> str:
    """A log-safe repr: at most 80 characters, without ever rendering a huge container."""
    if isinstance(value, (dict, list)):
        return f"<{type(value).__name__} of {len(value)}>"
    out = repr(value) if not isinstance(value, str) or len(value) <= 80 else repr(value[:80]) + "…"
    return out[:100]


def to_int(value: object, field: str, low: int = INT_MIN, high: int = INT_MAX) -> int:
    """An integer in [low, high] from an int, an integral float or a numeric string ("26", at most
    64 characters); ParseError("bad_number") otherwise (sequence numbers, timestamps, counts)."""
    out: int | None = None
    if isinstance(value, bool):
        out = None
    elif isinstance(value, int):
        out = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 2.0**64:
        out = int(value)
    elif isinstance(value, str) and len(value) <= _MAX_NUMBER_CHARS:
        try:
            out = int(value.strip())
        except ValueError:
            out = None
    if out is None:
        raise ParseError("bad_number", f"{field}={short(value)} is not an integer")
    if not low <= out <= high:
        raise ParseError("bad_number", f"{field} is outside {low}..{high}")
    return out


def to_float(value: object, field: str) -> float:
    """A finite float from a number or numeric string (≤ 64 characters); ParseError("bad_number")
    otherwise. For probabilities and clocks, never money."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float, str))
        or (isinstance(value, str) and len(value) > _MAX_NUMBER_CHARS)
    ):
        raise ParseError("bad_number", f"{field}={short(value)} is not a number")
    try:
        out = float(value)
    except (ValueError, OverflowError):
        raise ParseError("bad_number", f"{field}={short(value)} is not a number") from None
    if not math.isfinite(out):
        raise ParseError("bad_number", f"{field}={short(value)} is not finite")
    return out


def bounded(
    value: object, field: str, *, low: Decimal, high: Decimal, reason: str, places: int = MAX_PLACES
) -> Decimal:
    """`model.bounds.bounded_number` with its MoneyError turned into ParseError(`reason`): the one
    bound every parser's numbers go through (low ≤ value ≤ high, ≤ `places` decimal places)."""
    try:
        return bounded_number(value, field=field, low=low, high=high, places=places)
    except MoneyError as exc:
        raise ParseError(reason, str(exc)[:200]) from None


def price(value: object, field: str = "price") -> Decimal:
    """A contract price in dollars within [0, 1], at most MAX_PLACES places, from a string or
    number (ccxt stringifies). Raises ParseError("bad_price") for 1.7, NaN, garbage."""
    return bounded(value, field, low=ZERO, high=ONE, reason="bad_price")


def size(value: object, field: str = "size") -> Decimal:
    """A (possibly fractional) contract count in 0..MAX_LEVEL_CONTRACTS, at most MAX_PLACES
    places. Raises ParseError("bad_size")."""
    return bounded(value, field, low=ZERO, high=MAX_LEVEL_CONTRACTS, reason="bad_size")


def size_change(value: object, field: str = "delta") -> Decimal:
    """A signed change of a level's size (a Kalshi delta) within ±MAX_LEVEL_CONTRACTS contracts.
    Raises ParseError("bad_size")."""
    return bounded(value, field, low=-MAX_LEVEL_CONTRACTS, high=MAX_LEVEL_CONTRACTS, reason="bad_size")


def decimal_or_none(value: object, field: str) -> Decimal | None:
    """An optional Decimal within ±10^12 with at most 12 decimal places (fee rates, settlement
    values, tick sizes, minimum order sizes): None or "" stays None; anything else unparsable or
    out of bounds raises ParseError("bad_number")."""
    if value is None or value == "":
        return None
    return bounded(value, field, low=-_MAX_DECIMAL, high=_MAX_DECIMAL, places=12, reason="bad_number")


def timestamp(value: object, field: str) -> datetime | None:
    """Parse an ISO-8601 time ("2026-06-14T03:30:00Z", "2026-08-14 21:00:00+00") to aware UTC.

    None or "" → None; a naive time is taken as UTC; garbage raises ParseError("bad_time").
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > _MAX_NUMBER_CHARS:
        raise ParseError("bad_time", f"{field}={short(value)}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ParseError("bad_time", f"{field}={value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def unix_time(seconds: float, field: str) -> datetime:
    """Unix seconds → aware UTC datetime; ParseError("bad_time") when out of datetime's range."""
    try:
        if not math.isfinite(seconds):
            raise ValueError("not finite")
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise ParseError("bad_time", f"{field}={seconds!r} is out of range") from None


def embedded_json_list(value: object, field: str) -> list:
    """Decode a JSON array that may arrive as a JSON-encoded string (Polymarket Gamma
    `outcomes`, `outcomePrices`, `clobTokenIds`) or already as an array.

    Raises ParseError("bad_field") when it is neither.
    """
    if isinstance(value, str):
        try:
            value = decode_json(value, field, max_depth=2)
        except ParseError:
            raise ParseError("bad_field", f"{field} is not JSON: {value[:80]!r}") from None
    if not isinstance(value, list):
        raise ParseError("bad_field", f"{field} is not a list")
    return need_list(value, field)


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET_BYTES = bytes(sorted(set(range(256)) - set(b"[]{}")))


@functools.lru_cache(maxsize=8)
def _opening_run(max_depth: int) -> re.Pattern:
    return re.compile(rb"\x02{%d}" % (max_depth + 1))  # a run of openers, as _brackets writes them


def _brackets(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass").translate(_DEPTH_STEP, _NOT_BRACKET_BYTES)


#: Openers → 2, closers → 0 (applied with everything else deleted): the running sum of these
#: steps minus the count of brackets seen is the nesting depth after each bracket.
_DEPTH_STEP = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
#: Brackets scanned per C-level step; between steps a worker thread lets the event loop run.
_SCAN_CHUNK = 64 * 2**10


def _deepest(steps: bytes) -> int:
    """The deepest nesting of `steps` (see _DEPTH_STEP): ONE linear scan, chunk by chunk, at C speed
    (itertools.accumulate/count and operator.sub, never a Python loop per bracket)."""
    deepest = depth = 0
    for start in range(0, len(steps), _SCAN_CHUNK):
        chunk = steps[start : start + _SCAN_CHUNK]
        peak = max(map(operator.sub, itertools.accumulate(chunk), itertools.count(1)))
        deepest = max(deepest, depth + peak)
        depth += sum(chunk) - len(chunk)
    return deepest


def check_depth(text: str, max_depth: int = MAX_JSON_DEPTH, max_containers: int = MAX_JSON_CONTAINERS) -> None:
    """Raise ParseError("too_deep") when JSON `text` nests arrays/objects deeper than `max_depth`,
    ParseError("too_many_containers") when it holds more than `max_containers` arrays/objects
    (the decoder's cost grows with them). Brackets inside strings do not count; brackets that do not balance are
    left to the decoder
    (ParseError("bad_json")).

    Linear in len(text) whatever the depth or shape: with no more brackets than `max_depth` there
    is nothing to check; a run of max_depth + 1 openers is refused by one regex search; else the
    strings are cut out (split on quotes when nothing is escaped, else a regex), only the brackets
    kept (one bytes.translate) and `_deepest` scans them once."""
    if text.count("[") + text.count("{") <= max_depth:
        return
    outside = "".join(text.split('"')[0::2]) if "\\" not in text else _JSON_STRING.sub("", text)
    steps = _brackets(outside)
    if _opening_run(max_depth).search(steps):
        raise ParseError("too_deep", f"JSON nests deeper than {max_depth}")
    containers = steps.count(b"\x02")
    if containers > max_containers:
        raise ParseError("too_many_containers", f"{containers} arrays/objects, more than {max_containers}")
    if _deepest(steps) > max_depth:
        raise ParseError("too_deep", f"JSON nests deeper than {max_depth}")


def _bounded_int_literal(literal: str) -> int:
    if len(literal) > _MAX_NUMBER_CHARS:
        raise ValueError(f"a {len(literal)}-digit integer")
    return int(literal)


def decode_json(
    body: bytes | str, what: str, *, max_depth: int = MAX_JSON_DEPTH, max_chars: int = MAX_JSON_CHARS
) -> object:
    """Decode an untrusted JSON body (UTF-8 bytes or text) with bounds, never raising anything but
    ParseError: "bad_json" for invalid/truncated JSON, an integer literal over 64 digits or
    non-UTF-8 bytes (NaN, Infinity and 1e400 decode to non-finite floats, which every number
    bound then refuses with its own reason, e.g. "bad_price"); "too_long" past `max_chars`; "too_deep" past `max_depth`
    nesting (checked before decoding: json's recursion would raise RecursionError). A bytes body
    is measured in bytes, before it is decoded to text."""
    if len(body) > max_chars:
        raise ParseError("too_long", f"{what}: {len(body)} characters, more than {max_chars}")
    try:
        body_text = body.decode("utf-8") if isinstance(body, (bytes, bytearray)) else body
    except UnicodeDecodeError as exc:
        raise ParseError("bad_json", f"{what}: {exc}") from None
    if not isinstance(body_text, str):
        raise ParseError("bad_json", f"{what}: a {type(body).__name__} is not JSON text")
    if len(body_text) > max_chars:
        raise ParseError("too_long", f"{what}: {len(body_text)} characters, more than {max_chars}")
    check_depth(body_text, max_depth)
    try:
        return json.loads(body_text, parse_int=_bounded_int_literal)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise ParseError("bad_json", f"{what}: {exc}"[:300]) from None


async def decode_json_off_loop(
    body: bytes | str, what: str, *, max_depth: int = MAX_JSON_DEPTH, max_chars: int = MAX_JSON_CHARS
) -> object:
    """`decode_json` for a REST body: one longer than OFF_LOOP_CHARS is decoded in a worker thread
    (asyncio.to_thread), so the event loop keeps running while a 4 MiB body is checked and decoded
    (the depth scan works in chunks, so the thread hands the GIL back between them). Same errors."""
    if len(body) <= OFF_LOOP_CHARS:
        return decode_json(body, what, max_depth=max_depth, max_chars=max_chars)
    return await asyncio.to_thread(decode_json, body, what, max_depth=max_depth, max_chars=max_chars)
