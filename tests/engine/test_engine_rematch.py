"""A market refused because its game was not yet known is matched as soon as the game arrives
(at the next housekeeping pass), keeping its book; other refusals stay watched."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

from arbees_engine.adapters.kalshi.parse import parse_markets
from arbees_engine.adapters.registry import with_evidence
from arbees_engine.matching import Matcher
from arbees_engine.model import (
    BookLevel,
    BookUpdate,
    BookUpdateKind,
    GameState,
    GameStatus,
    League,
    MarketListing,
    Outcome,
    Sport,
    Team,
    Venue,
)
from arbees_engine.node.kernel import Engine
from arbees_engine.settings import Settings

KALSHI = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "kalshi"
NOW = datetime(2026, 6, 13, 20, 0, tzinfo=UTC)
FINALS = GameState(
    game_id="espn:nba:g5",
    sport=Sport.BASKETBALL,
    league=League.NBA,
    home=Team("SA", "San Antonio Spurs"),
    away=Team("NY", "New York Knicks"),
    status=GameStatus.SCHEDULED,
    start_time=datetime(2026, 6, 14, 0, 30, tzinfo=UTC),
)


def _listings() -> list[MarketListing]:
    listings, _cursor, rejected = parse_markets(json.loads((KALSHI / "markets_nba_game_settled.json").read_text()))
    assert listings and not rejected
    # the recorded market is settled; an open copy is what the engine would be waiting on
    return [
        with_evidence(
            MarketListing(
                **{**{f: getattr(item, f) for f in item.__dataclass_fields__}, "status": "open", "result": None}
            )
        )
        for item in listings
    ]


def test_refused_for_no_game_then_matched_when_the_game_arrives():
    engine = Engine(Settings(database_url=None, redis_url=None), [], matcher=Matcher(), clock=lambda: NOW)
    listings = _listings()
    off_topic = with_evidence(
        MarketListing(Venue.KALSHI, "KXELONMARS-99", "KXELONMARS-99", "Will Elon Musk visit Mars?", "Yes")
    )
    for listing in (*listings, off_topic):
        engine.on_listing(listing)
    ids = {f"kalshi:{item.venue_market_id}" for item in listings}
    assert ids <= set(engine.registry.watched) and not engine.registry.markets
    assert engine.input_rejections["match:no_game"] == len(listings)
    sas = next(i for i in ids if i.endswith("-SAS"))
    engine.on_book(
        BookUpdate(
            sas, (BookLevel(D("0.61"), D("40")),), (BookLevel(D("0.63"), D("25")),), BookUpdateKind.SNAPSHOT, 1, NOW
        )
    )

    engine.housekeeping()  # nothing new yet: still refused
    assert engine.counts["rematched"] == 0 and not engine.registry.markets

    engine.on_game_state(FINALS)
    engine.housekeeping()
    assert engine.counts["rematched"] == len(listings) == 2
    assert set(engine.registry.markets) == ids and not ids & set(engine.registry.watched)
    market = engine.registry.markets[sas]
    assert (market.game_id, market.outcome, market.yes_team) == ("espn:nba:g5", Outcome.HOME, "SA")
    assert engine.registry.books[sas].best_bid.price == D("0.61")  # the book kept while watched carries over
    assert "kalshi:KXELONMARS-99" in engine.registry.watched  # not a game-dependent refusal

    engine.on_game_state(FINALS.evolve(home_score=0))  # a known game does not trigger another pass
    assert not engine.listings.rematch_due
