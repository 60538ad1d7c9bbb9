"""Test helpers: build MarketListings from the recorded venue JSON and GameStates from plain rows.

Independent of the adapters' parse code on purpose (they are written concurrently); this reads
only the fields the matcher needs, json.loads-ing Polymarket's JSON-encoded string fields.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from arbees_engine.adapters.registry import with_evidence
from arbees_engine.model import (
    LEAGUE_SPORT,
    FeeKind,
    FeeSchedule,
    GameState,
    GameStatus,
    League,
    MarketListing,
    Team,
    Venue,
)

HERE = Path(__file__).resolve().parent
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
FIXTURES = SHARED / "fixtures"


def load_fixture(*parts: str):
    """Parsed JSON of a shared fixture file."""
    return json.loads((FIXTURES.joinpath(*parts)).read_text())


def kalshi_listing(market: dict, event: dict | None = None) -> MarketListing:
    """MarketListing from a Kalshi `GET /markets` market object (and optionally its event)."""
    step = market.get("price_ranges", [{}])[0].get("step", "0.01")
    return with_evidence(
        MarketListing(
            venue=Venue.KALSHI,
            venue_market_id=market["ticker"],
            event_id=market["event_ticker"],
            title=market.get("title", ""),
            yes_label=market.get("yes_sub_title", ""),
            no_label=market.get("no_sub_title", ""),
            league_hint=(event or {}).get("series_ticker", ""),
            status="settled" if market.get("status") in ("finalized", "settled") else "open",
            result=market.get("result") or None,
            tick=Decimal(str(step)),
            rules=" ".join(filter(None, (market.get("rules_primary", ""), market.get("rules_secondary", "")))),
        )
    )


def polymarket_listing(market: dict, event: dict | None = None) -> MarketListing:
    """MarketListing from a Gamma market object (+ its event with `teams`/`slug`/`seriesSlug`)."""
    event = event or (market.get("events") or [{}])[0]
    outcomes = json.loads(market["outcomes"])
    tokens = json.loads(market["clobTokenIds"])
    teams = tuple(t["name"] for t in event.get("teams", []))
    roles = {t["name"]: t["ordering"] for t in event.get("teams", []) if t.get("ordering")}
    fee = market.get("feeSchedule") or {}
    return with_evidence(
        MarketListing(
            venue=Venue.POLYMARKET,
            venue_market_id=tokens[0],
            event_id=event.get("slug", market.get("slug", "")),
            title=market["question"],
            yes_label=outcomes[0],
            no_label=outcomes[1] if len(outcomes) > 1 else "",
            teams=teams,
            team_roles=roles,
            league_hint=event.get("seriesSlug", ""),
            tick=Decimal(str(market.get("orderPriceMinTickSize", "0.01"))),
            fees=FeeSchedule(
                FeeKind.POLYMARKET, Decimal(str(fee.get("rate", 0))), Decimal(0), int(fee.get("exponent", 1))
            ),
            rules=market.get("description", ""),
            no_token_id=tokens[1] if len(tokens) > 1 else None,
            slug=market.get("slug", ""),
            extra={"sports_market_type": market.get("sportsMarketType", "")},
        )
    )


def game(
    game_id: str, league: str, home: tuple[str, str], away: tuple[str, str], start: str, status: str = "scheduled"
) -> GameState:
    """GameState as the ESPN adapter would give it (abbr/name pairs, ISO UTC start)."""
    lg = League(league)
    return GameState(
        game_id=game_id,
        sport=LEAGUE_SPORT[lg],
        league=lg,
        home=Team(*home),
        away=Team(*away),
        status=GameStatus(status),
        start_time=datetime.fromisoformat(start.replace("Z", "+00:00")),
    )


def listing_from_row(venue: str, row: dict) -> MarketListing:
    """MarketListing from a table row's "listing" object (JSON-friendly fields only)."""
    starts = row.get("starts_at")
    return with_evidence(
        MarketListing(
            venue=Venue(venue),
            venue_market_id=row["venue_market_id"],
            event_id=row.get("event_id", ""),
            title=row.get("title", ""),
            yes_label=row.get("yes_label", ""),
            no_label=row.get("no_label", ""),
            teams=tuple(row.get("teams", ())),
            league_hint=row.get("league_hint", ""),
            starts_at=datetime.fromisoformat(starts.replace("Z", "+00:00")) if starts else None,
            rules=row.get("rules", ""),
            slug=row.get("slug", ""),
            extra=dict(row.get("extra", {})),
        )
    )
