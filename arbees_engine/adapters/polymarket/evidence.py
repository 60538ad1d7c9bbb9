"""What a Polymarket listing says about its game: slug, event teams, question, outcome[0].

The slug carries the league, the US Eastern date, two team codes and, on a multi-market event,
the YES team's code or `draw` (`slug.py`); `sportsMarketType` tells a moneyline from a spread or
total (https://docs.polymarket.com/developers/gamma-markets-api/get-markets). `listing_evidence`
never raises: a listing that cannot be a game moneyline gets a refusal.
"""

from __future__ import annotations

from ...model import ListingEvidence, MarketListing, TeamRefs
from ..evidence import DRAW_LABELS, Draft, Refused, refused, with_evidence
from ..leagues import LEAGUE_CODES
from ..questions import Question, parse_question
from .slug import parse_slug

#: `sportsMarketType` values of a game-winner market ("" when Gamma leaves it out).
MONEYLINE_TYPES = {"", "moneyline"}
#: `MarketListing.extra` key of the market's `sportsMarketType` (written by `parse.py`).
MARKET_TYPE_KEY = "sports_market_type"


def listing_evidence(listing: MarketListing) -> ListingEvidence:
    """League, date, team references and YES of a Polymarket listing (see `ListingEvidence`)."""
    draft = Draft()
    try:
        hint = listing.league_hint.strip()
        if hint:
            league = LEAGUE_CODES.get(hint.lower())
            if league is None:
                draft.unknown_codes.append(hint)
            else:
                draft.leagues["league_hint"] = league
        _read(listing, draft)
    except Refused as exc:
        return refused(exc)
    # Gamma's startTime is the scheduled start; its descriptions state every outcome's resolution.
    return draft.freeze(start_is_scheduled=True, yes_only_if_stated=False)


def attach(listing: MarketListing) -> MarketListing:
    """`listing` with its `listing_evidence` (what `parse_market` returns)."""
    return with_evidence(listing, listing_evidence(listing))


def _read(listing: MarketListing, draft: Draft) -> None:
    slug = parse_slug(listing.slug or listing.event_id)
    if slug:
        league = LEAGUE_CODES.get(slug.league_code)
        if league is None:
            draft.unknown_codes.append(slug.league_code)
        else:
            draft.leagues["polymarket_slug"] = league
    draft.require_league()
    smt = listing.extra.get(MARKET_TYPE_KEY, listing.extra.get("sportsMarketType", "")).strip().lower()
    if smt not in MONEYLINE_TYPES:
        raise Refused("not_moneyline", f"sportsMarketType {smt!r}")
    question = parse_question(listing.title)
    draft.game_number = question.game_number
    if slug:
        draft.day = slug.day
        if slug.suffix == "draw":
            draft.yes_draw = True
        elif slug.suffix and slug.suffix not in slug.codes:
            raise Refused("not_moneyline", f"slug suffix {slug.suffix!r} is not a game-winner market")
        elif slug.suffix:
            draft.yes_code = slug.suffix
        draft.pairs.append(TeamRefs("polymarket_slug", "code", slug.codes))
    if len(listing.teams) == 2:
        draft.pairs.append(TeamRefs("polymarket_teams", "name", (listing.teams[0], listing.teams[1])))
    if len(question.teams) == 2:
        draft.pairs.append(TeamRefs("polymarket_question", "name", (question.teams[0], question.teams[1])))
    _read_yes(listing, question, draft)


def _read_yes(listing: MarketListing, question: Question, draft: Draft) -> None:
    """YES from outcome[0]: a team, the draw, or "Yes" (then the question names it)."""
    label = listing.yes_label.strip()
    if label.lower() == "yes":
        if question.is_draw:
            draft.yes_draw = True
        elif question.yes_team:
            draft.yes_label = question.yes_team
        elif not draft.yes_code and not draft.yes_draw:
            raise Refused("not_moneyline", f"Yes/No market {listing.title!r} names no team to win")
    elif label.lower() in DRAW_LABELS:
        draft.yes_draw = True
    elif label and label.lower() != "no":
        draft.yes_label = label
    else:
        raise Refused("not_moneyline", f"outcome[0] {label!r} does not name a team")
    if question.is_draw and not draft.yes_draw:
        raise Refused("yes_label_mismatch", f"draw question but outcome[0] is {label!r}")
