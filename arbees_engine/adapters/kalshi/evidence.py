"""What a Kalshi listing says about its game, read from its tickers and `yes_sub_title`.

Kalshi event tickers carry the league (series), the US Eastern date, an ET start for doubleheaders
and the two team codes; a market ticker appends the YES team's code or TIE (`tickers.py`).
`listing_evidence` never raises: a listing that cannot be a game moneyline gets a refusal.
"""

from __future__ import annotations

from ...model import ListingEvidence, MarketListing, TeamRefs
from ..evidence import DRAW_LABELS, Draft, Refused, refused, with_evidence
from ..leagues import LEAGUE_CODES
from ..questions import parse_question
from .tickers import TickerError, kalshi_series_league, kalshi_yes_code, parse_kalshi_event


def listing_evidence(listing: MarketListing) -> ListingEvidence:
    """League, date, team codes and YES of a Kalshi listing (see `ListingEvidence`)."""
    draft = Draft()
    try:
        _hint_league(draft, listing.league_hint)
        _read(listing, draft)
    except Refused as exc:
        return refused(exc)
    # Kalshi times sit near the expected END of play; its rules pay YES only if "X wins" happens.
    return draft.freeze(start_is_scheduled=False, yes_only_if_stated=True)


def attach(listing: MarketListing) -> MarketListing:
    """`listing` with its `listing_evidence` (what `parse_market` returns)."""
    return with_evidence(listing, listing_evidence(listing))


def _hint_league(draft: Draft, hint: str) -> None:
    code = hint.strip().lower()
    if not code:
        return
    league = LEAGUE_CODES.get(code)
    if league is None and code.upper().startswith("KX"):
        league = kalshi_series_league(code)[0]
    if league is None:
        draft.unknown_codes.append(hint)
    else:
        draft.leagues["league_hint"] = league


def _read(listing: MarketListing, draft: Draft) -> None:
    try:
        event = parse_kalshi_event(listing.event_id)
    except TickerError as exc:
        raise Refused("unknown_league", f"{listing.event_id!r} is not a sports game ticker ({exc})") from exc
    if event.league is None:
        draft.unknown_codes.append(event.series)
    else:
        draft.leagues["kalshi_series"] = event.league
    draft.require_league()
    if event.kind != "GAME":
        raise Refused("not_moneyline", f"series {event.series} is a {event.kind.lower()} market, not a game winner")
    draft.day, draft.start_et = event.day, event.start_et
    draft.pairs.append(TeamRefs("kalshi_ticker", "code", blob=event.team_blob))
    try:
        code = kalshi_yes_code(listing.venue_market_id, listing.event_id)
    except TickerError as exc:
        raise Refused("unknown_team", str(exc)) from exc
    if code in ("TIE", "DRAW"):
        draft.yes_draw = True
    else:
        draft.yes_code = code
    label = listing.yes_label.strip()
    if label.lower() in DRAW_LABELS:
        if not draft.yes_draw:
            raise Refused("yes_label_mismatch", f"yes_sub_title {label!r} says draw but ticker says {code}")
    elif label:
        draft.yes_label = label
    question = parse_question(listing.title)
    draft.game_number = question.game_number
    if len(question.teams) == 2:
        draft.pairs.append(TeamRefs("kalshi_title", "name", (question.teams[0], question.teams[1])))
