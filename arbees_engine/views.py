"""Domain objects → bus views (arbees_engine.bus.messages). Pure functions, no I/O."""

from __future__ import annotations

from datetime import datetime

from .bus.messages import (
    FillView,
    GameView,
    LegView,
    OrderView,
    PositionView,
    QuoteView,
    SignalView,
)
from .model import Fill, GameState, Market, MarketListing, Order, OrderBook, Position, Signal


def game_view(state: GameState, model_p_home: float | None, now: datetime, prior_source: str = "") -> GameView:
    """A GameView of `state` with the model's P(home wins) (0..1) or None and the prior's source."""
    return GameView(
        game_id=state.game_id,
        sport=state.sport.value,
        league=state.league.value,
        home=state.home.abbr,
        away=state.away.abbr,
        home_score=state.home_score,
        away_score=state.away_score,
        period=state.period,
        clock_s=float(state.clock_s),
        status=state.status.value,
        model_p_home=model_p_home,
        pregame_home_prob=state.pregame_home_prob,
        prior_source=prior_source if state.pregame_home_prob is not None else "",
        updated_at=state.observed_at or now,
        inning_half=state.inning_half,
        outs=state.outs,
        added_time_s=float(state.added_time_s),
    )


def quote_view(market: Market, book: OrderBook | None, now: datetime) -> QuoteView:
    """Top of book for `market` (YES contract, dollars); stale when the book is missing or stale."""
    bid = book.best_bid if book else None
    ask = book.best_ask if book else None
    return QuoteView(
        market_id=market.market_id,
        venue=market.venue.value,
        game_id=market.game_id,
        outcome=market.outcome.value,
        yes_team=market.yes_team,
        title=market.title,
        yes_bid=bid.price if bid else None,
        yes_ask=ask.price if ask else None,
        yes_bid_size=bid.size if bid else None,
        yes_ask_size=ask.size if ask else None,
        seq=book.seq if book else None,
        stale=book is None or book.stale,
        simulated=market.simulated,
        updated_at=(book.updated_at if book and book.updated_at else now),
    )


def watched_quote_view(
    market_id: str, listing: MarketListing, book: OrderBook | None, note: str, now: datetime
) -> QuoteView:
    """Quote of a market the matcher refused: from its book if any, else the listing's top of book."""
    bid = book.best_bid if book else None
    ask = book.best_ask if book else None
    return QuoteView(
        market_id=market_id,
        venue=listing.venue.value,
        game_id="",
        outcome="",
        yes_team=None,
        title=listing.title or listing.yes_label,
        yes_bid=bid.price if bid else listing.best_bid,
        yes_ask=ask.price if ask else listing.best_ask,
        yes_bid_size=bid.size if bid else None,
        yes_ask_size=ask.size if ask else None,
        seq=book.seq if book else None,
        stale=book is None or book.stale,
        note=note,
        updated_at=(book.updated_at if book and book.updated_at else now),
    )


def signal_view(signal: Signal) -> SignalView:
    """SignalView with legs; edge in dollars per contract."""
    return SignalView(
        signal_id=signal.signal_id,
        version=signal.version,
        signal_kind=signal.kind.value,
        game_id=signal.game_id,
        legs=[
            LegView(
                market_id=leg.market_id,
                venue=leg.venue.value,
                side=leg.side.value,
                limit_price=leg.limit_price,
                contracts=leg.contracts,
            )
            for leg in signal.legs
        ],
        model_prob=min(1.0, max(0.0, signal.model_prob)),
        market_prob=min(1.0, max(0.0, signal.market_prob)),
        edge=signal.edge,
        stake_fraction=signal.stake_fraction,
        decision=signal.decision.value,
        reason=signal.reason,
        raw_model_prob=signal.raw_model_prob,
        market_weight=signal.market_weight,
        created_at=signal.created_at,
        expires_at=signal.expires_at,
    )


def order_view(order: Order) -> OrderView:
    """OrderView of an IOC order."""
    return OrderView(
        client_order_id=order.client_order_id,
        signal_id=order.signal_id,
        market_id=order.market_id,
        venue=order.venue.value,
        side=order.side.value,
        limit_price=order.limit_price,
        contracts=order.contracts,
        filled_contracts=order.filled_contracts,
        status=order.status.value,
        paper=order.paper,
        reason=order.reason,
        created_at=order.created_at,
    )


def fill_view(fill: Fill) -> FillView:
    """FillView (price and fee dollars)."""
    return FillView(
        fill_id=fill.fill_id,
        client_order_id=fill.client_order_id,
        market_id=fill.market_id,
        venue=fill.venue.value,
        side=fill.side.value,
        price=fill.price,
        contracts=fill.contracts,
        fee=fill.fee,
        filled_at=fill.filled_at,
    )


def position_view(position: Position) -> PositionView:
    """PositionView; position_id is "<market_id>:<side>"."""
    return PositionView(
        position_id=f"{position.market_id}:{position.side.value}",
        market_id=position.market_id,
        venue=position.venue.value,
        game_id=position.game_id,
        side=position.side.value,
        contracts=position.contracts,
        avg_price=position.avg_price,
        mark=position.mark,
        unrealized_pnl=position.unrealized_pnl,
        realized_pnl=position.realized_pnl,
        fees=position.fees,
        settled=position.settled,
    )
