"""The desk's picture of the engine: a plain-Python model (no Textual) fed by snapshot + events.

`DeskState.apply_snapshot` replaces everything; `apply_event` folds one bus event in and records
which rows changed (`dirty`) so the UI repaints only those, a few times a second. Quotes are
naturally coalesced: only the latest view per market is kept.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from arbees_engine.bus.messages import (
    HEARTBEAT_TTL_S,
    AuditView,
    BankrollView,
    CommandAck,
    EngineStatus,
    FillView,
    GameView,
    Heartbeat,
    OrderView,
    PositionView,
    QuoteView,
    Removed,
    SignalView,
)

AUDIT_KEEP = 1_000
HEARTBEAT_STALE_S = 3.0  # no heartbeat for this long: the engine is late (1 s interval)
HISTORY_KEEP = 300
RECENT_SIGNALS = 50
SIGNALS_KEEP = 1_000  # decided signals beyond this are forgotten (oldest first); pending ones never
FILLS_KEEP = 5_000
ENTITY_KINDS = ("game", "quote", "signal", "position", "order", "fill")


@dataclass
class PendingCommand:
    """A command sent by this desk and its fate: status "pending" → "done" | "refused" | "failed" | "timeout"."""

    command_id: str
    action: str
    issued_at: datetime
    signal_id: str | None = None
    status: str = "pending"
    detail: str = ""
    expires_at: datetime | None = None  # the signed command's expiry (None: issued_at)


@dataclass
class Snapshot:
    """What a `DeskSource` loads on attach: entities by kind and key, engine status, event id, audit."""

    entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    engine: EngineStatus | None = None
    last_event_id: str = "0-0"
    audit: list[AuditView] = field(default_factory=list)


@dataclass
class Dirty:
    """Keys changed since the UI last painted, per table, plus flags for the small panels."""

    games: set[str] = field(default_factory=set)
    signals: set[str] = field(default_factory=set)
    positions: set[str] = field(default_factory=set)
    header: bool = False
    audit: bool = False
    everything: bool = False

    def any(self) -> bool:
        """True if anything needs repainting."""
        return bool(self.games or self.signals or self.positions or self.header or self.audit or self.everything)


class DeskState:
    """Entities, engine status, audit, command tracking and per-game history for the desk.

    Counters: `events_applied`, `events_skipped` (unknown kinds). Thread-unsafe by design: the
    UI thread owns it.
    """

    def __init__(self) -> None:
        self.games: dict[str, GameView] = {}
        self.quotes: dict[str, QuoteView] = {}
        self.quotes_by_game: dict[str, set[str]] = {}
        self.signals: dict[str, SignalView] = {}
        self.positions: dict[str, PositionView] = {}
        self.orders: dict[str, OrderView] = {}
        self.fills: dict[str, FillView] = {}
        self.bankroll: BankrollView | None = None
        self.engine: EngineStatus | None = None
        self.heartbeat: Heartbeat | None = None
        self.last_seen: datetime | None = None  # ts of the newest heartbeat ever seen (survives its expiry)
        self.audit: deque[AuditView] = deque(maxlen=AUDIT_KEEP)  # newest first
        self.commands: dict[str, PendingCommand] = {}
        self.signal_commands: dict[str, str] = {}  # signal_id → last command_id
        self.key_problem = ""  # why this desk cannot sign commands ("" = it can); shown in the header
        self.history: dict[str, deque[tuple[datetime, float | None, float | None]]] = {}
        self.last_event_id = "0-0"
        self.events_applied = 0
        self.events_skipped = 0
        self.dirty = Dirty(everything=True)

    # --- loading ------------------------------------------------------------------------------

    def apply_snapshot(self, snap: Snapshot) -> None:
        """Replace all entity state with `snap` (attach or resync); commands in flight are kept."""
        self.games.clear()
        self.quotes.clear()
        self.quotes_by_game.clear()
        self.signals.clear()
        self.positions.clear()
        self.orders.clear()
        self.fills.clear()
        self.bankroll = None
        self.engine = snap.engine
        for views in snap.entities.values():
            for view in views.values():
                self._store(view)
        self.audit.clear()
        self.audit.extend(snap.audit[:AUDIT_KEEP])
        self.last_event_id = snap.last_event_id
        self.dirty = Dirty(everything=True)

    def apply_events(self, events: Iterable[tuple[str, Any]]) -> None:
        """Fold in `(event_id, view)` pairs in stream order; ids at or before the last one are ignored."""
        for event_id, view in events:
            if _id_le(event_id, self.last_event_id):
                continue
            self.apply_event(view)
            self.last_event_id = event_id

    def apply_event(self, view: Any) -> None:
        """Fold one bus event into the state and mark what changed."""
        self.events_applied += 1
        if isinstance(view, Removed):
            self._remove(view.entity_kind, view.entity_id)
        elif isinstance(view, EngineStatus):
            self.engine = view
            self.dirty.header = True
        elif isinstance(view, AuditView):
            self.audit.appendleft(view)
            self.dirty.audit = True
        elif isinstance(view, CommandAck):
            self.apply_ack(view)
        elif not self._store(view):
            self.events_skipped += 1

    def _store(self, view: Any) -> bool:
        if isinstance(view, GameView):
            self.games[view.game_id] = view
            self.dirty.games.add(view.game_id)
            self._record_history(view.game_id, view.updated_at)
        elif isinstance(view, QuoteView):
            self.quotes[view.market_id] = view
            self.quotes_by_game.setdefault(view.game_id, set()).add(view.market_id)
            self.dirty.games.add(view.game_id)
            self._record_history(view.game_id, view.updated_at)
        elif isinstance(view, SignalView):
            self.signals[view.signal_id] = view
            self.dirty.signals.add(view.signal_id)
            if len(self.signals) > SIGNALS_KEEP:
                self._prune_signals()
        elif isinstance(view, PositionView):
            self.positions[view.position_id] = view
            self.dirty.positions.add(view.position_id)
        elif isinstance(view, OrderView):
            self.orders[view.client_order_id] = view
        elif isinstance(view, FillView):
            self.fills[view.fill_id] = view
            if len(self.fills) > FILLS_KEEP:  # dicts keep insertion order: drop the oldest fifth
                for key in list(self.fills)[: FILLS_KEEP // 5]:
                    del self.fills[key]
        elif isinstance(view, BankrollView):
            self.bankroll = view
            self.dirty.header = True
        elif isinstance(view, EngineStatus):
            self.engine = view
            self.dirty.header = True
        else:
            return False
        return True

    def _prune_signals(self) -> None:
        """Forget the oldest decided signals down to 80% of SIGNALS_KEEP (amortised O(n log n))."""
        decided = sorted((s for s in self.signals.values() if s.decision != "pending"), key=lambda s: s.created_at)
        for sig in decided[: max(0, len(self.signals) - SIGNALS_KEEP * 4 // 5)]:
            del self.signals[sig.signal_id]
            self.dirty.signals.add(sig.signal_id)

    def _remove(self, kind: str, key: str) -> None:
        table = {
            "game": self.games,
            "quote": self.quotes,
            "signal": self.signals,
            "position": self.positions,
            "order": self.orders,
            "fill": self.fills,
        }.get(kind)
        if table is None or table.pop(key, None) is None:
            return
        if kind == "game":
            self.dirty.games.add(key)
        elif kind == "quote":
            for game_id, markets in self.quotes_by_game.items():
                if key in markets:
                    markets.discard(key)
                    self.dirty.games.add(game_id)
        elif kind == "signal":
            self.dirty.signals.add(key)
        elif kind == "position":
            self.dirty.positions.add(key)

    def _record_history(self, game_id: str, at: datetime) -> None:
        game = self.games.get(game_id)
        if game is None:
            return
        points = self.history.setdefault(game_id, deque(maxlen=HISTORY_KEEP))
        mid = self.home_mid(game_id)
        point = (at, game.model_p_home, float(mid) if mid is not None else None)
        if points and points[-1][1:] == point[1:]:
            return
        points.append(point)

    # --- commands -------------------------------------------------------------------------------

    def track_command(self, pending: PendingCommand) -> None:
        """Remember a command this desk sent so its ack (or timeout) can be shown."""
        self.commands[pending.command_id] = pending
        if pending.signal_id:
            self.signal_commands[pending.signal_id] = pending.command_id
            self.dirty.signals.add(pending.signal_id)
        self.dirty.header = True

    def apply_ack(self, ack: CommandAck) -> PendingCommand | None:
        """Settle a tracked command from its ack; a kill that succeeded shows HALTED at once."""
        pending = self.commands.get(ack.command_id)
        if pending is None or pending.status not in ("pending", "timeout"):
            return pending
        pending.status = "done" if ack.ok else (ack.outcome or "failed")
        pending.detail = ack.detail
        if ack.ok and pending.action == "kill" and self.engine is not None:
            self.engine = self.engine.model_copy(update={"kill_engaged": True, "mode": "halted"})
        if pending.signal_id:
            self.dirty.signals.add(pending.signal_id)
        self.dirty.header = True
        return pending

    def expire_commands(self, now: datetime, skew_s: float) -> list[PendingCommand]:
        """Mark "timeout" the pending commands no engine can still run: `now` is past their
        expires_at by more than the clock-skew allowance `skew_s` seconds; returns them."""
        expired = []
        for pending in self.commands.values():
            expires = pending.expires_at or pending.issued_at
            if pending.status == "pending" and (now - expires).total_seconds() > skew_s:
                pending.status = "timeout"
                pending.detail = (
                    f"no acknowledgement before it expired at {expires:%H:%M:%S} UTC; the engine will not run it now"
                )
                expired.append(pending)
                if pending.signal_id:
                    self.dirty.signals.add(pending.signal_id)
                self.dirty.header = True
        return expired

    def kill_failed(self) -> PendingCommand | None:
        """The newest kill command if it failed, was refused or timed out and the kill is not engaged."""
        kills = [c for c in self.commands.values() if c.action == "kill"]
        if not kills or self.kill_engaged:
            return None
        newest = max(kills, key=lambda c: c.issued_at)
        return newest if newest.status in ("failed", "refused", "timeout") else None

    def pending_kill(self) -> bool:
        """True while a kill command waits for its ack."""
        return any(c.action == "kill" and c.status == "pending" for c in self.commands.values())

    # --- derived views ---------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        """ "auto" | "manual" | "halted" | "?" (no engine status yet); the kill switch means halted."""
        if self.engine is None:
            return self.heartbeat.mode if self.heartbeat else "?"
        return "halted" if self.kill_engaged else self.engine.mode

    @property
    def kill_engaged(self) -> bool:
        """True when the engine reports the kill switch engaged or mode halted."""
        return bool(self.engine and (self.engine.kill_engaged or self.engine.mode == "halted"))

    def see_heartbeat(self, beat: Heartbeat | None) -> None:
        """Record a heartbeat poll: None means the engine's heartbeat key has expired."""
        self.heartbeat = beat
        if beat is not None and (self.last_seen is None or beat.ts > self.last_seen):
            self.last_seen = beat.ts
        self.dirty.header = True

    def engine_health(self, now: datetime) -> str:
        """ "online" | "stale" (no beat for HEARTBEAT_STALE_S) | "offline" (past the heartbeat
        deadline HEARTBEAT_TTL_S, or its key expired) | "unknown" (never seen one)."""
        if self.last_seen is None:
            return "unknown"
        secs = (now - self.last_seen).total_seconds()
        if self.heartbeat is None or secs > HEARTBEAT_TTL_S:
            return "offline"
        return "stale" if secs > HEARTBEAT_STALE_S else "online"

    def engine_clock(self, now: datetime) -> datetime:
        """The engine's clock as last reported (`EngineStatus.engine_now`; signals expire on it),
        else the desk's `now` (an engine too old to report it)."""
        engine_now = self.engine.engine_now if self.engine is not None else None
        return engine_now or now

    def market_age_s(self, quote: QuoteView, now: datetime) -> float | None:
        """Seconds since `quote`'s market last updated: its last websocket message as the engine's
        feed reported it (`EngineStatus.feeds[venue].market_age_s`), plus the time since that
        status was written (`updated_at`, the engine's wall clock); else the age of the quote's own
        book time on the engine's clock (`engine_clock`), when it has a price; None when neither
        is known (a streamed market with no message yet and no book)."""
        engine = self.engine
        feed = engine.feeds.get(quote.venue) if engine is not None else None
        streamed = feed.market_age_s.get(quote.market_id) if feed is not None else None
        if engine is not None and streamed is not None:
            return streamed + max(0.0, (now - engine.updated_at).total_seconds())
        if quote.yes_bid is None and quote.yes_ask is None:
            return None  # no book: its time is only when the view was written
        return max(0.0, (self.engine_clock(now) - quote.updated_at).total_seconds())

    def home_quote(self, game_id: str, venue: str) -> QuoteView | None:
        """The YES-on-home-team market of `game_id` on `venue`, if the engine listed one."""
        game = self.games.get(game_id)
        for market_id in self.quotes_by_game.get(game_id, ()):
            quote = self.quotes.get(market_id)
            if quote and quote.venue == venue and game and quote.yes_team in (game.home, None):
                if quote.outcome in ("home", game.home) or quote.yes_team == game.home:
                    return quote
        return None

    def home_mid(self, game_id: str) -> Decimal | None:
        """Mean mid of the home-YES markets across venues, dollars."""
        mids = [q.mid for v in ("kalshi", "polymarket") if (q := self.home_quote(game_id, v)) and q.mid is not None]
        return sum(mids) / len(mids) if mids else None

    def game_edge(self, game_id: str) -> Decimal | None:
        """Best raw edge on the home market, dollars/contract: max(model − ask, bid − model) over venues."""
        game = self.games.get(game_id)
        if game is None or game.model_p_home is None:
            return None
        model = Decimal(str(round(game.model_p_home, 4)))
        edges = []
        for venue in ("kalshi", "polymarket"):
            quote = self.home_quote(game_id, venue)
            if quote and not quote.stale:
                if quote.yes_ask is not None:
                    edges.append(model - quote.yes_ask)
                if quote.yes_bid is not None:
                    edges.append(quote.yes_bid - model)
        return max(edges) if edges else None

    def pending_signals(self) -> list[SignalView]:
        """Signals waiting for the operator, oldest first."""
        return sorted((s for s in self.signals.values() if s.decision == "pending"), key=lambda s: s.created_at)

    def recent_signals(self) -> list[SignalView]:
        """Decided signals, newest first, at most RECENT_SIGNALS."""
        decided = [s for s in self.signals.values() if s.decision != "pending"]
        return sorted(decided, key=lambda s: s.created_at, reverse=True)[:RECENT_SIGNALS]

    def take_dirty(self) -> Dirty:
        """Hand the changed keys to the UI and start a fresh set."""
        dirty, self.dirty = self.dirty, Dirty()
        return dirty


def _id_le(a: str, b: str) -> bool:
    """Redis stream id order: "ms-seq" compared numerically."""
    try:
        am, _, aseq = a.partition("-")
        bm, _, bseq = b.partition("-")
        return (int(am), int(aseq or 0)) <= (int(bm), int(bseq or 0))
    except ValueError:
        return False
