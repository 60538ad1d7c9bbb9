"""The two simulated venues: their fee schedules, maker behaviour and market naming.

Markets reuse the real venue ids (`Venue.KALSHI`, `Venue.POLYMARKET`) with `simulated=True`
and ids like "sim-kalshi:nba-3-BOS" for game "sim:nba:3".
Fees: Kalshi's published schedule (`KALSHI_FEES`, https://kalshi.com/docs/kalshi-fee-schedule.pdf);
Polymarket's sports schedule as recorded in /work/shared/fixtures/polymarket/
gamma_events_sports_game_mlp_open.json (`feeSchedule`: rate 0.05, exponent 1, taker only;
feeType "sports_fees_v2"), the real Gamma API payload for a sports game market.
"""

from __future__ import annotations

from decimal import Decimal

from ...model import KALSHI_FEES, FeeKind, FeeSchedule, Market, Outcome, Venue
from .game import SimGame
from .maker import VenueProfile

POLYMARKET_SPORTS_FEES = FeeSchedule(
    FeeKind.POLYMARKET, taker_rate=Decimal("0.05"), maker_rate=Decimal("0"), exponent=1
)

VENUE_FEES: dict[Venue, FeeSchedule] = {Venue.KALSHI: KALSHI_FEES, Venue.POLYMARKET: POLYMARKET_SPORTS_FEES}

#: Kalshi's sim makers are quicker and tighter; Polymarket's lag longer with wider, noisier quotes.
PROFILES: dict[Venue, VenueProfile] = {
    Venue.KALSHI: VenueProfile(
        lag_s=(2, 5), spread_cents=(2, 4), requote_s=2, noise_sd=0.03, size=(20, 200), levels=(3, 5), refill_s=10
    ),
    Venue.POLYMARKET: VenueProfile(
        lag_s=(6, 12), spread_cents=(3, 6), requote_s=3, noise_sd=0.05, size=(10, 300), levels=(3, 5), refill_s=15
    ),
}

#: Index of each outcome in `SimGame.true_probs()`.
OUTCOME_INDEX = {Outcome.HOME: 0, Outcome.DRAW: 1, Outcome.AWAY: 2}


def outcomes_for(game: SimGame) -> tuple[Outcome, ...]:
    """Soccer gets the three-way market (home / draw / away; a draw settles home and away NO);
    other sports a single "home wins" market."""
    if game.spec.ot_s == 0:
        return (Outcome.HOME, Outcome.DRAW, Outcome.AWAY)
    return (Outcome.HOME,)


def make_market(game: SimGame, venue: Venue, outcome: Outcome) -> Market:
    """The simulated `Market` for `outcome` of `game` on `venue`."""
    _, league, number = game.game_id.split(":")
    team = {Outcome.HOME: game.home, Outcome.AWAY: game.away}.get(outcome)
    suffix = team.abbr if team else "TIE"
    venue_market_id = f"{league}-{number}-{suffix}"
    if team is None:
        title = f"{game.away.abbr} at {game.home.abbr}: draw?"
    else:
        other = game.away if team is game.home else game.home
        title = f"Will {team.name} beat {other.name}?"
    return Market(
        market_id=f"sim-{venue.value}:{venue_market_id}",
        venue=venue,
        venue_market_id=venue_market_id,
        game_id=game.game_id,
        outcome=outcome,
        yes_team=team.abbr if team else None,
        title=title,
        tick=Decimal("0.01"),
        fees=VENUE_FEES[venue],
        simulated=True,
    )
