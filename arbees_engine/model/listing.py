"""A venue market as its adapter sees it, before matching ties it to a game and an outcome.

Adapters fill what their venue provides; the matcher (`arbees_engine.matching`) turns a
`MarketListing` into a `Market` or refuses it with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

from .contracts import WHOLE_STEP
from .fees import KALSHI_FEES, FeeSchedule
from .game import League
from .ticks import TickSchedule
from .venue import Venue


class ListingStatus(StrEnum):
    """A venue market's trading status, normalised by its adapter. SETTLED is final."""

    OPEN = "open"
    CLOSED = "closed"
    SETTLED = "settled"


class VenueResult(StrEnum):
    """How a venue resolved a settled market: YES or NO pays $1 per contract on that side; VOID
    returns positions at cost (Kalshi); SPLIT pays $0.50 on each YES and NO contract (a Polymarket
    50-50 resolution)."""

    YES = "yes"
    NO = "no"
    VOID = "void"
    SPLIT = "split"


VENUE_RESULT_VALUES = frozenset(r.value for r in VenueResult)


@dataclass(frozen=True, slots=True)
class TeamRefs:
    """Two team references from one source of a listing.

    method: the source ("kalshi_ticker", "kalshi_title", "polymarket_slug", "polymarket_teams",
      "polymarket_question"), named in a match's method; kind: "code" (ticker/slug codes) or "name".
    refs: the two references, in the venue's order; blob: concatenated codes instead ("NYKSAS",
      a Kalshi event ticker's teams), split against the league's codes by the matcher.
    """

    method: str
    kind: str
    refs: tuple[str, str] | None = None
    blob: str = ""


@dataclass(frozen=True, slots=True)
class ListingEvidence:
    """What a listing says about its game, read by its venue's adapter when the listing is parsed.

    The matcher reads only this (and the listing's venue-neutral text: title, YES label, rules,
    start), never a venue's ticker or slug grammar. `refusal` = (reason_code, detail) when the
    venue's own fields already show the listing is not a game moneyline (a spread series, an
    unknown league, a Yes/No market naming no team); the other fields are then empty.
    leagues: (source, League) per source that names one ("kalshi_series", "polymarket_slug",
      "league_hint"); unknown_codes: league codes no league is known for.
    day: the listing's US Eastern game date from its identifier; start_et: an Eastern wall-clock
      start from it (Kalshi doubleheaders); game_number: "Game 2" of a series or doubleheader.
    yes_code / yes_label / yes_draw: YES as a team code, a team name, or the draw.
    start_is_scheduled: the listing's `starts_at` is the game's scheduled start (Polymarket), not a
      venue time near the end of play (Kalshi's expected expiration).
    yes_only_if_stated: the venue's rules pay YES only when their stated condition happens ("If X
      wins the … game …, then the market resolves to Yes", Kalshi `rules_primary`), so a draw pays NO.
    """

    leagues: tuple[tuple[str, League], ...] = ()
    unknown_codes: tuple[str, ...] = ()
    day: date | None = None
    start_et: time | None = None
    game_number: int | None = None
    pairs: tuple[TeamRefs, ...] = ()
    yes_code: str | None = None
    yes_label: str | None = None
    yes_draw: bool = False
    start_is_scheduled: bool = False
    yes_only_if_stated: bool = False
    refusal: tuple[str, str] | None = None


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
    status: venue status normalised to a ListingStatus (SETTLED is final, cannot change).
    result: when settled, the venue's own resolution (VenueResult: YES, NO, VOID, SPLIT), else None.
      Adapters may pass the enums' string values; they are converted here. A status outside
      ListingStatus raises ValueError (the adapter's parse boundary counts a rejected listing); a
      result outside VenueResult (Kalshi's "scalar") stays the venue's raw string, so settlement
      counts it as `venue_result_unknown` and leaves the positions open.
    rules: resolution text (Kalshi rules_primary/secondary, Polymarket description) for equivalence.
    min_order_contracts: the venue's minimum order size in contracts (Polymarket `orderMinSize`;
      a fractional Kalshi market's step, 0.01).
    contract_step: the venue's quantity grid for this market in contracts: 1, or 0.01 where it
      trades fractional contracts (Kalshi `fractional_trading_enabled`; model/contracts.py).
    best_bid/best_ask: top of book if the listing carries it (dollars), else None.
    tick_schedule: the venue's price-dependent grid when it states one (Kalshi `price_ranges`),
      else None (uniform at `tick`); tick_refused: why the venue's stated grid was rejected at parse
      time ("" when it was not): no order is sent on such a market (`price_grid` raises).
    evidence: what the listing says about its game, set by the venue's adapter at parse time
      (`adapters/<venue>/evidence.py`); None for a listing no adapter read (the matcher refuses it).
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
    status: ListingStatus = ListingStatus.OPEN
    result: VenueResult | str | None = None
    tick: Decimal = Decimal("0.01")
    fees: FeeSchedule = KALSHI_FEES
    rules: str = ""
    best_bid: Decimal | None = None
    best_ask: Decimal | None = None
    no_token_id: str | None = None
    slug: str = ""
    min_order_contracts: Decimal = WHOLE_STEP
    contract_step: Decimal = WHOLE_STEP
    extra: dict[str, str] = field(default_factory=dict, hash=False)
    tick_schedule: TickSchedule | None = None
    tick_refused: str = ""
    evidence: ListingEvidence | None = field(default=None, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", ListingStatus(self.status))
        if self.result in VENUE_RESULT_VALUES:
            object.__setattr__(self, "result", VenueResult(self.result))

    @property
    def market_id(self) -> str:
        """The engine-wide id of this venue market, as `Market.market_id`: "<venue>:<venue_market_id>"."""
        return f"{self.venue.value}:{self.venue_market_id}"
