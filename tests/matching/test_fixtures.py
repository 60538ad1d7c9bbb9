"""Every market in the recorded venue fixtures matched or refused with the expected answer,
and listings for the recorded ESPN scoreboards' games matched against GameStates built from them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from matching_helpers import game, kalshi_listing, load_fixture, polymarket_listing

from arbees_engine.adapters.registry import with_evidence
from arbees_engine.matching import Match, Matcher, Refusal
from arbees_engine.model import MarketListing, Outcome, Venue

STATUS = {
    "STATUS_FINAL": "final",
    "STATUS_FULL_TIME": "final",
    "STATUS_IN_PROGRESS": "live",
    "STATUS_SCHEDULED": "scheduled",
    "STATUS_POSTPONED": "postponed",
}


@pytest.fixture()
def nba_finals_matcher() -> Matcher:
    """The Knicks at Spurs game of the Kalshi fixture, as ESPN names the teams (SA, NY)."""
    m = Matcher()
    m.add_game(
        game(
            "espn:nba:g5",
            "nba",
            ("SA", "San Antonio Spurs"),
            ("NY", "New York Knicks"),
            "2026-06-14T00:30:00Z",
            "final",
        )
    )
    return m


def test_kalshi_markets_fixture_both_sides(nba_finals_matcher):
    markets = load_fixture("kalshi", "markets_nba_game_settled.json")["markets"]
    results = {mk["ticker"]: nba_finals_matcher.match(kalshi_listing(mk)) for mk in markets}
    sas = results["KXNBAGAME-26JUN13NYKSAS-SAS"]
    nyk = results["KXNBAGAME-26JUN13NYKSAS-NYK"]
    assert isinstance(sas, Match) and (sas.game_id, sas.outcome, sas.yes_team) == ("espn:nba:g5", Outcome.HOME, "SA")
    assert isinstance(nyk, Match) and (nyk.outcome, nyk.yes_team) == (Outcome.AWAY, "NY")


def test_kalshi_event_fixture_and_to_market(nba_finals_matcher):
    data = load_fixture("kalshi", "event_nba_game_settled.json")
    for mk in data["markets"]:
        listing = kalshi_listing(mk, data["event"])
        result = nba_finals_matcher.match(listing)
        assert isinstance(result, Match)
        market = nba_finals_matcher.to_market(listing, result)
        assert market.market_id == f"kalshi:{mk['ticker']}"
        assert market.game_id == "espn:nba:g5" and market.tick == Decimal("0.0100")
        assert market.yes_team == {"San Antonio": "SA", "New York": "NY"}[mk["yes_sub_title"]]


def test_kalshi_fixture_on_wrong_eastern_date_is_refused():
    m = Matcher()  # same teams, but the game is on the next Eastern day
    m.add_game(
        game("espn:nba:x", "nba", ("SA", "San Antonio Spurs"), ("NY", "New York Knicks"), "2026-06-15T00:30:00Z")
    )
    mk = load_fixture("kalshi", "markets_nba_game_settled.json")["markets"][0]
    result = m.match(kalshi_listing(mk))
    assert isinstance(result, Refusal) and result.reason_code == "date_mismatch"


def test_polymarket_pickleball_event_is_refused():
    event = load_fixture("polymarket", "gamma_events_sports_game_mlp_open.json")[0]
    m = Matcher()
    moneyline, advance = (m.match(polymarket_listing(mk, event)) for mk in event["markets"])
    assert isinstance(moneyline, Refusal) and moneyline.reason_code == "unknown_league"
    assert isinstance(advance, Refusal) and advance.reason_code == "unknown_league"
    listing = polymarket_listing(event["markets"][1], event)
    assert listing.yes_label == "STL" and listing.teams == ("St. Louis Shock", "Texas Ranchers")


def test_polymarket_cs2_and_politics_are_refused():
    m = Matcher()
    cs2 = m.match(polymarket_listing(load_fixture("polymarket", "gamma_market_sports_moneyline_resolved_cs2.json")))
    pol = m.match(polymarket_listing(load_fixture("polymarket", "gamma_market_open_negrisk_politics.json")))
    assert isinstance(cs2, Refusal) and cs2.reason_code == "unknown_league"
    assert isinstance(pol, Refusal) and pol.reason_code == "unknown_league"


def _espn_games(name: str, league: str):
    data = load_fixture("espn", name)
    for event in data["events"]:
        comp = event["competitions"][0]
        teams = {c["homeAway"]: (c["team"]["abbreviation"], c["team"]["displayName"]) for c in comp["competitors"]}
        status = STATUS[comp["status"]["type"]["name"]]
        yield game(f"espn:{league}:{event['id']}", league, teams["home"], teams["away"], event["date"], status)


@pytest.fixture()
def espn_matcher() -> Matcher:
    m = Matcher()
    for name, league in (
        ("scoreboard_nba_final_20260115.json", "nba"),
        ("scoreboard_nba_events_in_post_2022pre_extracted.json", "nba"),
        ("scoreboard_nfl_2022wk1_in_post_pre.json", "nfl"),
        ("scoreboard_nhl_2022pre_in_post.json", "nhl"),
        ("scoreboard_soccer_eng1_ft_and_postponed_20260321.json", "epl"),
    ):
        for state in _espn_games(name, league):
            m.add_game(state)
    return m


def _kalshi(event: str, yes: str, label: str) -> MarketListing:
    return with_evidence(MarketListing(Venue.KALSHI, f"{event}-{yes}", event, "", label))


@pytest.mark.parametrize(
    "event,yes,label,expect",
    [
        ("KXNBAGAME-26JAN15BOSMIA", "MIA", "Miami", ("espn:nba:401810435", "MIA", Outcome.HOME)),
        ("KXNBAGAME-26JAN15PHXDET", "PHX", "Phoenix", ("espn:nba:401810434", "PHX", Outcome.AWAY)),
        ("KXNBAGAME-26JAN15MEMORL", "ORL", "Orlando", ("espn:nba:401810433", "ORL", Outcome.HOME)),
        ("KXNBAGAME-22OCT02UTATOR", "UTA", "Utah", ("espn:nba:401474846", "UTAH", Outcome.AWAY)),
        ("KXNFLGAME-22SEP11NOATL", "NO", "New Orleans", ("espn:nfl:401437650", "NO", Outcome.AWAY)),
        ("KXNFLGAME-22SEP11NYGTEN", "NYG", "New York G", ("espn:nfl:401437640", "NYG", Outcome.AWAY)),
        ("KXNHLGAME-22SEP25CBJPIT", "PIT", "Pittsburgh", ("espn:nhl:401461562", "PIT", Outcome.HOME)),
        ("KXEPLGAME-26MAR21LIVBHA", "LIV", "Liverpool", ("espn:epl:740898", "LIV", Outcome.AWAY)),
        ("KXEPLGAME-26MAR21LIVBHA", "TIE", "Tie", ("espn:epl:740898", None, Outcome.DRAW)),
        ("KXNBAGAME-26JAN16BOSMIA", "MIA", "Miami", "date_mismatch"),  # 00:30Z Jan 16 is Jan 15 in New York
        ("KXEPLGAME-26MAR21CRYMCI", "MCI", "Manchester City", "game_postponed"),
        ("KXNHLGAME-22SEP25ANAARI", "ARI", "Arizona", ("espn:nhl:401461456", "ARI", Outcome.HOME)),
        ("KXNFLGAME-22SEP11NEMIA", "MIA", "Miami", ("espn:nfl:401437630", "MIA", Outcome.HOME)),
    ],
)
def test_listings_against_espn_scoreboards(espn_matcher, event, yes, label, expect):
    result = espn_matcher.match(_kalshi(event, yes, label))
    if isinstance(expect, str):
        assert isinstance(result, Refusal) and result.reason_code == expect, result
    else:
        assert isinstance(result, Match), result
        assert (result.game_id, result.yes_team, result.outcome) == expect


def test_remove_game_forgets_it(nba_finals_matcher):
    mk = load_fixture("kalshi", "markets_nba_game_settled.json")["markets"][0]
    nba_finals_matcher.remove_game("espn:nba:g5")
    nba_finals_matcher.remove_game("never-added")
    result = nba_finals_matcher.match(kalshi_listing(mk))
    assert isinstance(result, Refusal) and result.reason_code == "no_game"


def test_teams_of_another_league_are_a_league_mismatch():
    m = Matcher(
        [game("espn:nba:bd", "nba", ("BOS", "Boston Celtics"), ("DAL", "Dallas Mavericks"), "2026-02-01T00:30:00Z")]
    )
    result = m.match(
        with_evidence(
            MarketListing(Venue.KALSHI, "KXNHLGAME-26JAN31DALBOS-BOS", "KXNHLGAME-26JAN31DALBOS", "", "Boston")
        )
    )
    assert isinstance(result, Refusal) and result.reason_code == "league_mismatch", result
    assert "nba" in result.detail


def test_city_only_names_resolve_when_the_date_leaves_one_pairing():
    m = Matcher(
        [
            game("g1", "nba", ("BOS", "Boston Celtics"), ("LAL", "Los Angeles Lakers"), "2026-02-01T00:30:00Z"),
            game("g2", "nba", ("BOS", "Boston Celtics"), ("LAC", "LA Clippers"), "2026-02-10T00:30:00Z"),
            game("g3", "nba", ("LAC", "LA Clippers"), ("LAL", "Los Angeles Lakers"), "2026-02-10T03:30:00Z"),
        ]
    )
    listing = with_evidence(
        MarketListing(
            Venue.POLYMARKET,
            "t",
            "",
            "Los Angeles vs. Boston",
            "Boston",
            league_hint="nba",
            starts_at=datetime(2026, 2, 1, 0, 30, tzinfo=UTC),
        )
    )
    result = m.match(listing)
    assert isinstance(result, Match) and result.game_id == "g1" and result.outcome is Outcome.HOME
    yes_la = with_evidence(
        MarketListing(
            Venue.POLYMARKET,
            "t2",
            "",
            "Los Angeles vs. Los Angeles",
            "Los Angeles",
            league_hint="nba",
            starts_at=datetime(2026, 2, 10, 3, 30, tzinfo=UTC),
        )
    )
    refused = m.match(yes_la)
    assert isinstance(refused, Refusal) and refused.reason_code == "ambiguous_team"
