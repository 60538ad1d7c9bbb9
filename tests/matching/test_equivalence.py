"""Contract equivalence: same game, same outcome from each venue's own fields, same OT/draw/
postponement/cancellation terms read from the rules text; otherwise refused with a reason."""

from __future__ import annotations

from dataclasses import replace

import pytest
from matching_helpers import game, kalshi_listing, load_fixture, polymarket_listing

from arbees_engine.adapters.registry import with_evidence
from arbees_engine.matching import Match, Matcher
from arbees_engine.matching.equivalence import equivalent, parse_terms
from arbees_engine.model import League, MarketListing, Outcome, Venue

POLY_NBA_RULES = (
    "In the upcoming NBA game, scheduled for June 13 at 8:30PM ET: If the San Antonio Spurs win, the market "
    'will resolve to "Spurs". If the New York Knicks win, the market will resolve to "Knicks". If the game '
    "is postponed, this market will remain open until the game has been completed. If the game is canceled "
    "entirely, with no make-up game, this market will resolve 50-50."
)
KALSHI_CANCEL = " If the game is canceled and not made up, the market resolves to No."


@pytest.fixture()
def matcher() -> Matcher:
    m = Matcher()
    m.add_game(
        game("espn:nba:g5", "nba", ("SA", "San Antonio Spurs"), ("NY", "New York Knicks"), "2026-06-14T00:30:00Z")
    )
    m.add_game(
        game("espn:nhl:1", "nhl", ("FLA", "Florida Panthers"), ("TB", "Tampa Bay Lightning"), "2026-03-03T00:00:00Z")
    )
    m.add_game(game("espn:epl:1", "epl", ("ARS", "Arsenal"), ("CHE", "Chelsea"), "2026-03-21T17:30:00Z"))
    m.add_game(
        game("espn:nfl:1", "nfl", ("CAR", "Carolina Panthers"), ("ATL", "Atlanta Falcons"), "2026-01-04T18:00:00Z")
    )
    return m


def _pair(matcher, listing):
    result = matcher.match(listing)
    assert isinstance(result, Match), result
    return matcher.to_market(listing, result), listing


def _kalshi_fixture(suffix: str) -> MarketListing:
    markets = load_fixture("kalshi", "markets_nba_game_settled.json")["markets"]
    return kalshi_listing(next(mk for mk in markets if mk["ticker"].endswith(suffix)))


def _poly(title, outcomes, slug, rules, teams=()) -> MarketListing:
    return with_evidence(
        MarketListing(
            Venue.POLYMARKET,
            f"tok-{outcomes[0]}-{slug}",
            slug,
            title,
            outcomes[0],
            outcomes[1],
            teams=teams,
            slug=slug,
            rules=rules,
            extra={"sports_market_type": "moneyline"},
        )
    )


def test_real_kalshi_vs_polymarket_needs_cancellation_terms(matcher):
    k = _pair(matcher, _kalshi_fixture("-SAS"))
    p = _pair(matcher, _poly("Knicks vs. Spurs", ("Spurs", "Knicks"), "nba-nyk-sas-2026-06-13", POLY_NBA_RULES))
    refused = equivalent(*k, *p)
    assert not refused.ok and refused.reason.startswith("rules_unknown_cancellation")
    accepted = equivalent(*k, *p, accept_unknown_cancellation=True)
    assert accepted.ok, accepted.reason


def test_equal_terms_on_both_venues_are_equivalent(matcher):
    kl = _kalshi_fixture("-NYK")
    kl = replace(kl, rules=kl.rules + " If the game is canceled entirely, the market resolves 50-50.")
    p = _pair(matcher, _poly("Spurs vs. Knicks", ("Knicks", "Spurs"), "nba-nyk-sas-2026-06-13", POLY_NBA_RULES))
    result = equivalent(*_pair(matcher, kl), *p)
    assert result.ok, result.reason  # title order "Spurs vs. Knicks" is ignored: outcome[0] is Knicks


def test_inverted_yes_is_refused(matcher):
    k = _pair(matcher, _kalshi_fixture("-SAS"))
    p = _pair(matcher, _poly("Knicks vs. Spurs", ("Knicks", "Spurs"), "nba-nyk-sas-2026-06-13", POLY_NBA_RULES))
    result = equivalent(*k, *p, accept_unknown_cancellation=True)
    assert not result.ok and result.reason.startswith("outcome_inverted")


def test_orientation_is_rederived_from_venue_fields(matcher):
    k_market, k_listing = _pair(matcher, _kalshi_fixture("-SAS"))
    p_market, p_listing = _pair(
        matcher, _poly("Knicks vs. Spurs", ("Spurs", "Knicks"), "nba-nyk-sas-2026-06-13", POLY_NBA_RULES)
    )
    forged = with_evidence(
        replace(p_listing, yes_label="Knicks")
    )  # Market says Spurs, the venue's outcome[0] says Knicks
    result = equivalent(k_market, k_listing, p_market, forged, accept_unknown_cancellation=True)
    assert not result.ok and result.reason.startswith("orientation_unverified")


def test_different_games_are_refused(matcher):
    k = _pair(matcher, _kalshi_fixture("-SAS"))
    n = _pair(
        matcher,
        with_evidence(
            MarketListing(Venue.KALSHI, "KXNHLGAME-26MAR02TBFLA-FLA", "KXNHLGAME-26MAR02TBFLA", "", "Florida")
        ),
    )
    assert equivalent(*k, *n).reason.startswith("different_game")


NHL_FULL = (
    "If Florida wins the Tampa Bay at Florida professional hockey game originally scheduled for Mar 2, 2026, "
    "including overtime and shootout, then the market resolves to Yes. If the game is canceled, the market resolves 50-50."  # noqa: E501
)
NHL_REG = (
    'In the upcoming NHL game: this market resolves to "Panthers" if Florida wins in regulation (60 minutes). '
    "If the game is postponed, this market will remain open until the game has been completed. "
    "If the game is canceled entirely, with no make-up game, this market will resolve 50-50."
)
NHL_PLAIN = NHL_REG.replace(" in regulation (60 minutes)", "")


def test_regulation_only_vs_including_overtime_is_refused(matcher):
    k = _pair(
        matcher,
        with_evidence(
            MarketListing(
                Venue.KALSHI, "KXNHLGAME-26MAR02TBFLA-FLA", "KXNHLGAME-26MAR02TBFLA", "", "Florida", rules=NHL_FULL
            )
        ),
    )
    reg = _pair(matcher, _poly("Lightning vs. Panthers", ("Panthers", "Lightning"), "nhl-tb-fla-2026-03-02", NHL_REG))
    plain = _pair(
        matcher, _poly("Lightning vs. Panthers", ("Panthers", "Lightning"), "nhl-tb-fla-2026-03-02", NHL_PLAIN)
    )
    assert equivalent(*k, *reg).reason.startswith("overtime_terms_differ")
    assert equivalent(*k, *plain).ok, equivalent(*k, *plain).reason


def test_contradictory_overtime_text_is_unknown(matcher):
    both = NHL_FULL.replace("including overtime and shootout", "in regulation, including overtime")
    k = _pair(
        matcher,
        with_evidence(
            MarketListing(
                Venue.KALSHI, "KXNHLGAME-26MAR02TBFLA-FLA", "KXNHLGAME-26MAR02TBFLA", "", "Florida", rules=both
            )
        ),
    )
    plain = _pair(
        matcher, _poly("Lightning vs. Panthers", ("Panthers", "Lightning"), "nhl-tb-fla-2026-03-02", NHL_PLAIN)
    )
    assert equivalent(*k, *plain).reason.startswith("rules_unknown_overtime")


EPL_K = (
    "If Arsenal wins the Chelsea vs Arsenal professional soccer match originally scheduled for Mar 21, 2026, "
    "then the market resolves to Yes. If the match is canceled, the market resolves to No."
)
EPL_P = (
    'This market will resolve to "Yes" if Arsenal wins the upcoming match against Chelsea scheduled for March 21. '
    'Otherwise, this market will resolve to "No". If the game is postponed, this market will remain open until the '
    'game has been completed. If the match is canceled, this market will resolve to "No".'
)


def test_three_way_soccer_win_vs_win_or_draw(matcher):
    k = _pair(
        matcher,
        with_evidence(
            MarketListing(
                Venue.KALSHI, "KXEPLGAME-26MAR21CHEARS-ARS", "KXEPLGAME-26MAR21CHEARS", "", "Arsenal", rules=EPL_K
            )
        ),
    )
    p = _pair(matcher, _poly("Will Arsenal win on 2026-03-21?", ("Yes", "No"), "epl-che-ars-2026-03-21-ars", EPL_P))
    assert equivalent(*k, *p).ok, equivalent(*k, *p).reason
    p_market, p_listing = p
    wider = replace(p_listing, rules=EPL_P.replace("if Arsenal wins", "if Arsenal wins or draws"))
    verdict = equivalent(*k, p_market, wider)  # a double chance is not a game-winner market at all
    assert (
        not verdict.ok
        and verdict.reason.startswith("unmatchable_listing: not_moneyline")
        and "double chance" in verdict.reason
    )
    fifty = replace(p_listing, rules=EPL_P + " If the match ends in a draw, this market will resolve 50-50.")
    assert equivalent(*k, p_market, fifty).reason.startswith("draw_terms_differ")


def test_draw_markets_on_both_venues(matcher):
    k = _pair(
        matcher,
        with_evidence(
            MarketListing(
                Venue.KALSHI,
                "KXEPLGAME-26MAR21CHEARS-TIE",
                "KXEPLGAME-26MAR21CHEARS",
                "",
                "Tie",
                rules=EPL_K.replace("Arsenal wins", "the match ends in a tie"),
            )
        ),
    )
    p = _pair(
        matcher,
        _poly(
            "Will Arsenal vs. Chelsea end in a draw?",
            ("Yes", "No"),
            "epl-che-ars-2026-03-21-draw",
            EPL_P.replace("Arsenal wins", "the match ends in a draw"),
        ),
    )
    assert k[0].outcome is Outcome.DRAW
    assert equivalent(*k, *p).ok, equivalent(*k, *p).reason


def test_nfl_tie_treatment_must_agree(matcher):
    k = _pair(
        matcher,
        with_evidence(
            MarketListing(
                Venue.KALSHI,
                "KXNFLGAME-26JAN04ATLCAR-CAR",
                "KXNFLGAME-26JAN04ATLCAR",
                "",
                "Carolina",
                rules="If Carolina wins the Atlanta at Carolina professional football game originally "
                "scheduled for Jan 4, 2026, then the market resolves to Yes. If the game is "
                "canceled, the market resolves 50-50.",
            )
        ),
    )
    p = _pair(
        matcher,
        _poly(
            "Falcons vs. Panthers",
            ("Panthers", "Falcons"),
            "nfl-atl-car-2026-01-04",
            POLY_NBA_RULES + " If the game ends in a tie, this market will resolve 50-50.",
        ),
    )
    assert equivalent(*k, *p).reason.startswith("draw_terms_differ")


def test_parse_terms_on_real_rules_text():
    k = parse_terms(_kalshi_fixture("-SAS"), League.NBA, Outcome.HOME)
    assert (k.overtime, k.draw, k.postponed, k.canceled) == ("included", "no", "follows_game", "unknown")
    event = load_fixture("polymarket", "gamma_events_sports_game_mlp_open.json")[0]
    mlp = parse_terms(polymarket_listing(event["markets"][0], event), League.NBA, Outcome.HOME)
    assert (mlp.draw, mlp.postponed, mlp.canceled) == ("fifty_fifty", "fifty_fifty_after_7d", "fifty_fifty")
    cs2 = parse_terms(
        polymarket_listing(load_fixture("polymarket", "gamma_market_sports_moneyline_resolved_cs2.json")),
        League.NBA,
        Outcome.HOME,
    )
    assert cs2.canceled == "fifty_fifty"


@pytest.mark.parametrize("accept", [False, True])
def test_the_engine_refuses_unknown_cancellation_terms_unless_the_operator_accepts_them(accept):
    from arbees_engine.node.kernel import Engine
    from arbees_engine.settings import Settings, StrategySettings

    settings = Settings(
        database_url=None, redis_url=None, strategy=StrategySettings(arb_accept_unknown_cancellation=accept)
    )
    engine = Engine(settings, [], matcher=Matcher())
    engine.on_game_state(
        game("espn:nba:g5", "nba", ("SA", "San Antonio Spurs"), ("NY", "New York Knicks"), "2026-06-14T00:30:00Z")
    )
    kalshi = _kalshi_fixture("-SAS")
    poly = _poly("Knicks vs. Spurs", ("Spurs", "Knicks"), "nba-nyk-sas-2026-06-13", POLY_NBA_RULES)
    engine.on_listing(kalshi)
    engine.on_listing(poly)
    a, b = (engine.registry.markets[f"{listing.venue.value}:{listing.venue_market_id}"] for listing in (kalshi, poly))
    assert engine.listings.equivalent(a, b) is accept
    assert (engine.input_rejections["equivalence:rules_unknown_cancellation"] == 1) is not accept  # by code only
    assert all(k.count(":") == 1 for k in engine.input_rejections)
