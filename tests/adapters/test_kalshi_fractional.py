"""Kalshi's per-market fractional trading flag → the market's contract step, on recorded payloads.

The recorded GET /markets payloads (../shared/fixtures/kalshi, SOURCES.md) carry
`fractional_trading_enabled: true`; the official SDK's Market model (`kalshi-typescript` 3.30.0,
models/market.ts) does not list the field yet but documents every `*_fp` count as "Fractional
contract values (e.g., "2.50") are supported; the minimum granularity is 0.01 contracts".
"""

from __future__ import annotations

import copy
from decimal import Decimal as D

from fixture_server import load_fixture

from arbees_engine.adapters.kalshi import parse_markets


def _payload(flag: object) -> dict:
    payload = copy.deepcopy(load_fixture("kalshi", "markets_open_two_tickers.json"))
    for market in payload["markets"]:
        if flag is ...:
            market.pop("fractional_trading_enabled", None)
        else:
            market["fractional_trading_enabled"] = flag
    return payload


def test_the_recorded_markets_are_fractional_on_a_hundredth() -> None:
    raw = load_fixture("kalshi", "markets_open_two_tickers.json")
    assert {m["fractional_trading_enabled"] for m in raw["markets"]} == {True}  # as recorded
    listings, _, rejections = parse_markets(raw)
    assert listings and {(x.contract_step, x.min_order_contracts) for x in listings} == {(D("0.01"), D("0.01"))}
    assert not rejections


def test_a_market_without_the_flag_or_with_it_false_trades_whole_contracts() -> None:
    for flag in (..., False, None):
        listings, _, rejections = parse_markets(_payload(flag))
        assert {x.contract_step for x in listings} == {D(1)} and not rejections


def test_a_malformed_flag_keeps_the_market_whole_and_is_counted() -> None:
    listings, _, rejections = parse_markets(_payload("yes"))
    assert {x.contract_step for x in listings} == {D(1)}
    assert {r.reason for r in rejections} == {"bad_contract_step"} and len(rejections) == len(listings)
