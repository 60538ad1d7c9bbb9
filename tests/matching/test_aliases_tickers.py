"""Alias data integrity, normalisation, venue identifier parsing, and the benchmark's bookkeeping."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from arbees_engine.adapters.kalshi.tickers import TickerError, kalshi_series_league, kalshi_yes_code, parse_kalshi_event
from arbees_engine.adapters.polymarket.slug import parse_slug
from arbees_engine.adapters.questions import parse_question
from arbees_engine.matching import AliasBook, AliasDataError, normalize
from arbees_engine.matching.aliases import default_aliases
from arbees_engine.matching.wording import split_team_codes
from arbees_engine.model import League
from arbees_engine.ops.bench_matching import bench_matching

EXPECTED_TEAMS = {
    League.NBA: 30,
    League.WNBA: 15,
    League.NFL: 32,
    League.NHL: 33,
    League.MLB: 30,
    League.MLS: 30,
    League.EPL: 23,
    League.LALIGA: 20,
    League.BUNDESLIGA: 18,
    League.SERIEA: 20,
    League.LIGUE1: 18,
    League.NCAAF: 365,
    League.NCAAB: 365,
}


def test_every_league_file_loads_with_unique_codes():
    book = default_aliases()
    assert {lg: len(book.league(lg).teams) for lg in EXPECTED_TEAMS} == EXPECTED_TEAMS
    for lg in EXPECTED_TEAMS:
        la = book.league(lg)
        clashes = {code: keys for code, keys in la.codes.items() if len(keys) > 1}
        assert not clashes, (lg, clashes)
    assert len(book.league(League.UCL).teams) == 99


def test_shared_mascots_are_detected_across_leagues():
    shared = default_aliases().shared_mascots
    assert {"panthers", "cardinals", "tigers", "wildcats", "rangers", "kings", "giants", "jets"} <= shared
    assert "knicks" not in shared and "crimson tide" not in shared


@pytest.mark.parametrize(
    "raw,norm",
    [
        ("Brighton & Hove Albion", "brighton and hove albion"),
        ("Atlético Madrid", "atletico madrid"),
        ("Miami (OH)", "miami oh"),
        ("Los Angeles FC", "los angeles"),
        ("St. John's", "st johns"),
        ("Saint Louis Blues", "st louis blues"),
        ("FC", "fc"),
    ],
)
def test_normalize(raw, norm):
    assert normalize(raw) == norm


def test_lookups_by_code_city_mascot_and_fuzzy():
    nba = default_aliases().league(League.NBA)
    assert nba.resolve_code("sa").keys == {"SAS"} and nba.resolve_code("UTAH").keys == {"UTA"}
    assert nba.resolve_name("Los Angeles").keys == {"LAL", "LAC"}
    kings = nba.resolve_name("Kings")
    assert kings.keys == {"SAC"} and kings.shared_mascot
    assert nba.resolve_name("Golden St Warriors").keys == {"GSW"}  # "St" indexed for "State"
    assert nba.resolve_name("Golden State Warrior").kind == "fuzzy"
    assert nba.resolve_name("Los Angeles Kings") is None  # below the fuzzy cutoff: refuse, never guess
    assert nba.resolve_name("Duke") is None


def test_bad_alias_file_raises(tmp_path: Path):
    (tmp_path / "nba.toml").write_text('league = "nba"\nsport = "basketball"\nteams = [ { name = "No Key" } ]\n')
    with pytest.raises(AliasDataError):
        AliasBook(tmp_path)
    (tmp_path / "nba.toml").write_text(
        'league = "nba"\nsport = "basketball"\nteams = [ { key = "A", name = "A" }, { key = "A", name = "B" } ]\n'
    )
    with pytest.raises(AliasDataError):
        AliasBook(tmp_path)


def test_kalshi_tickers():
    ev = parse_kalshi_event("KXNBAGAME-26JUN13NYKSAS")
    assert (ev.league, ev.kind, ev.day, ev.start_et, ev.team_blob) == (
        League.NBA,
        "GAME",
        date(2026, 6, 13),
        None,
        "NYKSAS",
    )
    mlb = parse_kalshi_event("KXMLBGAME-25JUN271905NYYBOS")
    assert (mlb.day, mlb.start_et, mlb.team_blob) == (date(2025, 6, 27), time(19, 5), "NYYBOS")
    assert kalshi_series_league("KXNCAAMBGAME") == (League.NCAAB, "GAME")
    assert kalshi_series_league("KXNFLSPREAD") == (League.NFL, "SPREAD")
    assert kalshi_series_league("KXELONMARS") == (None, "")
    assert kalshi_yes_code("KXNBAGAME-26JUN13NYKSAS-SAS", "KXNBAGAME-26JUN13NYKSAS") == "SAS"
    codes = default_aliases().league(League.NBA).codes
    assert split_team_codes("NYKSAS", codes) == [("NYK", "SAS")]
    for bad in ("KXELONMARS-99", "KXNBAGAME-26XYZ13NYKSAS", "KXNBAGAME-26FEB30NYKSAS"):
        with pytest.raises(TickerError):
            parse_kalshi_event(bad)
    with pytest.raises(TickerError):
        kalshi_yes_code("KXNBAGAME-26JUN14NYKSAS-SAS", "KXNBAGAME-26JUN13NYKSAS")


def test_polymarket_slug_and_questions():
    slug = parse_slug("epl-che-ars-2026-03-21-draw")
    assert (slug.league_code, slug.codes, slug.day, slug.suffix) == ("epl", ("che", "ars"), date(2026, 3, 21), "draw")
    assert parse_slug("will-gavin-newsom-win-the-2028-democratic-presidential-nomination-568") is None
    assert parse_question("Game 5: New York at San Antonio Winner?").teams == ("New York", "San Antonio")
    assert parse_question("Game 5: New York at San Antonio Winner?").game_number == 5
    assert parse_question("Will Arsenal beat Chelsea?").yes_team == "Arsenal"
    assert parse_question("Will Arsenal vs. Chelsea end in a draw?").is_draw
    assert parse_question("Yankees vs. Red Sox (Game 2)").game_number == 2
    assert parse_question("Counter-Strike: FaZe vs illwill (BO3) - HLC Belgrade Pro Playoffs").teams == (
        "FaZe",
        "illwill",
    )


def test_bench_reports_counts():
    result = bench_matching(n_games=60, n_markets=200, quiet=True)
    assert (result.games, result.markets) == (60, 200)
    assert result.matched == 180  # every tenth listing carries a wrong date and is refused
