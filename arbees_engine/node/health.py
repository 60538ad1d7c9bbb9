"""Which engine events become operator alerts: audit actions, and health transitions seen by the
status pass (store, bus, venue books, halted mode, the daily loss limit).

Audit actions are the engine's own record of what happened (`Engine.audit`), so one hook covers
the kill switch, unknown order outcomes, legged arbitrage, settlement mismatches, start and stop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from ..bus.messages import AuditView
from ..cache import Registry
from ..control.state import ControlState
from ..model import Mode
from ..portfolio import Portfolio
from ..settings import Settings
from ..telemetry.alerts import FAILURE, INFO, WARNING, Alert


class ObservedEngine(Protocol):
    """What the operations hooks (operations.py, health.py, metrics.py) read of the running engine,
    so they are typed against this view and not against the kernel (node/kernel.py `Engine` has
    all of it). Read on the engine's loop only."""

    settings: Settings
    adapters: Sequence[Any]
    registry: Registry
    control: ControlState
    portfolio: Portfolio
    clock: Callable[[], datetime]
    executor: Any
    publisher: Any
    writer: Any
    trader: Any
    signal_book: Any
    counts: Any  # Counter[str]: status counters
    input_rejections: Any  # Counter[str]: "source:reason" -> refused inputs

    def bankroll_view(self) -> Any:
        """The bankroll as the bus shows it (BankrollView)."""
        ...

    @property
    def store_ok(self) -> bool:
        """True while the store answers."""
        ...

    @property
    def bus_ok(self) -> bool:
        """True while the bus (Redis) answers."""
        ...


# audit action → (alert level, title); the entity and detail make the body
AUDIT_ALERTS: dict[str, tuple[str, str]] = {
    "kill_engaged": (FAILURE, "Kill switch engaged"),
    "order_outcome_unknown": (FAILURE, "Order outcome unknown"),
    "arb_legged": (FAILURE, "Arbitrage legged"),
    "settlement_mismatch": (FAILURE, "Settlement unlike the score"),
    "start": (INFO, "Engine started"),
    "stop": (INFO, "Engine stopped"),
}


def audit_alert(view: AuditView) -> Alert | None:
    """The alert for one audit line, or None when the action is not alerted.
    A resume command that released the kill switch alerts as "kill switch lifted"."""
    if view.action == "command_resume" and "released" in view.detail:
        return Alert("kill_lifted", "Kill switch lifted", f"by {view.actor}: {view.detail}", WARNING)
    found = AUDIT_ALERTS.get(view.action)
    if found is None:
        return None
    level, title = found
    key = view.action if view.action in ("kill_engaged", "start", "stop") else f"{view.action}:{view.entity}"
    return Alert(key, title, f"{view.entity}: {view.detail}".strip(": ") + f" (by {view.actor})", level)


class HealthWatch:
    """Remembers the last health seen and returns an alert for each change (down and back up).

    Conditions (each a name → True when bad): store_down, bus_down, venue_stale:<venue> (see
    stale_venues), halted (mode
    halted by the operator), daily_loss_limit (today's loss reached limits.daily_loss_limit).
    """

    def __init__(self) -> None:
        self.bad: set[str] = set()

    def check(self, engine: ObservedEngine) -> list[Alert]:
        """Evaluate every condition now; alerts for those that changed since the last call."""
        now_bad = set(_bad_conditions(engine))
        alerts = [Alert(name, *_describe(name, engine, True)) for name in sorted(now_bad - self.bad)]
        alerts += [Alert(name + ":ok", *_describe(name, engine, False)) for name in sorted(self.bad - now_bad)]
        self.bad = now_bad
        return alerts


def venue_book_ages(engine: ObservedEngine, now: datetime) -> dict[str, float | None]:
    """Venue → seconds since its freshest non-stale book was updated (engine clock); None when the
    venue has markets but no usable book yet."""
    ages: dict[str, float | None] = {}
    registry = engine.registry
    for market_id, market in registry.markets.items():
        venue = market.venue.value
        book = registry.books.get(market_id)
        ages.setdefault(venue, None)
        if book is None or book.stale or book.updated_at is None:
            continue
        age = max(0.0, (now - book.updated_at).total_seconds())
        current = ages[venue]
        ages[venue] = age if current is None else min(current, age)
    return ages


def stale_venues(engine: ObservedEngine) -> list[str]:
    """Venues with markets whose every book is stale (feed watchdog, gap, disconnect) or whose
    freshest usable book changed more than settings.ops.venue_silent_s ago (engine clock)."""
    limit = engine.settings.ops.venue_silent_s
    ages = venue_book_ages(engine, engine.clock())
    return sorted(v for v, age in ages.items() if age is None or age > limit)


def _bad_conditions(engine: ObservedEngine) -> list[str]:
    bad = []
    if not engine.store_ok:
        bad.append("store_down")
    if not engine.bus_ok:
        bad.append("bus_down")
    bad += [f"venue_stale:{venue}" for venue in stale_venues(engine)]
    if engine.control.mode is Mode.HALTED:
        bad.append("halted")
    if engine.portfolio.day_pnl_for_loss_limit(engine.clock()) <= -engine.settings.limits.daily_loss_limit:
        bad.append("daily_loss_limit")
    return bad


def _describe(name: str, engine: ObservedEngine, bad: bool) -> tuple[str, str, str]:
    """(title, body, level) for condition `name` going bad (True) or recovering (False)."""
    kind, _, venue = name.partition(":")
    titles = {
        "store_down": ("Store down (PostgreSQL)", "Store back up"),
        "bus_down": ("Bus down (Redis)", "Bus back up"),
        "venue_stale": (f"Venue {venue} stale", f"Venue {venue} fresh again"),
        "halted": ("Trading halted", "Trading no longer halted"),
        "daily_loss_limit": ("Daily loss limit reached", "Daily loss back within limit"),
    }
    title = titles[kind][0 if bad else 1]
    body = {
        "store_down": "no new positions while PostgreSQL is unreachable",
        "bus_down": "no new positions while Redis is unreachable",
        "venue_stale": f"every {venue} book is stale, or none changed within {engine.settings.ops.venue_silent_s} s",
        "halted": "mode set to halted",
        "daily_loss_limit": f"today's P&L {engine.portfolio.day_pnl_for_loss_limit(engine.clock())} ≤ "
        f"−{engine.settings.limits.daily_loss_limit}: new positions refused",
    }[kind]
    return title, f"{engine.settings.instance}: {body}", (FAILURE if bad else INFO)
