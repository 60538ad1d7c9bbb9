"""What the engine tells the operator about itself: read-only projections of the kernel's parts.

EngineStatus, the bankroll, the full snapshot view list, the run summary and the open positions
whose mark moved. Each function reads the parts it names (`Parts`, what the kernel holds) and
changes nothing but the marks last shown.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any, Protocol

from ..bus.messages import BankrollView, EngineStatus, FeedView, format_contracts, utcnow
from ..cache import Registry
from ..control.signal_book import SignalBook
from ..control.state import ControlState
from ..model import Side, Sport
from ..model.money import ZERO, round_cent
from ..portfolio import Portfolio
from ..ports import Clock
from ..settings import Settings
from ..telemetry.latency import LatencyRecorder
from ..views import game_view, order_view, position_view, quote_view, signal_view, watched_quote_view


class Parts(Protocol):
    """What the projections read (the kernel, node/kernel.py, has these)."""

    settings: Settings
    registry: Registry
    clock: Clock
    control: ControlState
    portfolio: Portfolio
    signal_book: SignalBook
    latency: LatencyRecorder
    counts: Counter[str]
    input_rejections: Counter[str]
    started_at: Any
    adapters: list
    store: Any
    writer: Any
    executor: Any
    settlement: Any
    trader: Any
    ops: Any
    live_brokers: Any

    @property
    def store_ok(self) -> bool: ...

    @property
    def bus_ok(self) -> bool: ...


def bankroll_view(parts: Parts) -> BankrollView:
    """Bankroll in dollars (equity, available, P&L, fees, exposure). `realized_pnl` is gross of fees
    (fees are their own line); `day_net_pnl` is today's realized P&L net of fees, `day_fees` today's fees."""
    bank, now = parts.portfolio.bankroll, parts.clock()
    unrealized = sum((p.unrealized_pnl for p in parts.portfolio.positions()), ZERO)
    return BankrollView(
        starting=bank.starting,
        equity=bank.equity,
        available=bank.available,
        realized_pnl=bank.realized_pnl,
        unrealized_pnl=round_cent(unrealized),
        fees=bank.fees,
        open_exposure=bank.open_cost,
        day_net_pnl=parts.portfolio.day_net_pnl(now),
        day_fees=parts.portfolio.day_fees(now),
        updated_at=now,
    )


def pipeline_counts(parts: Parts) -> dict[str, int]:
    """Signal, order and fill counters for EngineStatus."""
    executor = parts.executor
    return {
        "signals": sum(parts.signal_book.decisions.values()),
        "pending": len(parts.signal_book.pending),
        "orders": executor.orders,
        "fills": executor.fills,
        "duplicate_fills": executor.duplicate_fills,
        "risk_passed": parts.trader.gate.passed,
    }


def engine_status(parts: Parts) -> EngineStatus:
    """Mode, kill switch, health, counters, rejections by reason, per-stage latency (ms), and each
    venue's feed (`feeds`) and health aspects (`venue_states`)."""
    registry, writer, settlement = parts.registry, parts.writer, parts.settlement
    counts = dict(parts.counts)
    counts.update(
        games=len(registry.games),
        markets=len(registry.markets),
        watched_markets=len(registry.watched),
        store_backlog=writer.backlog,
        store_backlog_peak=writer.backlog_peak,
        store_written=writer.written,
        store_dropped=writer.dropped,
        store_coalesced=sum(writer.coalesced.values()),
        orders_outcome_unknown=len(parts.executor.unresolved),
        settlements_awaiting_venue=len(settlement.awaiting()),
        settlement_mismatches=settlement.mismatches,
        settlements_awaiting_store=len(settlement.pending),
        settlement_store_retries=settlement.retries,
        signals_reserved=len(parts.signal_book.reserved),
    )
    counts.update(pipeline_counts(parts))
    counts.update(parts.ops.status_counts())
    counts.update(_broker_counts(parts))
    rejections = dict(parts.trader.gate.rejections)
    rejections.update(parts.input_rejections)
    control = parts.control
    limits = parts.settings.limits.model_dump(mode="json")
    feeds = _feeds(parts)
    return EngineStatus(
        instance=parts.settings.instance,
        mode=control.effective_mode.value,
        kill_engaged=control.kill_engaged,
        resume_mode=control.mode.value,
        kill_reason=control.kill_reason,
        kill_operator=control.kill_operator,
        kill_at=control.kill_at,
        venues=sorted({m.venue.value for m in registry.markets.values()}),
        feed=",".join(a.name for a in parts.adapters),
        store_ok=parts.store_ok,
        store_reason=writer.reason if parts.store is not None else "",
        bus_ok=parts.bus_ok,
        started_at=parts.started_at,
        updated_at=utcnow(),
        counts=counts,
        rejections=rejections,
        latency=parts.latency.percentiles() | writer.latency.percentiles() | parts.ops.status_latency(),
        limits={k: str(v) for k, v in limits.items()},
        engine_now=parts.clock(),
        trading=_trading(parts),
        venue_feeds=_venue_feeds(parts),
        naked_exposure=parts.executor.legging.exposure(parts.portfolio),
        feeds=feeds,
        venue_states=venue_states(parts, feeds),
        **_exposures(parts),
    )


def _heartbeats(parts: Parts) -> dict[str, dict[str, str]]:
    """Venue → {"heartbeat": state}: a live venue's heartbeat ("ok", or why its new orders are refused,
    e.g. Polymarket's dead-man-switch heartbeats failing: adapters/polymarket/heartbeat.py)."""
    out: dict[str, dict[str, str]] = {}
    for venue, broker in parts.live_brokers.items():
        if getattr(broker, "heartbeat", None) is not None:
            out[venue.value] = {"heartbeat": getattr(broker, "halted", "") or "ok"}
    return out


def _broker_counts(parts: Parts) -> dict[str, int]:
    """Each live broker's outcome counters as "broker:<venue>:<outcome>" (e.g. rejected:*,
    unknown:*, fee_mismatch, fee_estimated: adapters/<venue>/broker.py `counts`)."""
    out: dict[str, int] = {}
    for venue, broker in parts.live_brokers.items():
        for outcome, n in getattr(broker, "counts", {}).items():
            out[f"broker:{venue.value}:{outcome}"] = n
    return out


def _trading(parts: Parts) -> dict[str, str]:
    """Venue → "sim" (simulated venue), "live" (a live broker sends real orders), "live halted:
    <why>" (a live broker refusing new orders, e.g. Polymarket heartbeats failing) or "paper"."""
    out: dict[str, str] = {}
    for market in parts.registry.markets.values():
        venue = market.venue
        broker = parts.live_brokers.get(venue)
        halted = getattr(broker, "halted", "") if broker is not None else ""
        live = f"live halted: {halted}" if halted else "live"
        out[venue.value] = "sim" if market.simulated else (live if broker is not None else "paper")
    return out


def _venue_feeds(parts: Parts) -> dict[str, str]:
    """Venue → "ok" | "stale k/n" (k of its n books stale or empty) | "down" (all are)."""
    seen: dict[str, list[int]] = {}
    for market_id, market in parts.registry.markets.items():
        book = parts.registry.books.get(market_id)
        tally = seen.setdefault(market.venue.value, [0, 0])
        tally[0] += book is None or book.stale
        tally[1] += 1
    return {
        venue: "ok" if not stale else ("down" if stale == total else f"stale {stale}/{total}")
        for venue, (stale, total) in seen.items()
    }


def _feeds(parts: Parts) -> dict[str, FeedView]:
    """Venue → its websocket feed's state, per-market update ages and watchdog counters, for the
    adapters that stream books (`feed_status()`, adapters/watchdog.py FeedStatus; None = polled)."""
    out: dict[str, FeedView] = {}
    for adapter in parts.adapters:
        feed_status = getattr(adapter, "feed_status", None)
        status = feed_status() if callable(feed_status) else None
        if status is not None:
            out[adapter.name] = FeedView(
                state=status.state,
                last_message_age_s=status.last_message_age_s,
                market_age_s=status.market_age_s,
                counts=status.counts,
            )
    return out


def venue_states(parts: Parts, feeds: dict[str, FeedView]) -> dict[str, dict[str, str]]:
    """Venue → {aspect: state} for the desk's header (EngineStatus.venue_states): "ws" is the
    venue's websocket feed state (FeedView.state: "live", "down", "silent k/n"); "heartbeat" a
    live venue's heartbeat (`_heartbeats`); then the aspects of every adapter and live broker that
    offers `venue_states() -> {aspect: state}` (StreamingVenue: its stream's Kalshi "ws_auth" and
    its watchers' "exchange", ...), merged under the adapter's name (brokers: their venue). A part
    whose hook raises shows {"status": "error: <ExceptionType>"}: the status is always written."""
    out: dict[str, dict[str, str]] = {venue: {"ws": feed.state} for venue, feed in feeds.items()}
    for venue, states in _heartbeats(parts).items():
        out.setdefault(venue, {}).update(states)
    hooked = [(a.name, a) for a in parts.adapters]
    hooked += [(getattr(v, "value", str(v)), b) for v, b in parts.live_brokers.items()]
    for venue, part in hooked:
        hook = getattr(part, "venue_states", None)
        if not callable(hook):
            continue
        try:
            states = {str(aspect): str(state) for aspect, state in hook().items()}
        except Exception as exc:  # noqa: BLE001 - a faulty hook must not stop the status
            states = {"status": f"error: {type(exc).__name__}"}
        if states:
            out.setdefault(venue, {}).update(states)
    return out


def _exposures(parts: Parts) -> dict[str, dict]:
    """Dollars at cost of open positions per game and per sport (the risk gate's exposure figures)."""
    portfolio = parts.portfolio
    games = {p.game_id for p in portfolio.positions()}
    by_game = {game_id: portfolio.exposure_by_game(game_id) for game_id in games}
    by_sport = {sport.value: held for sport in Sport if (held := portfolio.exposure_by_sport(sport))}
    return {"exposure_by_game": by_game, "exposure_by_sport": by_sport}


def all_views(parts: Parts) -> list:
    """Every current entity view (engine, bankroll, games, quotes, signals, orders, positions)."""
    now, registry = parts.clock(), parts.registry
    views: list = [engine_status(parts), bankroll_view(parts)]
    views += [game_view(s, registry.model_p_home.get(g), now) for g, s in registry.games.items()]
    views += [quote_view(m, registry.books.get(m.market_id), now) for m in registry.markets.values()]
    views += [
        watched_quote_view(mid, listing, registry.books.get(mid), note, now)
        for mid, (listing, note) in registry.watched.items()
    ]
    views += [signal_view(s) for s in parts.signal_book.signals.values()]
    views += [order_view(o) for o in parts.executor.recent_orders.values()]
    views += [position_view(p) for p in parts.portfolio.positions(include_closed=True)]
    return views


def summary(parts: Parts) -> dict:
    """Run summary: games, signals by decision, orders, fills, fees, P&L and bankroll (dollars)."""
    reg, bank, executor = parts.registry, parts.portfolio.bankroll, parts.executor
    statuses = Counter(s.status.value for s in reg.games.values())
    try:
        parts.portfolio.check_identity()
        identity = True
    except AssertionError:
        identity = False
    return {
        "games_seen": len(reg.games),
        "games_live": statuses.get("live", 0),
        "games_final": statuses.get("final", 0),
        "markets": len(reg.markets),
        "signals_by_decision": {k: v for k, v in parts.signal_book.decisions.items() if v},
        "orders": executor.orders,
        "fills": executor.fills,
        "contracts_filled": format_contracts(executor.contracts_filled),
        "fees": str(bank.fees),
        "realized_pnl": str(bank.realized_pnl),
        "unrealized_pnl": str(bankroll_view(parts).unrealized_pnl),
        "starting_bankroll": str(bank.starting),
        "bankroll": str(bank.equity),
        "identity_ok": identity,
        "rejections": dict(parts.trader.gate.rejections),
    }


class PositionMarks:
    """The open positions' marks last published, so the status loop sends only those that moved."""

    def __init__(self, portfolio: Portfolio) -> None:
        self.portfolio = portfolio
        self._shown: dict[tuple[str, Side], Decimal | None] = {}

    def remarked_position_views(self) -> list:
        """PositionViews of open positions whose mark (dollars) moved since they were last shown.
        Marks follow every book update, which is too often to publish; the status loop calls this
        once a second so the desk's positions show the mark and unrealized P&L the header sums."""
        shown, open_positions = self._shown, self.portfolio.positions()
        self._shown = {(p.market_id, p.side): p.mark for p in open_positions}  # bounded by what is held
        return [
            position_view(p)
            for p in open_positions
            if (p.market_id, p.side) not in shown or shown[(p.market_id, p.side)] != p.mark
        ]
