"""Hostile mutations of recorded venue/feed payloads, for the frame benchmark and the fuzz test.

A mutation takes one recorded JSON payload and returns the raw text a hostile or broken venue
could send instead: one value replaced (`replaced`) by a hostile value (`HOSTILE_VALUES`: huge
exponents, NaN/Infinity, negatives, wrong types, huge strings and integers), or the whole text
damaged (`RAW_MUTATIONS`: deep nesting, many wide-and-deep nests (the 1 MB frame that once held the
event loop 3.2 s while its depth was checked in 64 passes), truncation, bytes that are not UTF-8, huge lists).
These are the classes that once stalled the event loop (a size of "1e1000000": 78 s) or raised
out of a parser (RecursionError, OverflowError, decimal.Overflow, AttributeError, TypeError).
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator

HUGE_TEXT = "9" * 1_000_000  # a 1 MB string where a number or id belongs

#: Values put in place of any one field of a recorded payload.
HOSTILE_VALUES: tuple[object, ...] = (
    "1e1000000",
    "1e10000000",
    "-1e1000000",
    "1e-1000000",
    "9e999999",
    "1E+999999999",
    10**4000,
    -(10**4000),
    2**64,
    -(2**63) - 1,
    -1,
    "-1",
    -0.5,
    0,
    "0",
    1.7,
    "1.7",
    float("nan"),
    float("inf"),
    float("-inf"),
    "NaN",
    "Infinity",
    "-Infinity",
    "sNaN",
    "0.1234567891234",
    "1" * 60,
    "0x10",
    " 1 ",
    "1_000",
    True,
    False,
    None,
    "",
    {},
    [],
    {"a": {"b": [1, {"c": None}]}},
    [[1, 2], [3]],
    [["0.5", "1e1000000"]],
    "x" * 100_000,
    HUGE_TEXT,
    "\u0000\udcff",
    "[" * 50,
    [["0.50", "1"]] * 20_000,
    [{"price": "0.5", "size": "1", "side": "BUY", "asset_id": "a"}] * 20_000,
)


def paths(node: object, prefix: tuple = ()) -> list[tuple]:
    """Every key/index path inside a JSON value (the root is ())."""
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, prefix + (index,))
    return found


def replaced(payload: object, path: tuple, value: object) -> object:
    """A deep copy of `payload` with the value at `path` replaced by `value` (root: `value`)."""
    if not path:
        return value
    out = copy.deepcopy(payload)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


def dumps(payload: object) -> str:
    """JSON text of `payload` as a venue would send it (NaN/Infinity written as Python does)."""
    return json.dumps(payload, separators=(",", ":"))


def _deep(text: str, depth: int) -> str:
    return "[" * depth + text + "]" * depth


def _nests(depth: int, size: int, inner: str = "") -> str:
    """Comma-separated `depth`-deep nests of `inner` filling about `size` characters."""
    nest = _deep(inner, depth)
    return ",".join([nest] * max(1, size // (len(nest) + 1)))


def _kalshi_delta_of(nests: str) -> str:
    """The 1 MB frame that stalled the Kalshi/Polymarket streams 2-3 s when depth took 64 passes."""
    return '{"type":"orderbook_delta","sid":1,"seq":2,"msg":[' + nests + "]}"


def _in_frame(text: str, value: str) -> str:
    """`text` (a JSON object or array) with `value` as its first member/element: the frame keeps
    its type, so the damage reaches as deep into the parser as the bounds let it."""
    if text.startswith("{") and len(text) > 2:
        return '{"x":' + value + "," + text[1:]
    if text.startswith("[") and len(text) > 2:
        return "[" + value + "," + text[1:]
    return "[" + value + "]"


#: Whole-text mutations: name → function of the recorded frame's text.
RAW_MUTATIONS: dict[str, Callable[[str], str | bytes]] = {
    "deep_array": lambda text: _deep(text, 100_000),
    "deep_object": lambda text: '{"a":' * 50_000 + text + "}" * 50_000,
    "deep_unclosed": lambda text: "[" * 1_000_000,
    "nested_65": lambda text: _deep(text, 65),
    "truncated": lambda text: text[: len(text) // 2],
    "not_utf8": lambda text: b"\xff\xfe" + text.encode(),
    "empty": lambda text: "",
    "huge_int_literal": lambda text: "[" + "9" * 5000 + "]",
    "many_levels": lambda text: dumps([[f"0.{i % 100:02d}", "1"] for i in range(70_000)]),  # < 1 MiB
    "over_4_mib": lambda text: " " * (4 * 2**20) + text,
    "list_of_frames": lambda text: "[" + ",".join([text] * 50) + "]",
    # Wide and deep: many nests just past or under the depth limit (no long run of openers).
    "deep_nests_1mb": lambda text: _kalshi_delta_of(_nests(60, 1_040_000)),
    "deep_nests_ws_cap": lambda text: _kalshi_delta_of(_nests(60, 250_000)),
    "deep_nests_4mib": lambda text: _kalshi_delta_of(_nests(21, 4 * 2**20 - 100)),
    "nests_at_limit_ws_cap": lambda text: _in_frame(text, "[" + _nests(18, 250_000, "1") + "]"),
    "nests_at_limit_1mb": lambda text: _in_frame(text, "[" + _nests(18, 1_000_000, '"a"') + "]"),
    "many_small_lists": lambda text: _in_frame(text, "[" + _nests(2, 250_000, "0") + "]"),
    "many_small_lists_4mib": lambda text: _in_frame(text, "[" + _nests(3, 4 * 2**20 - 100 - len(text)) + "]"),
}


def value_mutations(payload: object, rng: random.Random, max_paths: int) -> Iterator[tuple[str, str]]:
    """(label, raw text) for up to `max_paths` paths of `payload` (chosen by `rng`, always
    including the root) × every HOSTILE_VALUES entry."""
    all_paths = paths(payload)
    chosen = all_paths if len(all_paths) <= max_paths else [()] + rng.sample(all_paths[1:], max_paths - 1)
    for path in chosen:
        for index, value in enumerate(HOSTILE_VALUES):
            yield f"value[{index}]@{'/'.join(map(str, path))[:60]}", dumps(replaced(payload, path, value))


def raw_mutations(payload: object) -> Iterator[tuple[str, str | bytes]]:
    """(label, raw text or bytes) for every RAW_MUTATIONS entry applied to `payload`'s text."""
    text = dumps(payload)
    for name, mutate in RAW_MUTATIONS.items():
        yield name, mutate(text)
