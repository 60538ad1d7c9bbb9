"""Markets: one binary contract pair tied to one game and one outcome.

The rest of what this module held moved into `venue.py` (Venue, Side, Outcome), `ticks.py` (price
grids), `book.py` (order books) and `fees.py`; the names are re-exported here for one release.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .book import BookError, BookLevel, BookUpdate, BookUpdateKind, OrderBook  # noqa: F401  (re-export)
from .contracts import WHOLE_STEP
from .fees import KALSHI_FEES, FeeKind, FeeSchedule  # noqa: F401  (re-export)
from .ticks import (  # noqa: F401  (re-export)
    TICK_SCHEDULE_KEY,
    TICK_SCHEDULE_REFUSED,
    Rounding,
    TickError,
    TickRange,
    TickSchedule,
    price_grid,
)
from .venue import Outcome, Side, Venue, paying_results  # noqa: F401  (re-export)


@dataclass(frozen=True, slots=True)
class Market:
    """A binary market tied to one game and one outcome.

    market_id: engine-wide id "<venue>:<venue_market_id>" (e.g. "kalshi:KXNBAGAME-26JUN13NYKSAS-SAS").
    venue_market_id: the venue's own id (Kalshi ticker; Polymarket YES token id).
    outcome: which game result pays YES; `yes_team` is that team's abbreviation (None for DRAW).
    tick: minimum price increment in dollars (0.01 or 0.001): the FINEST step of the market's grid
      (the `markets.tick` column). tick_schedule: a price-dependent grid (None: uniform); tick_refused:
      why the venue's grid was rejected ("" if it was not). Read both through `price_grid`.
    contract_step: the quantity grid in contracts, 1 (whole contracts) or 0.01 where the venue
      trades fractions (Kalshi `fractional_trading_enabled`; model/contracts.py). Every size,
      order, fill and position on this market is a multiple of it.
    min_order_contracts: the venue refuses smaller orders (Polymarket `orderMinSize`), contracts;
      a fractional Kalshi market's is its step, 0.01.
    """

    market_id: str
    venue: Venue
    venue_market_id: str
    game_id: str
    outcome: Outcome
    yes_team: str | None
    title: str = ""
    tick: Decimal = Decimal("0.01")
    fees: FeeSchedule = KALSHI_FEES
    simulated: bool = False
    no_token_id: str | None = None
    min_order_contracts: Decimal = WHOLE_STEP
    contract_step: Decimal = WHOLE_STEP
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    tick_schedule: TickSchedule | None = field(default=None, compare=False, hash=False)
    tick_refused: str = field(default="", compare=False, hash=False)
