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
        limits={k: str(v) for k, v in limits.items()}, engine_now=engine.clock(),
        trading=_trading(engine), venue_feeds=_venue_feeds(engine), **_exposures(engine),
    )


def _trading(engine: "Engine") -> dict[str, str]:
    """Venue → "sim" (simulated venue), "live" (a live broker sends real orders) or "paper"."""
    out: dict[str, str] = {}
    for market in engine.registry.markets.values():
        venue = market.venue
        out[venue.value] = "sim" if market.simulated else ("live" if venue in engine.live_brokers else "paper")
    return out


def _venue_feeds(engine: "Engine") -> dict[str, str]:
    """Venue → "ok" | "stale k/n" (k of its n books stale or empty) | "down" (all are)."""
    seen: dict[str, list[int]] = {}
    for market_id, market in engine.registry.markets.items():
        book = engine.registry.books.get(market_id)
        tally = seen.setdefault(market.venue.value, [0, 0])
        tally[0] += book is None or book.stale
        tally[1] += 1
    return {venue: "ok" if not stale else ("down" if stale == total else f"stale {stale}/{total}")
            for venue, (stale, total) in seen.items()}


def _exposures(engine: "Engine") -> dict[str, dict]:
    """Dollars at cost of open positions per game and per sport (the risk gate's exposure figures)."""
    portfolio = engine.desk.portfolio
    games = {p.game_id for p in portfolio.positions()}
    by_game = {game_id: portfolio.exposure_by_game(game_id) for game_id in games}
    sports = {sport for game_id in games if (sport := portfolio.sport_of(game_id)) is not None}
    by_sport = {sport.value: portfolio.exposure_by_sport(sport) for sport in sports}
    return {"exposure_by_game": by_game, "exposure_by_sport": by_sport}


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
