"""Small builders of domain objects for the store tests (valid by default, override any field)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from arbees_engine.model import (
    Fill,
    GameState,
    GameStatus,
    League,
    Leg,
    Order,
    Position,
    Side,
    Signal,
    SignalKind,
    Sport,
    Team,
    Venue,
)

T0 = datetime(2026, 6, 13, 20, 0, tzinfo=UTC)
MARKET_ID = "kalshi:KXNBAGAME-26JUN13NYKSAS-SAS"


def game(**changes: object) -> GameState:
    """A live NBA game."""
    base = GameState(
        "espn:nba:1",
        Sport.BASKETBALL,
        League.NBA,
        Team("SAS", "San Antonio Spurs"),
        Team("NYK", "New York Knicks"),
        GameStatus.LIVE,
        50,
        48,
        3,
        312.5,
        1032.5,
    )
    return base.evolve(**changes)


def signal(signal_id: str = "sig-1", **changes: object) -> Signal:
    """An EDGE signal buying 10 YES at 0.56."""
    fields = dict(
        signal_id=signal_id,
        kind=SignalKind.EDGE,
        game_id="espn:nba:1",
        legs=(Leg(MARKET_ID, Venue.KALSHI, Side.YES, Decimal("0.56"), 10),),
        model_prob=0.62,
        market_prob=0.555,
        edge=Decimal("0.0426"),
        created_at=T0,
        stake_fraction=0.05,
        raw_model_prob=0.645,
        market_weight=0.25,
    )
    fields.update(changes)
    return Signal(**fields)


def order(client_order_id: str = "coid-1", **changes: object) -> Order:
    """An order intent for 10 YES at 0.56."""
    fields = dict(
        client_order_id=client_order_id,
        signal_id="sig-1",
        market_id=MARKET_ID,
        venue=Venue.KALSHI,
        side=Side.YES,
        limit_price=Decimal("0.56"),
        contracts=10,
        created_at=T0,
    )
    fields.update(changes)
    return Order(**fields)


def fill(fill_id: str = "fill-1", client_order_id: str = "coid-1", **changes: object) -> Fill:
    """A fill of 4 YES at 0.55 with a $0.07 fee."""
    fields = dict(
        fill_id=fill_id,
        client_order_id=client_order_id,
        market_id=MARKET_ID,
        venue=Venue.KALSHI,
        side=Side.YES,
        price=Decimal("0.55"),
        contracts=4,
        fee=Decimal("0.07"),
        filled_at=T0,
    )
    fields.update(changes)
    return Fill(**fields)


def position(**changes: object) -> Position:
    """An open position of 4 YES costing $2.20."""
    fields = dict(
        market_id=MARKET_ID,
        venue=Venue.KALSHI,
        game_id="espn:nba:1",
        side=Side.YES,
        contracts=4,
        cost=Decimal("2.20"),
        fees=Decimal("0.07"),
        mark=Decimal("0.58"),
    )
    fields.update(changes)
    return Position(**fields)
