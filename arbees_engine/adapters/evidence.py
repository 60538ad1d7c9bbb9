"""What every venue's evidence builder shares: a draft of `ListingEvidence` and its refusal.

Each venue folder's `evidence.py` reads its own identifiers (Kalshi tickers, Polymarket slugs) into
a `Draft` and freezes it into the `ListingEvidence` its parser puts on the `MarketListing`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, time

from ..model import League, ListingEvidence, MarketListing, TeamRefs

#: YES labels that mean the draw, in the venues' wording.
DRAW_LABELS = {"tie", "draw", "the draw"}


class Refused(Exception):
    """Internal to the builders: the listing is not a game moneyline (`reason_code`, `detail`)."""

    def __init__(self, reason_code: str, detail: str) -> None:
        super().__init__(f"{reason_code}: {detail}")
        self.reason_code, self.detail = reason_code, detail


@dataclass(slots=True)
class Draft:
    """Mutable `ListingEvidence` while a builder reads a listing (fields as there)."""

    leagues: dict[str, League] = field(default_factory=dict)
    unknown_codes: list[str] = field(default_factory=list)
    day: date | None = None
    start_et: time | None = None
    game_number: int | None = None
    pairs: list[TeamRefs] = field(default_factory=list)
    yes_code: str | None = None
    yes_label: str | None = None
    yes_draw: bool = False

    def require_league(self) -> None:
        """Raises Refused("unknown_league") when no source named a known league."""
        if not self.leagues:
            raise Refused("unknown_league", f"no known league in {self.unknown_codes or 'the listing'}")

    def freeze(self, *, start_is_scheduled: bool, yes_only_if_stated: bool) -> ListingEvidence:
        """The immutable evidence, with the venue's two facts about its times and rules."""
        return ListingEvidence(
            tuple(self.leagues.items()),
            tuple(self.unknown_codes),
            self.day,
            self.start_et,
            self.game_number,
            tuple(self.pairs),
            self.yes_code,
            self.yes_label,
            self.yes_draw,
            start_is_scheduled,
            yes_only_if_stated,
        )


def refused(exc: Refused) -> ListingEvidence:
    """Evidence that only says why the listing cannot be a game moneyline."""
    return ListingEvidence(refusal=(exc.reason_code, exc.detail))


def with_evidence(listing: MarketListing, evidence: ListingEvidence) -> MarketListing:
    """`listing` carrying `evidence` (a new frozen listing)."""
    return replace(listing, evidence=evidence)
