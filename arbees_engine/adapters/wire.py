"""Shared helpers for turning untrusted wire JSON into domain values.

Every adapter parser is a pure function `dict → domain types` that raises `ParseError` (one bad
object) or returns `Rejection`s next to what it could parse (one bad element among many). Feeds
count both through `sink.reject(source, reason, detail)`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from ..model import MoneyError, to_decimal, to_price


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
    def of(cls, error: ParseError, where: str = "") -> "Rejection":
        """Turn a ParseError into a Rejection, prefixing `where` (e.g. the event id) to the detail."""
        return cls(error.reason, f"{where}: {error.detail}" if where else error.detail)


def need_dict(value: object, what: str) -> dict:
    """Return `value` if it is a JSON object, else raise ParseError("not_object")."""
    if not isinstance(value, Mapping):
        raise ParseError("not_object", f"{what} is {type(value).__name__}, expected object")
    return dict(value)


def need_list(value: object, what: str) -> list:
    """Return `value` if it is a JSON array, else raise ParseError("not_list")."""
    if not isinstance(value, list):
        raise ParseError("not_list", f"{what} is {type(value).__name__}, expected list")
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


def need_str(obj: Mapping, key: str, what: str = "") -> str:
    """A non-empty string field (numbers are accepted and stringified, as ids sometimes are)."""
    value = need(obj, key, what)
    if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value).strip() == "":
        raise ParseError("bad_field", f"{what}.{key}={value!r} is not a non-empty string")
    return str(value)


def to_int(value: object, field: str) -> int:
    """An integer from an int or a numeric string ("26"); ParseError("bad_number") otherwise."""
    if isinstance(value, bool):
        raise ParseError("bad_number", f"{field}={value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ParseError("bad_number", f"{field}={value!r} is not an integer")


def to_float(value: object, field: str) -> float:
    """A finite float from a number or numeric string; ParseError("bad_number") otherwise."""
    if isinstance(value, bool):
        raise ParseError("bad_number", f"{field}={value!r}")
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ParseError("bad_number", f"{field}={value!r} is not a number") from None
    if not math.isfinite(out):
        raise ParseError("bad_number", f"{field}={value!r} is not finite")
    return out


def price(value: object, field: str = "price") -> Decimal:
    """A contract price in dollars within [0, 1] from a string or number (ccxt stringifies).

    Raises ParseError("bad_price") for 1.7, NaN, garbage.
    """
    try:
        return to_price(value, field=field)
    except MoneyError as exc:
        raise ParseError("bad_price", str(exc)) from None


def size(value: object, field: str = "size") -> Decimal:
    """A non-negative (possibly fractional) contract count. Raises ParseError("bad_size")."""
    try:
        out = to_decimal(value, field=field)
    except MoneyError as exc:
        raise ParseError("bad_size", str(exc)) from None
    if out < 0:
        raise ParseError("bad_size", f"{field}={out} < 0")
    return out


def decimal_or_none(value: object, field: str) -> Decimal | None:
    """An optional finite Decimal: None stays None, anything unparsable raises ParseError."""
    if value is None or value == "":
        return None
    try:
        return to_decimal(value, field=field)
    except MoneyError as exc:
        raise ParseError("bad_number", str(exc)) from None


def timestamp(value: object, field: str) -> datetime | None:
    """Parse an ISO-8601 time ("2026-06-14T03:30:00Z", "2026-08-14 21:00:00+00") to aware UTC.

    None or "" → None; a naive time is taken as UTC; garbage raises ParseError("bad_time").
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ParseError("bad_time", f"{field}={value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ParseError("bad_time", f"{field}={value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def unix_time(seconds: float, field: str) -> datetime:
    """Unix seconds → aware UTC datetime; ParseError("bad_time") when out of datetime's range."""
    try:
        return datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, OSError, ValueError):
        raise ParseError("bad_time", f"{field}={seconds!r} is out of range") from None


def embedded_json_list(value: object, field: str) -> list:
    """Decode a JSON array that may arrive as a JSON-encoded string (Polymarket Gamma
    `outcomes`, `outcomePrices`, `clobTokenIds`) or already as an array.

    Raises ParseError("bad_field") when it is neither.
    """
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ParseError("bad_field", f"{field} is not JSON: {value[:80]!r}") from None
    if not isinstance(value, list):
        raise ParseError("bad_field", f"{field} is not a list")
    return value


def decode_json(body: bytes | str, what: str) -> object:
    """json.loads that raises ParseError("bad_json") for truncated or invalid bodies (NaN allowed
    by Python's decoder is refused later by the price checks)."""
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ParseError("bad_json", f"{what}: {exc}") from None
