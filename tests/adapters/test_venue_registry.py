"""The venue registry (adapters/registry.py) and the evidence the venue parsers attach at parse time.

Matching reads only `ListingEvidence`; these tests pin that every parsed listing carries it, that
a listing no adapter read is refused, and that the registry is the one place venues are named.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from decimal import Decimal as D

import pytest
from fixture_server import load_fixture

from arbees_engine.adapters import registry
from arbees_engine.adapters.kalshi import parse_markets
from arbees_engine.adapters.polymarket.parse import parse_events
from arbees_engine.matching import Matcher, Refusal
from arbees_engine.model import League, MarketListing, Venue
from arbees_engine.ops.builder import build_engine, recording_meta
from arbees_engine.settings import Settings

TAPERED_RANGES = [
    {"start": "0.0000", "end": "0.1000", "step": "0.0010"},
    {"start": "0.1000", "end": "0.9000", "step": "0.0100"},
    {"start": "0.9000", "end": "1.0000", "step": "0.0010"},
]


def _kalshi_listings(**changes) -> list[MarketListing]:
    payload = load_fixture("kalshi", "markets_nba_game_settled.json")
    payload["markets"] = [dict(m, **changes) for m in payload["markets"]]
    return parse_markets(payload)[0]


def test_a_parsed_kalshi_listing_carries_its_ticker_evidence():
    sas = next(item for item in _kalshi_listings() if item.venue_market_id.endswith("-SAS"))
    ev = sas.evidence
    assert ev is not None and ev.refusal is None
    assert dict(ev.leagues)["kalshi_series"] is League.NBA
    assert ev.pairs[0].method == "kalshi_ticker" and ev.pairs[0].blob == "NYKSAS"
    assert ev.yes_code == "SAS" and not ev.start_is_scheduled and ev.yes_only_if_stated


def test_a_polymarket_listing_of_an_unknown_league_carries_the_refusal():
    listings, _ = parse_events(load_fixture("polymarket", "gamma_events_sports_game_mlp_open.json"))
    assert listings and all(item.evidence is not None for item in listings)
    assert {item.evidence.refusal[0] for item in listings if item.evidence.refusal} == {"unknown_league"}


def test_a_listing_no_adapter_read_is_refused_not_matched():
    sas = next(item for item in _kalshi_listings() if item.venue_market_id.endswith("-SAS"))
    result = Matcher().match(replace(sas, evidence=None))
    assert isinstance(result, Refusal) and result.reason_code == "unknown_venue"


def test_the_parsed_grid_is_typed_and_reaches_the_market():
    tapered = _kalshi_listings(price_level_structure="tapered_deci_cent", price_ranges=TAPERED_RANGES)[0]
    assert tapered.tick == D("0.001") and len(tapered.tick_schedule.ranges) == 3 and tapered.tick_refused == ""
    broken = _kalshi_listings(price_ranges=[{"start": "0", "end": "1", "step": "0"}])[0]
    assert broken.tick_schedule is None and broken.tick_refused


def test_with_evidence_reads_a_hand_built_listing_as_its_parser_would():
    listing = MarketListing(
        Venue.POLYMARKET,
        "tok",
        "nba-nyk-sas-2026-06-13",
        "Knicks vs. Spurs",
        "Spurs",
        "Knicks",
        slug="nba-nyk-sas-2026-06-13",
        extra={"sports_market_type": "spreads"},
    )
    assert registry.with_evidence(listing).evidence.refusal[0] == "not_moneyline"
    moneyline = registry.with_evidence(replace(listing, extra={"sports_market_type": "moneyline"})).evidence
    assert moneyline.yes_label == "Spurs" and moneyline.start_is_scheduled


def test_unknown_names_are_refused_with_the_registered_ones():
    with pytest.raises(ValueError, match=r"unknown venue 'betfair' .*sim, kalshi, polymarket"):
        registry.venue_entry("betfair")
    args = argparse.Namespace(venue="kalshi,betfair", replay=None, feed=None, seed=1, speed=1.0, games=1)
    with pytest.raises(ValueError, match="unknown venue 'betfair'"):
        build_engine(Settings(), args, store=None, redis_url=None)


def test_doctor_probes_and_recording_meta_come_from_the_venue_folders():
    settings = Settings()
    labels = [label for label, _ in registry.probes(settings, ["kalshi", "polymarket", "espn", "nope"])]
    assert labels == ["Kalshi", "Polymarket Gamma", "Polymarket CLOB", "ESPN"]
    meta = recording_meta(settings, ["kalshi"])
    assert list(meta) == [
        "venues",
        "espn_leagues",
        "espn_base_url",
        "kalshi_base_url",
        "kalshi_series",
        "polymarket_gamma_url",
        "polymarket_clob_url",
    ]
