"""Question grammar (adapters/questions.py): the title forms venues use, with a prefix before the
teams or a who-wins tail after them, read as the two teams (and YES where the wording names it),
through the whole matcher; titles that do not name two teams clearly read as no teams and refuse."""

from __future__ import annotations

from datetime import date

import pytest
from matching_helpers import game

from arbees_engine.adapters.questions import parse_question
from arbees_engine.adapters.registry import with_evidence
from arbees_engine.matching import Match, Matcher, Refusal
from arbees_engine.model import MarketListing, Venue

PAIR = ("Knicks", "Spurs")
PAIR_FORMS = [
    "Knicks vs. Spurs",
    "Knicks v Spurs",
    "Knicks @ Spurs",
    "Knicks at Spurs",
    "NBA: Knicks vs. Spurs",
    "Who will win? Knicks vs Spurs",
    "Who will win: Knicks vs. Spurs?",
    "Who wins? Knicks vs. Spurs",
    "Who'll win? Knicks @ Spurs",
    "Which team will win? Knicks vs. Spurs",
    "Winner: Knicks vs. Spurs",
    "Moneyline: Knicks vs. Spurs",
    "Who will win the Knicks vs. Spurs game?",
    "Who will win, Knicks or Spurs?",
    "NBA: Who will win? Knicks vs. Spurs",
    "Knicks vs. Spurs: Who wins?",
    "Knicks vs. Spurs: Who will win?",
    "Knicks vs Spurs - who will win?",
    "Knicks vs. Spurs Winner?",
    "Knicks vs. Spurs Match Winner",
    "Knicks vs. Spurs (Moneyline)",
    "Knicks vs. Spurs (2026-06-13)",
    "Knicks vs. Spurs on 2026-06-13",
    "NBA Finals: Knicks vs. Spurs",
]
YES_FORMS = [
    "Will Knicks beat Spurs?",
    "Will the Knicks beat the Spurs?",
    "Will Knicks defeat Spurs on 2026-06-13?",
    "Can Knicks beat Spurs?",
    "Will Knicks win against Spurs?",
    "Will Knicks win vs. Spurs?",
    "Will Knicks win their game against Spurs?",
    "Who will win? Will Knicks beat Spurs?",
]
NO_TEAMS = [
    "Who will win?",
    "Who will win the NBA Finals?",
    "Knicks or Spurs?",  # "or" is a pair only after a who-wins phrase
    "Knicks vs. Spurs vs. Heat",
    "Knicks vs. Spurs: 1st Quarter Winner",
    "Knicks vs. Spurs: Team to Advance",
    "Will Knicks beat Spurs in regulation?",
    "Will Knicks beat Spurs by 10?",
    "Will Knicks win vs Spurs in overtime?",
    "Will it rain? Knicks vs Spurs",
    "Will Gavin Newsom win the 2028 Democratic presidential nomination?",
]


@pytest.mark.parametrize("text", PAIR_FORMS)
def test_pair_forms_read_both_teams_and_no_yes(text):
    q = parse_question(text)
    assert (q.teams, q.yes_team, q.is_draw) == (PAIR, None, False)


@pytest.mark.parametrize("text", YES_FORMS)
def test_yes_forms_name_the_yes_team(text):
    q = parse_question(text)
    assert [t.removeprefix("the ") for t in q.teams] == list(PAIR) and q.yes_team.removeprefix("the ") == "Knicks"


@pytest.mark.parametrize("text", NO_TEAMS)
def test_titles_that_do_not_name_two_teams_clearly_read_as_no_teams(text):
    assert parse_question(text) == parse_question("")  # no teams, no YES, no draw


@pytest.mark.parametrize(
    "text, game_number",
    [
        ("Game 5: New York at San Antonio Winner?", 5),
        ("NBA Finals Game 5: Knicks vs. Spurs", 5),
        ("Yankees vs. Red Sox (Game 2)", 2),
        ("Game 2: New York Y vs Boston Winner?", 2),
    ],
)
def test_game_numbers_in_a_prefix_or_a_suffix(text, game_number):
    assert parse_question(text).game_number == game_number


EVENING = game("nba1", "nba", ("SA", "San Antonio Spurs"), ("NY", "New York Knicks"), "2026-06-14T00:30:00Z")


def _poly(title: str, outcomes: tuple[str, str]) -> MarketListing:
    """A Polymarket listing with no slug: the teams come from the question alone."""
    return with_evidence(
        MarketListing(
            Venue.POLYMARKET,
            "tok-q",
            "",
            title,
            outcomes[0],
            outcomes[1],
            league_hint="nba",
            start_date=date(2026, 6, 13),
            extra={"sports_market_type": "moneyline"},
        )
    )


@pytest.mark.parametrize("text", PAIR_FORMS)
def test_pair_forms_match_the_game_with_yes_from_the_outcome(text):
    result = Matcher([EVENING]).match(_poly(text, ("Spurs", "Knicks")))
    assert isinstance(result, Match) and (result.game_id, result.yes_team) == ("nba1", "SA"), result


@pytest.mark.parametrize("text", YES_FORMS)
def test_yes_forms_match_with_yes_from_the_wording(text):
    result = Matcher([EVENING]).match(_poly(text, ("Yes", "No")))
    assert isinstance(result, Match) and (result.game_id, result.yes_team) == ("nba1", "NY"), result


@pytest.mark.parametrize("text", NO_TEAMS)
def test_titles_without_two_clear_teams_are_refused(text):
    outcomes = ("Yes", "No") if text.lower().startswith(("will", "who", "can")) else PAIR
    result = Matcher([EVENING]).match(_poly(text, outcomes))
    assert isinstance(result, Refusal), result
    assert result.reason_code in {"not_moneyline", "unknown_team"}


@pytest.mark.parametrize(
    "title",
    ["Who will win? New York vs San Antonio", "NBA: New York at San Antonio", "New York vs. San Antonio: Who wins?"],
)
def test_kalshi_titles_with_a_prefix_agree_with_the_ticker(title):
    ticker = "KXNBAGAME-26JUN13NYKSAS-SAS"
    listing = with_evidence(MarketListing(Venue.KALSHI, ticker, ticker.rsplit("-", 1)[0], title, "San Antonio"))
    result = Matcher([EVENING]).match(listing)
    assert isinstance(result, Match) and result.yes_team == "SA" and "kalshi_title" in result.method, result
