"""Contract equivalence for cross-venue arbitrage: are two matched markets the same bet?

Two markets are equivalent only if all of these can be shown from the venues' own data:
same game; same outcome and YES team, re-derived from each venue's own fields (Kalshi ticker
suffix / yes_sub_title, Polymarket outcome[0] or question — never title order); same treatment
of overtime/extra time; same treatment of a draw where a draw is possible; same postponement
and cancellation terms. Terms are read from the rules text conservatively (`parse_terms`): a
term that cannot be read is "unknown" and an unknown term refuses the pair with
`rules_unknown_<term>`, unless the caller explicitly accepts unknown postponement/cancellation.

Rules wording follows Kalshi `rules_primary` ("If X wins the … game originally scheduled for …,
then the market resolves to Yes", https://docs.kalshi.com/api-reference/market/get-market) and
Polymarket market `description` ("If the game is postponed, this market will remain open until
the game has been completed. If the game is canceled entirely … 50-50",
https://docs.polymarket.com/developers/gamma-markets-api/get-markets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import LEAGUE_SPORT, League, Market, MarketListing, Outcome, Sport
from .aliases import default_aliases
from .evidence import Refuse, extract
from .matcher import _league_of
from .wording import WIN_OR_DRAW as _WIN_OR_DRAW

INCLUDED, REGULATION, UNKNOWN = "included", "regulation", "unknown"
_OT = r"(?:overtime|over-time|extra[- ]time|extra innings|ot|shoot-?outs?|penalty shoot-?outs?)"
_OT_EXCLUDED = re.compile(
    rf"\b(?:not includ\w*|exclud\w*|does not include|do not count|will not count|"
    rf"without)\b[^.]{{0,40}}\b{_OT}\b",
    re.I,
)
_OT_INCLUDED = re.compile(
    rf"\b(?:includ\w*|inclusive of|after|counts?|incl\.)\b[^.]{{0,40}}\b{_OT}\b|"
    rf"\b{_OT}\b[^.]{{0,30}}\b(?:counts?|included|will count)\b",
    re.I,
)
# negation AFTER the overtime word: "Overtime does not count", "overtime and shootouts are not included/excluded"
_OT_NEGATED = re.compile(
    rf"\b{_OT}\b[^.]{{0,40}}\b(?:not|n't|never)\b[^.]{{0,15}}\b(?:count\w*|includ\w*)\b|"
    rf"\b{_OT}\b[^.]{{0,40}}\bexcluded\b",
    re.I,
)
_REGULATION = re.compile(r"\b(?:regulation|regular time|90 minutes|60 minutes|full[- ]time result)\b", re.I)

_DRAW_FIFTY = re.compile(r"\b(?:tie|draw|tied|drawn)\b[^.]{0,120}\b50-50\b", re.I)
_DRAW_NO = re.compile(
    r"\b(?:tie|draw|tied|drawn)\b[^.]{0,80}\bresolves?\b[^.]{0,10}\bno\b|"
    r"\botherwise\b[^.]{0,60}\b(?:resolve|resolves)\b[^.]{0,10}\bno\b",
    re.I,
)
_IF_WINS_YES = re.compile(r"\bif\b[^.]{1,80}\bwins?\b[^.]*\bresolves? to yes\b", re.I)
# a postponement with a deadline or its own resolution: not "follows the game", whatever else is said
_POSTPONED_DEADLINE = re.compile(
    r"\bpostpon\w*[^.]{0,160}\b(?:\d+\s*(?:days?|hours?)|resolves?\b[^.]{0,10}\b(?:no|yes))\b", re.I
)
_POSTPONED_FOLLOWS = re.compile(
    r"\bpostpon\w*[^.]{0,80}\b(?:remain open|until the (?:game|match) has been (?:completed|played)"
    r"|rescheduled)\b|\boriginally scheduled for\b",
    re.I,
)
_DELAY_FIFTY = re.compile(r"\bdelayed beyond (\d+) days\b[^.]{0,120}\b50-50\b", re.I)
_CANCEL_FIFTY = re.compile(r"\bcancel+ed\b[^.]{0,200}\b50-50\b", re.I)
_CANCEL_NO = re.compile(r"\bcancel+ed\b[^.]{0,100}\bresolves?\b[^.]{0,10}\bno\b", re.I)
_CANCEL_VOID = re.compile(r"\bcancel+ed\b[^.]{0,100}\b(?:void|refund\w*)\b", re.I)


@dataclass(frozen=True, slots=True)
class Equivalence:
    """`ok` True when the two contracts pay on exactly the same events; `reason` says why not."""

    ok: bool
    reason: str


@dataclass(frozen=True, slots=True)
class Terms:
    """Resolution terms read from rules text: each value is a short token or "unknown"."""

    overtime: str
    draw: str
    postponed: str
    canceled: str


def _overtime(text: str, league: League) -> str:
    excluded = _OT_EXCLUDED.search(text) or _OT_NEGATED.search(text)
    # "included" is read only outside the phrases that exclude overtime ("not included", "excluding …")
    included = _OT_INCLUDED.search(_OT_EXCLUDED.sub(" ", _OT_NEGATED.sub(" ", text)))
    regulation = _REGULATION.search(text)
    if excluded and not included:
        return REGULATION
    if included and not excluded and not regulation:
        return INCLUDED
    if regulation and not included:
        return REGULATION
    if included or excluded:
        return UNKNOWN  # both readings present: cannot be shown one way
    sport = LEAGUE_SPORT[league]
    if sport in (Sport.BASKETBALL, Sport.BASEBALL, Sport.HOCKEY, Sport.FOOTBALL):
        return INCLUDED  # "wins the game": a winner exists only after overtime/extra innings
    return REGULATION if league is not League.UCL else UNKNOWN  # league soccer has no extra time


def _draw(text: str, yes_only_if_stated: bool, outcome: Outcome) -> str:
    if outcome is Outcome.DRAW:
        return "yes"
    if _WIN_OR_DRAW.search(text):
        return "win_or_draw"
    if _DRAW_FIFTY.search(text):
        return "fifty_fifty"
    if _DRAW_NO.search(text) or (yes_only_if_stated and _IF_WINS_YES.search(text)):
        return "no"  # YES only if the stated condition ("X wins") happens (ListingEvidence.yes_only_if_stated)
    return UNKNOWN


def parse_terms(listing: MarketListing, league: League, outcome: Outcome) -> Terms:
    """Read overtime/draw/postponement/cancellation terms from `listing.rules` (and title)."""
    text = " ".join((listing.rules or "").split())
    delay = _DELAY_FIFTY.search(text)
    if delay:
        postponed = f"fifty_fifty_after_{delay.group(1)}d"
    elif _POSTPONED_DEADLINE.search(text):
        postponed = UNKNOWN  # a deadline or its own resolution: not shown equal to anything else
    elif _POSTPONED_FOLLOWS.search(text):
        postponed = "follows_game"
    else:
        postponed = UNKNOWN
    if _CANCEL_FIFTY.search(text):
        canceled = "fifty_fifty"
    elif _CANCEL_NO.search(text):
        canceled = "no"
    elif _CANCEL_VOID.search(text):
        canceled = "void"
    else:
        canceled = UNKNOWN
    stated = listing.evidence is not None and listing.evidence.yes_only_if_stated
    return Terms(_overtime(text, league), _draw(text, stated, outcome), postponed, canceled)


def _draw_possible(league: League, overtime: str) -> bool:
    return LEAGUE_SPORT[league] is Sport.SOCCER or league is League.NFL or overtime == REGULATION


def _orientation_ok(market: Market, listing: MarketListing, league: League) -> bool:
    """Re-derive YES from the venue's own fields and check it names the market's team."""
    ev = extract(listing)
    if market.outcome is Outcome.DRAW:
        return ev.yes_draw
    la = default_aliases().league(league)
    team = la.resolve_code(market.yes_team or "") if la else None
    if team is None or ev.yes_draw:
        return False
    checks = [
        la.resolve_code(ev.yes_code) if ev.yes_code else None,
        la.resolve_name(ev.yes_label) if ev.yes_label else None,
    ]
    found = [c for c in checks if c is not None]
    return bool(found) and all(c.keys & team.keys for c in found)


def equivalent(
    market_a: Market,
    listing_a: MarketListing,
    market_b: Market,
    listing_b: MarketListing,
    *,
    accept_unknown_postponement: bool = False,
    accept_unknown_cancellation: bool = False,
) -> Equivalence:
    """Decide whether YES on `market_a` and YES on `market_b` pay on exactly the same events.

    Returns Equivalence(ok, reason). Reasons: different_game, outcome_inverted, outcome_mismatch,
    unmatchable_listing, league_mismatch, orientation_unverified, rules_unknown_overtime,
    overtime_terms_differ, rules_unknown_draw, draw_terms_differ, rules_unknown_postponement,
    postponement_terms_differ, rules_unknown_cancellation, cancellation_terms_differ.
    Never raises for listing content.
    """
    if market_a.game_id != market_b.game_id:
        return Equivalence(False, f"different_game: {market_a.game_id} vs {market_b.game_id}")
    if market_a.outcome != market_b.outcome or market_a.yes_team != market_b.yes_team:
        inverted = {market_a.outcome, market_b.outcome} == {Outcome.HOME, Outcome.AWAY}
        code = "outcome_inverted" if inverted else "outcome_mismatch"
        return Equivalence(False, f"{code}: YES={market_a.yes_team or 'draw'} vs YES={market_b.yes_team or 'draw'}")
    try:
        leagues = {_league_of(extract(listing_a)), _league_of(extract(listing_b))}
    except Refuse as r:
        return Equivalence(False, f"unmatchable_listing: {r.reason_code}: {r.detail}")
    if len(leagues) != 1:
        return Equivalence(False, f"league_mismatch: {sorted(leagues)}")
    league = leagues.pop()
    for market, listing in ((market_a, listing_a), (market_b, listing_b)):
        if not _orientation_ok(market, listing, league):
            return Equivalence(
                False,
                f"orientation_unverified: {market.market_id} YES label "
                f"{listing.yes_label!r} does not confirm {market.yes_team or 'draw'}",
            )
    ta = parse_terms(listing_a, league, market_a.outcome)
    tb = parse_terms(listing_b, league, market_b.outcome)
    checks = [("overtime", ta.overtime, tb.overtime, False)]
    if _draw_possible(league, ta.overtime) or _draw_possible(league, tb.overtime):
        checks.append(("draw", ta.draw, tb.draw, False))
    checks.append(("postponement", ta.postponed, tb.postponed, accept_unknown_postponement))
    checks.append(("cancellation", ta.canceled, tb.canceled, accept_unknown_cancellation))
    for name, a, b, accept_unknown in checks:
        if UNKNOWN in (a, b):
            if accept_unknown:
                continue
            return Equivalence(False, f"rules_unknown_{name}: {market_a.market_id}={a}, {market_b.market_id}={b}")
        if a != b:
            return Equivalence(False, f"{name}_terms_differ: {market_a.market_id}={a}, {market_b.market_id}={b}")
    return Equivalence(
        True, f"equivalent: {league.value} {market_a.game_id} YES={market_a.yes_team or 'draw'}, overtime={ta.overtime}"
    )
