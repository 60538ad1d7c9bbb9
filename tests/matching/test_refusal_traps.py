"""Traps a read-only review found, each now refused (or read as unknown) instead of matched wrongly:
game 2 of a doubleheader before it is listed, negated overtime wording, double-chance markets,
postponement deadlines, a draw YES contradicted by a team label, naive times, a listing with no date,
a date-only Polymarket `eventDate` read as a 00:00Z start."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime

import pytest
from matching_helpers import game

from arbees_engine.adapters.polymarket import parse_market
from arbees_engine.adapters.registry import with_evidence
from arbees_engine.matching import Match, Matcher, Refusal
from arbees_engine.matching.equivalence import equivalent, parse_terms
from arbees_engine.matching.matcher import GAME_DEPENDENT_REFUSALS
from arbees_engine.model import League, MarketListing, Outcome, Venue

G1 = game("dh1", "mlb", ("BOS", "Boston Red Sox"), ("NYY", "New York Yankees"), "2026-07-04T17:05:00Z")
G2 = game("dh2", "mlb", ("BOS", "Boston Red Sox"), ("NYY", "New York Yankees"), "2026-07-04T23:10:00Z")


def _kalshi(ticker: str, label: str, title: str = "", rules: str = "", starts: str | None = None) -> MarketListing:
    event = ticker.rsplit("-", 1)[0]
    return with_evidence(
        MarketListing(
            Venue.KALSHI,
            ticker,
            event,
            title,
            label,
            rules=rules,
            starts_at=datetime.fromisoformat(starts) if starts else None,
        )
    )


def _poly(
    title: str, outcomes, slug: str, rules: str = "", starts: str | None = None, smt="moneyline", league_hint: str = ""
) -> MarketListing:
    return with_evidence(
        MarketListing(
            Venue.POLYMARKET,
            f"tok-{slug}-{outcomes[0]}",
            slug,
            title,
            outcomes[0],
            outcomes[1],
            slug=slug,
            rules=rules,
            league_hint=league_hint,
            extra={"sports_market_type": smt},
            starts_at=datetime.fromisoformat(starts) if starts else None,
        )
    )


def _matcher(*games) -> Matcher:
    m = Matcher()
    for g in games:
        m.add_game(g)
    return m


@pytest.mark.parametrize(
    "listing",
    [
        _kalshi("KXMLBGAME-26JUL041910NYYBOS-NYY", "New York Y", "New York Y vs Boston Winner?"),
        _kalshi("KXMLBGAME-26JUL04NYYBOS-NYY", "New York Y", "Game 2: New York Y vs Boston Winner?"),
        _poly(
            "Yankees vs. Red Sox", ("Yankees", "Red Sox"), "mlb-nyy-bos-2026-07-04", starts="2026-07-04T23:10:00+00:00"
        ),
    ],
    ids=["kalshi-hhmm", "kalshi-game-2", "polymarket-start"],
)
def test_game_2_of_a_doubleheader_never_matches_game_1_and_matches_once_game_2_is_known(listing):
    alone = _matcher(G1).match(listing)
    assert isinstance(alone, Refusal) and alone.reason_code in GAME_DEPENDENT_REFUSALS
    both = _matcher(G1, G2).match(listing)
    assert isinstance(both, Match) and both.game_id == "dh2" and both.yes_team == "NYY"


def test_kalshi_expected_end_time_is_not_read_as_a_start():
    # no HHMM: starts_at is game 1's expected END (Kalshi), close to game 2's start; it decides nothing
    listing = _kalshi("KXMLBGAME-26JUL04NYYBOS-NYY", "New York Y", starts="2026-07-04T22:45:00+00:00")
    result = _matcher(G1, G2).match(listing)
    assert isinstance(result, Refusal) and result.reason_code == "ambiguous_doubleheader"


def test_a_listing_without_any_date_is_refused_and_naive_times_do_not_crash():
    old = game("old", "nba", ("SA", "San Antonio Spurs"), ("NY", "New York Knicks"), "2026-01-10T00:30:00Z")
    undated = _poly("Knicks vs. Spurs", ("Knicks", "Spurs"), "", league_hint="nba")
    assert _matcher(old).match(undated).reason_code == "ambiguous_game"
    naive = _poly("Yankees vs. Red Sox", ("Yankees", "Red Sox"), "mlb-nyy-bos-2026-07-04", starts="2026-07-04T23:10:00")
    result = _matcher(G1, G2).match(naive)
    assert isinstance(result, Match) and result.game_id == "dh2"


@pytest.mark.parametrize(
    "sentence",
    [
        "Overtime and shootouts are not included.",
        "Overtime does not count.",
        "The result after regulation; overtime and shootouts are excluded.",
        "Overtime is not counted.",
    ],
)
def test_negated_overtime_is_regulation_only_and_not_equivalent_to_including_it(sentence):
    nhl = game("nhl1", "nhl", ("FLA", "Florida Panthers"), ("TB", "Tampa Bay Lightning"), "2026-03-03T00:00:00Z")
    m = _matcher(nhl)
    k = _kalshi(
        "KXNHLGAME-26MAR02TBFLA-FLA",
        "Florida",
        rules="If Florida wins the Tampa Bay at Florida game, including overtime and shootout, the market resolves to Yes.",  # noqa: E501
    )
    p = _poly(
        "Lightning vs. Panthers",
        ("Panthers", "Lightning"),
        "nhl-tb-fla-2026-03-02",
        rules=f"If the Florida Panthers win, this market resolves to Panthers. {sentence}",
    )
    assert parse_terms(p, League.NHL, Outcome.HOME).overtime == "regulation"
    km, pm = m.match(k), m.match(p)
    verdict = equivalent(m.to_market(k, km), k, m.to_market(p, pm), p)
    assert not verdict.ok and verdict.reason.startswith("overtime_terms_differ")


EPL = game("epl1", "epl", ("ARS", "Arsenal"), ("CHE", "Chelsea"), "2026-03-21T17:30:00Z")


@pytest.mark.parametrize(
    "title, rules",
    [
        ("Will Arsenal win or tie against Chelsea?", ""),
        ("Will Arsenal avoid defeat vs. Chelsea?", ""),
        (
            "Will Arsenal win on 2026-03-21?",
            'This market will resolve to "Yes" if Arsenal wins or the match ends in a draw. Otherwise, "No".',
        ),
    ],
)
def test_a_double_chance_market_is_not_a_game_winner(title, rules):
    listing = _poly(title, ("Yes", "No"), "epl-che-ars-2026-03-21-ars", rules=rules, smt="")
    result = _matcher(EPL).match(listing)
    assert isinstance(result, Refusal) and result.reason_code == "not_moneyline"


@pytest.mark.parametrize(
    "listing",
    [
        _kalshi("KXEPLGAME-26MAR21CHEARS-TIE", "Arsenal"),  # ticker says draw, label names a team
        _poly("Will Arsenal win on 2026-03-21?", ("Yes", "No"), "epl-che-ars-2026-03-21-draw"),
        _kalshi("KXEPLGAME-26MAR21CHEARS-ARS", "Arsenal or Draw"),
    ],
    ids=["kalshi-tie-label-team", "polymarket-draw-slug-win-question", "label-or-draw"],
)
def test_contradictory_or_double_chance_yes_fields_are_refused(listing):
    result = _matcher(EPL).match(listing)
    assert isinstance(result, Refusal) and result.reason_code in {"yes_label_mismatch", "not_moneyline"}


def test_a_postponement_deadline_is_not_read_as_following_the_game():
    k = _kalshi(
        "KXNBAGAME-26JUN13NYKSAS-SAS",
        "San Antonio",
        rules="If San Antonio wins the game originally scheduled for Jun 13, 2026, then the market resolves to "
        "Yes. If the game is postponed and not completed within 2 days, the market resolves to No.",
    )
    assert parse_terms(k, League.NBA, Outcome.HOME).postponed == "unknown"
    plain = replace(
        k, rules="If San Antonio wins the game originally scheduled for Jun 13, 2026, then the market resolves to Yes."
    )
    assert parse_terms(plain, League.NBA, Outcome.HOME).postponed == "follows_game"


def test_a_world_series_game_number_is_not_a_doubleheader():
    ws = game("ws1", "mlb", ("NYY", "New York Yankees"), ("LAD", "Los Angeles Dodgers"), "2026-10-24T00:08:00Z")
    ws = ws.evolve(postseason=True)
    listing = _kalshi("KXMLBGAME-26OCT23LADNYY-NYY", "New York Y", "Game 1: Los Angeles D at New York Y Winner?")
    result = _matcher(ws).match(listing)
    assert isinstance(result, Match) and result.game_id == "ws1" and result.yes_team == "NYY"


# An evening NBA game: 20:30 ET on 2026-06-13 is 00:30Z on 2026-06-14.
EVENING = game("nba1", "nba", ("SA", "San Antonio Spurs"), ("NY", "New York Knicks"), "2026-06-14T00:30:00Z")


def _gamma_market(event: dict) -> dict:
    """A Gamma moneyline market (JSON-encoded string fields, as GET /events sends them) in `event`."""
    return {
        "id": "g1",
        "question": "Knicks vs. Spurs",
        "outcomes": json.dumps(["Knicks", "Spurs"]),
        "clobTokenIds": json.dumps(["tok-yes", "tok-no"]),
        "sportsMarketType": "moneyline",
        "slug": event["slug"],
        "events": [event],
    }


def test_a_date_only_event_date_is_a_date_not_a_midnight_utc_start():
    # the event gives only `eventDate`: once read as 2026-06-13T00:00Z, 24.5 h before the game: start_mismatch
    event = {
        "slug": "nba-nyk-sas-2026-06-13",
        "eventDate": "2026-06-13",
        "seriesSlug": "nba",
        "teams": [{"name": "San Antonio Spurs", "ordering": "home"}, {"name": "New York Knicks", "ordering": "away"}],
    }
    listing = parse_market(_gamma_market(event))
    result = _matcher(EVENING).match(listing)
    assert isinstance(result, Match) and result.game_id == "nba1" and result.yes_team == "NY", result
    assert (listing.starts_at, listing.start_date) == (None, date(2026, 6, 13))
    timed = parse_market(_gamma_market({**event, "startTime": "2026-06-14T00:30:00Z"}))
    assert timed.start_date is None and timed.starts_at == EVENING.start_time


def test_a_date_only_start_dates_an_undated_listing_by_the_eastern_calendar():
    undated = _poly("Knicks vs. Spurs", ("Knicks", "Spurs"), "", league_hint="nba")
    # as 00:00Z, 2026-06-13 would be 2026-06-12 in US Eastern: date_mismatch
    result = _matcher(EVENING).match(replace(undated, start_date=date(2026, 6, 13)))
    assert isinstance(result, Match) and result.game_id == "nba1"
    wrong_day = _matcher(EVENING).match(replace(undated, start_date=date(2026, 6, 14)))
    assert isinstance(wrong_day, Refusal) and wrong_day.reason_code == "date_mismatch"


def test_a_date_only_start_that_contradicts_the_slug_date_is_refused():
    listing = _poly("Knicks vs. Spurs", ("Knicks", "Spurs"), "nba-nyk-sas-2026-06-13")
    result = _matcher(EVENING).match(replace(listing, start_date=date(2026, 6, 12)))
    assert isinstance(result, Refusal) and result.reason_code == "date_mismatch"


def test_a_date_only_start_does_not_pick_a_doubleheader_game():
    listing = _poly("Yankees vs. Red Sox", ("Yankees", "Red Sox"), "mlb-nyy-bos-2026-07-04")
    result = _matcher(G1, G2).match(replace(listing, start_date=date(2026, 7, 4)))
    assert isinstance(result, Refusal) and result.reason_code == "ambiguous_doubleheader"
