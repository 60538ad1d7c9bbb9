"""A venue market as its adapter sees it, before matching ties it to a game and an outcome.

Adapters fill what their venue provides; the matcher (`arbees_engine.matching`) turns a
`MarketListing` into a `Market` or refuses it with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .fees import KALSHI_FEES, FeeSchedule
from .venue import Venue


@dataclass(frozen=True, slots=True)
class MarketListing:
    """Venue-neutral description of one binary market.

    venue_market_id: Kalshi market ticker, or Polymarket YES-outcome token id.
    event_id: Kalshi event ticker ("KXNBAGAME-26JUN13NYKSAS") or Polymarket event slug/id.
    title: the venue's title or question; yes_label: what YES means in the venue's own words
      (Kalshi `yes_sub_title`, Polymarket outcome[0]); no_label likewise (Polymarket outcome[1]).
    teams: team names the venue lists for the event, in the venue's order; team_roles maps
      a name to "home"/"away" where the venue says so (Polymarket `teams[].ordering`).
    league_hint: the venue's league/sport code if any ("nba", "mlp", "KXNBAGAME").
    starts_at: scheduled start (UTC) where known; closes_at: trading close.
    start_date: the venue's date-only start where it gives no start time (Polymarket event
      `eventDate`, "2026-04-05"): a calendar date in the venue's own date convention (US Eastern,
      as its slug date), never a moment; the matcher checks it against the game's Eastern date.
    status: venue status normalised to "open", "closed" or "settled" (final, cannot change).
    result: when settled, the venue's own resolution: "yes" or "no"; "void" (positions returned at
      cost, Kalshi); "split" (each YES and NO contract pays $0.50, a Polymarket 50-50). Else None.
    rules: resolution text (Kalshi rules_primary/secondary, Polymarket description) for equivalence.
    min_order_contracts: the venue's minimum order size in contracts (Polymarket `orderMinSize`).
    best_bid/best_ask: top of book if the listing carries it (dollars), else None.
    """

    venue: Venue
    venue_market_id: str
    event_id: str
    title: str
    yes_label: str
    no_label: str = ""
    teams: tuple[str, ...] = ()
    team_roles: dict[str, str] = field(default_factory=dict, hash=False)
    league_hint: str = ""
    starts_at: datetime | None = None
    start_date: date | None = None
    closes_at: datetime | None = None
    status: str = "open"
    result: str | None = None
    tick: Decimal = Decimal("0.01")
    fees: FeeSchedule = KALSHI_FEES
    rules: str = ""
    best_bid: Decimal | None = None
    best_ask: Decimal | None = None
    no_token_id: str | None = None
    slug: str = ""
    min_order_contracts: int = 1
    extra: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def market_id(self) -> str:
        """The engine-wide id of this venue market, as `Market.market_id`: "<venue>:<venue_market_id>"."""
        return f"{self.venue.value}:{self.venue_market_id}"
