"""What the risk gate looks at: the engine's current state, assembled by the orchestrator."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from arbees_engine.model import Market, Mode, OrderBook, Sport
from arbees_engine.portfolio import Portfolio


@dataclass(slots=True)
class RiskContext:
    """Snapshot of engine state for one risk decision.

    mode: engine mode; kill_engaged: kill switch state; now: decision time (UTC, aware).
    portfolio: positions and bankroll. markets: market_id → Market (its game_id, outcome).
    game_sports: game_id → Sport. books: market_id → OrderBook (staleness, price re-check).
    game_observed_at: game_id → when its latest GameState was received.
    last_trade_at: game_id → time of our last trade in that game (cooldown).
    store_ok / bus_ok: PostgreSQL / Redis reachable; either down → no new positions.
    reserved: signals approved but not yet executed; their worst-case cost and contracts count
      against the exposure, position and balance limits as if already held.
    """

    mode: Mode
    kill_engaged: bool
    now: datetime
    portfolio: Portfolio
    markets: Mapping[str, Market]
    game_sports: Mapping[str, Sport]
    books: Mapping[str, OrderBook]
    game_observed_at: Mapping[str, datetime] = field(default_factory=dict)
    last_trade_at: Mapping[str, datetime] = field(default_factory=dict)
    store_ok: bool = True
    bus_ok: bool = True
    reserved: tuple = ()


@dataclass(frozen=True, slots=True)
class RiskVerdict:
    """ok: the signal may proceed; reason: first failing check ("" when ok); reasons: all failures."""

    ok: bool
    reason: str = ""
    reasons: tuple[str, ...] = ()
