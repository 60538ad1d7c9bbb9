"""Informal team names (informal_names.json) resolve to their team alone, through the whole matcher;
names that fit two teams of a league stay refused; the alias data covers every team the recorded
ESPN scoreboards name; fuzzy lookups refuse near ties. The sweep's counts are in sweep.py."""

from __future__ import annotations

import pytest
from matching_helpers import game, load_fixture
from sweep import load_table, probe_ambiguous, probe_name, run_sweep

from arbees_engine.adapters.registry import with_evidence
from arbees_engine.matching import Match, Matcher, Refusal
from arbees_engine.matching.aliases import ALIAS, default_aliases, normalize
from arbees_engine.matching.matcher import _game_key
from arbees_engine.model import League, MarketListing, Team, Venue

TABLE = load_table()["leagues"]
NAMES = [(lg, name, key) for lg, spec in TABLE.items() for name, key in spec["names"]]
AMBIGUOUS = [(lg, name, a, b) for lg, spec in TABLE.items() for name, a, b in spec["ambiguous"]]
#: Aliases deliberately given to two teams: the text names either ("Paris FC" normalises to "paris").
SHARED_ON_PURPOSE = {League.LALIGA: {"madrid"}, League.LIGUE1: {"paris"}, League.MLS: {"los angeles"}}


@pytest.mark.parametrize("league, name, key", NAMES, ids=[f"{lg}-{n}" for lg, n, _ in NAMES])
def test_an_informal_name_matches_its_team_as_yes_label_and_in_the_question(league, name, key):
    assert probe_name(default_aliases(), League(league), name, key) == "ok"


@pytest.mark.parametrize("league, name, a, b", AMBIGUOUS, ids=[f"{lg}-{n}" for lg, n, _, _ in AMBIGUOUS])
def test_a_name_that_fits_both_teams_of_the_game_is_refused_as_yes(league, name, a, b):
    assert probe_ambiguous(default_aliases(), League(league), name, a, b) == "refused"


def test_the_sweep_has_no_wrong_match_and_no_refusal():
    counts = run_sweep()
    assert sum(c.tried for c in counts.values()) >= 300
    assert [w for c in counts.values() for w in c.wrong] == []
    assert [r for c in counts.values() for r in c.refused] == []
    assert [m for c in counts.values() for m in c.ambiguous_matched] == []


def test_no_alias_names_two_teams_of_one_league_unless_on_purpose():
    book = default_aliases()
    for league, la in book.leagues.items():
        if league is League.UCL:
            continue
        doubled = {text for text, kinds in la.names.items() if ALIAS in kinds.values() and len(kinds) > 1}
        assert doubled <= SHARED_ON_PURPOSE.get(league, set()), (league, doubled)


def test_division_i_is_complete_and_the_new_members_are_there():
    book = default_aliases()
    for league in (League.NCAAB, League.NCAAF):
        la = book.league(league)
        assert len(la.teams) == 365
        for name in ("Queens Royals", "Lindenwood Lions", "Southern Indiana Screaming Eagles", "West Georgia Wolves"):
            assert la.resolve_name(name, fuzzy=False) is not None, (league, name)
        assert la.resolve_name("Saint Francis Red Flash", fuzzy=False) is None  # Division III from 2026-27


def _espn_teams(fixture: str, uid_league: str | None = None):
    for event in load_fixture("espn", fixture)["events"]:
        if uid_league and f"~l:{uid_league}~" not in event.get("uid", ""):
            continue
        for comp in event["competitions"]:
            for c in comp["competitors"]:
                yield c["team"]


ESPN_SOCCER = {"700": League.EPL, "740": League.LALIGA, "720": League.BUNDESLIGA, "730": League.SERIEA}
ESPN_SOCCER |= {"710": League.LIGUE1, "770": League.MLS}


def test_every_team_of_the_recorded_espn_scoreboards_resolves_by_code_and_by_name_alike():
    book = default_aliases()
    checks = [(League.NCAAF, t) for t in _espn_teams("scoreboard_ncaaf_fbs_week_teamtracker.json")]
    for uid, league in ESPN_SOCCER.items():
        checks += [(league, t) for t in _espn_teams("scoreboards_many_leagues_teamtracker.json", uid)]
    assert len(checks) > 100
    for league, t in checks:
        la = book.league(league)
        by_code = la.resolve_code(t["abbreviation"])
        by_name = la.resolve_name(t["displayName"], fuzzy=False)
        short = la.resolve_name(t["shortDisplayName"].strip(), fuzzy=False)
        assert by_code is not None and len(by_code.keys) == 1, (league, t["abbreviation"])
        assert by_name is not None and by_name.keys == by_code.keys, (league, t["displayName"])
        assert short is not None and by_code.keys <= short.keys, (league, t["shortDisplayName"])
        assert not _game_key(la, Team(t["abbreviation"], t["displayName"])).startswith("?")


@pytest.mark.parametrize(
    "league, text",
    [
        (League.NBA, "Los Angeles X"),  # as near "Los Angeles C" as "Los Angeles L": once read as the Clippers
        (League.MLB, "New York X"),  # as near the Mets as the Yankees
        (League.NFL, "New York X"),
    ],
)
def test_a_fuzzy_lookup_with_two_teams_equally_near_is_refused(league, text):
    assert default_aliases().league(league).resolve_name(text) is None


def test_state_is_also_indexed_as_st_and_a_fuzzy_hit_with_a_clear_lead_still_resolves():
    ncaab = default_aliases().league(League.NCAAB)
    assert ncaab.resolve_name("Michigan St.").keys == {"MSU"} and normalize("Michigan St.") == "michigan st"
    assert ncaab.resolve_name("North Dakota St. Bison").keys == {"NDSU"}
    hit = ncaab.resolve_name("Tennessee Tech Golden Eagle")
    assert hit is not None and hit.kind == "fuzzy" and hit.keys == {"TNTC"}


UTAH_OU = game("cbb1", "ncaab", ("UTAH", "Utah Utes"), ("OU", "Oklahoma Sooners"), "2026-01-11T01:00:00Z")


def _kalshi(title: str) -> MarketListing:
    ticker = "KXNCAAMBGAME-26JAN10UTAHOU-UTAH"  # UTAH+OU, but also UTA (UT Arlington) + HOU (Houston)
    return with_evidence(MarketListing(Venue.KALSHI, ticker, ticker.rsplit("-", 1)[0], title, "Utah"))


def test_a_ticker_that_splits_two_ways_is_read_by_the_split_its_title_names():
    result = Matcher([UTAH_OU]).match(_kalshi("Oklahoma at Utah Winner?"))
    assert isinstance(result, Match) and (result.game_id, result.yes_team) == ("cbb1", "UTAH"), result
    alone = Matcher([UTAH_OU]).match(_kalshi(""))
    assert isinstance(alone, Refusal) and alone.reason_code == "ambiguous_team"
    other = Matcher([UTAH_OU]).match(_kalshi("Houston at UT Arlington Winner?"))
    assert isinstance(other, Refusal) and other.reason_code == "no_game"  # read as UTA vs HOU: not this game
