"""Layer 1 of matching: what a listing says about league, date, teams and YES.

`extract(listing)` turns a MarketListing into `Evidence` from its venue-neutral `ListingEvidence`
(read from the venue's own fields by `adapters/<venue>/evidence.py` when the listing was parsed)
and its text (title, YES label, rules, dates). It never consults games and knows no venue's
grammar. Raises `Refuse` for listings that cannot be game moneylines at all (not a game ticker,
a spread/total, a Yes/No market without a team, double-chance rules).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from ..model import League, MarketListing, TeamRefs, Venue
from .wording import WIN_OR_DRAW, not_moneyline

EASTERN = ZoneInfo("America/New_York")
#: A listing's team references from one source (the model's `TeamRefs`).
PairSource = TeamRefs


class Refuse(Exception):
    """Internal: abort matching with a stable `reason_code` and a human `detail`."""

    def __init__(self, reason_code: str, detail: str) -> None:
        super().__init__(f"{reason_code}: {detail}")
        self.reason_code, self.detail = reason_code, detail


@dataclass(slots=True)
class Evidence:
    """What a listing says. `day` is a US Eastern date (ticker/slug date, else the listing's
    date-only start, else its start time's Eastern date); `start_et` an Eastern wall-clock start;
    `starts_at` an aware UTC start time, only when the venue gives a time of day;
    `start_is_scheduled` when that time is the game's scheduled start (not a venue time near the
    end of play)."""

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
    start_is_scheduled: bool = False


def eastern_date(moment: datetime) -> date:
    """US Eastern calendar date of an aware datetime (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(EASTERN).date()


def extract(listing: MarketListing) -> Evidence:
    """Read a listing's league, date, team references and YES side. Raises Refuse."""
    starts = listing.starts_at
    if starts is not None and starts.tzinfo is None:
        starts = starts.replace(tzinfo=UTC)  # venue times are UTC; never compare naive with aware
    ev = _from_listing_evidence(listing, starts)
    if not_moneyline(listing.title) or not_moneyline(listing.yes_label):
        raise Refuse(
            "not_moneyline", f"title {listing.title!r} / YES {listing.yes_label!r} is not a game-winner market"
        )
    if WIN_OR_DRAW.search(listing.rules or ""):
        raise Refuse("not_moneyline", "the rules pay YES on a win or a draw (double chance)")
    _date_only_start(listing, ev)
    if ev.day is None and ev.starts_at is not None:
        ev.day = eastern_date(ev.starts_at)
    return ev


def _from_listing_evidence(listing: MarketListing, starts: datetime | None) -> Evidence:
    """The adapter's `ListingEvidence` as a mutable `Evidence`. Raises Refuse with its refusal,
    or "unknown_venue" for a listing no venue adapter read."""
    given = listing.evidence
    if given is None:
        raise Refuse("unknown_venue", f"venue {listing.venue!r}: no adapter read this listing's evidence")
    if given.refusal is not None:
        raise Refuse(*given.refusal)
    return Evidence(
        venue=listing.venue,
        leagues=dict(given.leagues),
        unknown_codes=list(given.unknown_codes),
        day=given.day,
        start_et=given.start_et,
        starts_at=starts,
        game_number=given.game_number,
        pairs=list(given.pairs),
        yes_code=given.yes_code,
        yes_label=given.yes_label,
        yes_draw=given.yes_draw,
        start_is_scheduled=given.start_is_scheduled,
    )


def _date_only_start(listing: MarketListing, ev: Evidence) -> None:
    """A date-only start (`listing.start_date`, Polymarket `eventDate`) is the game's Eastern date,
    like the slug date, and never a 00:00Z start time: it dates a listing that has no other date
    and must agree with the date it has. Raises Refuse("date_mismatch") when they disagree."""
    if listing.start_date is None:
        return
    if ev.day is None:
        ev.day = listing.start_date
    elif ev.day != listing.start_date:
        raise Refuse(
            "date_mismatch",
            f"the listing's date {ev.day} (US Eastern) disagrees with its date-only start {listing.start_date}",
        )
