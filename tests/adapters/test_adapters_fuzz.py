"""Property: replacing any part of a recorded payload with arbitrary JSON never makes a parser
raise anything but ParseError (so feeds can count it instead of crashing)."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arbees_engine.adapters.espn import parse_scoreboard, parse_summary
from arbees_engine.adapters.kalshi import parse_event, parse_markets, parse_orderbook, parse_trades
from arbees_engine.adapters.polymarket import parse_book, parse_events, parse_market, parse_prices_history
from arbees_engine.adapters.wire import ParseError
from arbees_engine.model import League
from fixture_server import load_fixture

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
    | st.sampled_from(["1.7", "NaN", "-1", "0.5", "", "post", "in", "home", "[\"a\"]", "2026-01-01T00:00:00Z"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)

CASES: list[tuple[str, str, Callable[[object], object]]] = [
    ("espn", "scoreboard_nfl_2022wk1_in_post_pre.json", lambda p: parse_scoreboard(p, League.NFL)),
    ("espn", "scoreboard_soccer_eng1_ft_and_postponed_20260321.json", lambda p: parse_scoreboard(p, League.EPL)),
    ("espn", "summary_nba_final_401810433.json", lambda p: parse_summary(p, League.NBA)),
    ("kalshi", "markets_open_two_tickers.json", parse_markets),
    ("kalshi", "event_nba_game_settled.json", parse_event),
    ("kalshi", "orderbook_fp_mlb_depth5.json", lambda p: parse_orderbook(p, "m")),
    ("kalshi", "trades_KXELONMARS-99.json", parse_trades),
    ("polymarket", "gamma_events_sports_game_mlp_open.json", parse_events),
    ("polymarket", "gamma_market_sports_moneyline_resolved_cs2.json", parse_market),
    ("polymarket", "clob_book_rest_negrisk_trimmed.json", lambda p: parse_book(p, "m")),
    ("polymarket", "clob_prices_history_stringified.json", parse_prices_history),
]


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
    if not path:
        return value
    out = copy.deepcopy(payload)
    node = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return out


@pytest.mark.parametrize(("venue", "name", "parse"), CASES, ids=[c[1] for c in CASES])
def test_mutated_payloads_only_raise_parse_error(venue: str, name: str, parse: Callable[[object], object]) -> None:
    payload = load_fixture(venue, name)
    all_paths = paths(payload)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(index=st.integers(0, len(all_paths) - 1), value=JSON)
    def check(index: int, value: object) -> None:
        try:
            parse(replaced(payload, all_paths[index], value))
        except ParseError:
            pass

    check()
