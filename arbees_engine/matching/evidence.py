"""Layer 1 of matching: read what a venue listing says about league, date, teams and YES.

`extract(listing)` turns a MarketListing into `Evidence` using each venue's own fields:
Kalshi event/market tickers and `yes_sub_title`; Polymarket slug, event `teams`, question and
outcome[0]. It never consults games. Raises `Refuse` for listings that cannot be game
moneylines at all (not a game ticker, a spread/total, a Yes/No market without a team).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from ..model import League, MarketListing, Venue
from .tickers import (
    LEAGUE_CODES,
    NOT_MONEYLINE,
    WIN_OR_DRAW,
    TickerError,
    kalshi_series_league,
    kalshi_yes_code,
    parse_kalshi_event,
    parse_question,
    parse_slug,
)

EASTERN = ZoneInfo("America/New_York")
DRAW_LABELS = {"tie", "draw", "the draw"}
_MONEYLINE_TYPES = {"", "moneyline"}


class Refuse(Exception):
    """Internal: abort matching with a stable `reason_code` and a human `detail`."""

    def __init__(self, reason_code: str, detail: str) -> None:
        super().__init__(f"{reason_code}: {detail}")
        self.reason_code, self.detail = reason_code, detail


@dataclass(slots=True)
class PairSource:
    """Two team references from one source: `kind` "code" (ticker/slug codes) or "name"."""

    method: str
    kind: str
    refs: tuple[str, str] | None = None
    blob: str = ""  # Kalshi concatenated codes, split against the league's codes later


@dataclass(slots=True)
class Evidence:
    """What a listing says. `day` is a US Eastern date (ticker/slug date, else the listing's
    date-only start, else its start time's Eastern date); `start_et` an Eastern wall-clock start;
    `starts_at` an aware UTC start time, only when the venue gives a time of day."""

    venue: Venue
    leagues: dict[str, League] = field(default_factory=dict)
    unknown_codes: list[str] = field(default_factory=list)
    day: date | None = None
    start_et: time | None = None
    starts_at: datetime | None = None
    game_number: int | None = None
    pairs: list[PairSource] = field(default_factory=list)
    yes_code: str | None = None
    yes_label: str | None = None
    yes_draw: bool = False


def eastern_date(moment: datetime) -> date:
    """US Eastern calendar date of an aware datetime (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(EASTERN).date()


def _hint_league(ev: Evidence, hint: str) -> None:
    code = hint.strip().lower()
    if not code:
        return
    league = LEAGUE_CODES.get(code)
    if league is None and code.upper().startswith("KX"):
        league = kalshi_series_league(code)[0]
    if league is None:
        ev.unknown_codes.append(hint)
    else:
        ev.leagues["league_hint"] = league


def _require_league(ev: Evidence) -> None:
    if not ev.leagues:
        raise Refuse("unknown_league", f"no known league in {ev.unknown_codes or 'the listing'}")


def _kalshi(listing: MarketListing, ev: Evidence) -> None:
    try:
        event = parse_kalshi_event(listing.event_id)
    except TickerError as exc:
        raise Refuse("unknown_league", f"{listing.event_id!r} is not a sports game ticker ({exc})") from exc
    if event.league is None:
        ev.unknown_codes.append(event.series)
    else:
        ev.leagues["kalshi_series"] = event.league
    _require_league(ev)
    if event.kind != "GAME":
        raise Refuse("not_moneyline", f"series {event.series} is a {event.kind.lower()} market, not a game winner")
    ev.day, ev.start_et = event.day, event.start_et
    ev.pairs.append(PairSource("kalshi_ticker", "code", blob=event.team_blob))
    try:
        code = kalshi_yes_code(listing.venue_market_id, listing.event_id)
    except TickerError as exc:
        raise Refuse("unknown_team", str(exc)) from exc
    if code in ("TIE", "DRAW"):
        ev.yes_draw = True
    else:
        ev.yes_code = code
    label = listing.yes_label.strip()
    if label.lower() in DRAW_LABELS:
        if not ev.yes_draw:
            raise Refuse("yes_label_mismatch", f"yes_sub_title {label!r} says draw but ticker says {code}")
    elif label:
        ev.yes_label = label
    question = parse_question(listing.title)
    ev.game_number = question.game_number
    if len(question.teams) == 2:
        ev.pairs.append(PairSource("kalshi_title", "name", question.teams))


def _polymarket(listing: MarketListing, ev: Evidence) -> None:
    slug = parse_slug(listing.slug or listing.event_id)
    if slug:
        league = LEAGUE_CODES.get(slug.league_code)
        if league is None:
            ev.unknown_codes.append(slug.league_code)
        else:
            ev.leagues["polymarket_slug"] = league
    _require_league(ev)
    smt = listing.extra.get("sports_market_type", listing.extra.get("sportsMarketType", "")).strip().lower()
    if smt not in _MONEYLINE_TYPES:
        raise Refuse("not_moneyline", f"sportsMarketType {smt!r}")
    question = parse_question(listing.title)
    ev.game_number = question.game_number
    if slug:
        ev.day = slug.day
        if slug.suffix == "draw":
            ev.yes_draw = True
        elif slug.suffix and slug.suffix not in slug.codes:
            raise Refuse("not_moneyline", f"slug suffix {slug.suffix!r} is not a game-winner market")
        elif slug.suffix:
            ev.yes_code = slug.suffix
        ev.pairs.append(PairSource("polymarket_slug", "code", slug.codes))
    if len(listing.teams) == 2:
        ev.pairs.append(PairSource("polymarket_teams", "name", (listing.teams[0], listing.teams[1])))
    if len(question.teams) == 2:
        ev.pairs.append(PairSource("polymarket_question", "name", (question.teams[0], question.teams[1])))
    label = listing.yes_label.strip()
    if label.lower() == "yes":
        if question.is_draw:
            ev.yes_draw = True
        elif question.yes_team:
            ev.yes_label = question.yes_team
        elif not ev.yes_code and not ev.yes_draw:
            raise Refuse("not_moneyline", f"Yes/No market {listing.title!r} names no team to win")
    elif label.lower() in DRAW_LABELS:
        ev.yes_draw = True
    elif label and label.lower() != "no":
        ev.yes_label = label
    else:
        raise Refuse("not_moneyline", f"outcome[0] {label!r} does not name a team")
    if question.is_draw and not ev.yes_draw:
        raise Refuse("yes_label_mismatch", f"draw question but outcome[0] is {label!r}")


def extract(listing: MarketListing) -> Evidence:
    """Read a listing's league, date, team references and YES side. Raises Refuse."""
    starts = listing.starts_at
    if starts is not None and starts.tzinfo is None:
        starts = starts.replace(tzinfo=timezone.utc)  # venue times are UTC; never compare naive with aware
    ev = Evidence(venue=listing.venue, starts_at=starts)
    _hint_league(ev, listing.league_hint)
    if listing.venue is Venue.KALSHI:
        _kalshi(listing, ev)
    elif listing.venue is Venue.POLYMARKET:
        _polymarket(listing, ev)
    else:
        raise Refuse("unknown_venue", f"venue {listing.venue!r}")
    if NOT_MONEYLINE.search(listing.title) or NOT_MONEYLINE.search(listing.yes_label):
        raise Refuse("not_moneyline", f"title {listing.title!r} / YES {listing.yes_label!r} is not a game-winner market")
    if WIN_OR_DRAW.search(listing.rules or ""):
        raise Refuse("not_moneyline", "the rules pay YES on a win or a draw (double chance)")
    _date_only_start(listing, ev)
    if ev.day is None and ev.starts_at is not None:
        ev.day = eastern_date(ev.starts_at)
    return ev


def _date_only_start(listing: MarketListing, ev: Evidence) -> None:
    """A date-only start (`listing.start_date`, Polymarket `eventDate`) is the game's Eastern date,
    like the slug date, and never a 00:00Z start time: it dates a listing that has no other date
    and must agree with the date it has. Raises Refuse("date_mismatch") when they disagree."""
    if listing.start_date is None:
        return
    if ev.day is None:
        ev.day = listing.start_date
    elif ev.day != listing.start_date:
        raise Refuse("date_mismatch", f"the listing's date {ev.day} (US Eastern) disagrees with its "
                                      f"date-only start {listing.start_date}")
