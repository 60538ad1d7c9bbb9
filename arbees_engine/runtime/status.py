"""What the engine tells the operator about itself: EngineStatus and the full snapshot view list."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bus.messages import EngineStatus, utcnow
from .views import game_view, quote_view, watched_quote_view

if TYPE_CHECKING:
    from .engine import Engine


def engine_status(engine: "Engine") -> EngineStatus:
    """Mode, kill switch, health, counters, rejections by reason and per-stage latency (ms)."""
    registry = engine.registry
    counts = dict(engine.counts)
    counts.update(games=len(registry.games), markets=len(registry.markets), watched_markets=len(registry.watched),
                  store_backlog=engine.writer.backlog, store_backlog_peak=engine.writer.backlog_peak,
                  store_written=engine.writer.written, store_dropped=engine.writer.dropped,
                  store_coalesced=sum(engine.writer.coalesced.values()),
                  orders_outcome_unknown=len(engine.desk.executor.unresolved),
                  settlements_awaiting_venue=len(engine.desk.settlement.awaiting()),
                  settlement_mismatches=engine.desk.settlement.mismatches,
                  settlements_awaiting_store=len(engine.desk.settlement.pending),
                  settlement_store_retries=engine.desk.settlement.retries,
                  signals_reserved=len(engine.desk.reserved))
    counts.update(engine.desk.counts())
    counts.update(engine.ops.status_counts())
    rejections = dict(engine.desk.gate.rejections)
    rejections.update(engine.input_rejections)
    control = engine.control
    limits = engine.settings.limits.model_dump(mode="json")
    return EngineStatus(
        instance=engine.settings.instance, mode=control.effective_mode.value, kill_engaged=control.kill_engaged,
        kill_reason=control.kill_reason, kill_operator=control.kill_operator, kill_at=control.kill_at,
        venues=sorted({m.venue.value for m in registry.markets.values()}),
        feed=",".join(a.name for a in engine.adapters), store_ok=engine.store_ok,
        store_reason=engine.writer.reason if engine.store is not None else "", bus_ok=engine.bus_ok,
        started_at=engine.started_at, updated_at=utcnow(), counts=counts, rejections=rejections,
        latency=engine.latency.percentiles() | engine.writer.latency.percentiles() | engine.ops.status_latency(),
        limits={k: str(v) for k, v in limits.items()},
    )


def all_views(engine: "Engine") -> list:
    """Every current entity view (engine, bankroll, games, quotes, signals, orders, positions)."""
    now, registry = engine.clock(), engine.registry
    views: list = [engine_status(engine), engine.bankroll_view()]
    views += [game_view(s, registry.model_p_home.get(g), now) for g, s in registry.games.items()]
    views += [quote_view(m, registry.books.get(m.market_id), now) for m in registry.markets.values()]
    views += [watched_quote_view(mid, listing, registry.books.get(mid), note, now)
              for mid, (listing, note) in registry.watched.items()]
    views += engine.desk.entity_views()
    return views
