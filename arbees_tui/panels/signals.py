"""Signals panel: pending signals (manual mode) with edge, size, price and expiry countdown, and
recent decided signals with their decision and the risk gate's reason. The operator's
approve/reject command state (pending → done/failed + engine detail) shows on the row."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from textual.containers import Vertical

from .. import format as fmt
from ..state import DeskState
from .table_sync import SyncTable
from arbees_engine.bus.messages import SignalView


def _leg(sig: SignalView) -> tuple[str, str, str]:
    leg = sig.legs[0] if sig.legs else None
    if leg is None:
        return fmt.DASH, fmt.DASH, fmt.DASH
    side = f"{leg.side.upper()} {leg.venue[:4]}"
    return side, str(sum(l.contracts for l in sig.legs)), fmt.cents(leg.limit_price)


def _matchup(state: DeskState, sig: SignalView) -> str:
    game = state.games.get(sig.game_id)
    return f"{game.away}@{game.home}"[:8] if game else sig.game_id[:8]


def _command_state(state: DeskState, signal_id: str) -> str:
    command_id = state.signal_commands.get(signal_id)
    pending = state.commands.get(command_id) if command_id else None
    if pending is None:
        return ""
    text = f"{pending.action} {pending.status}"
    return f"{text} ({pending.detail})" if pending.detail and pending.status != "done" else text


class PendingTable(SyncTable):
    """Signals waiting for the operator. Row key = signal_id."""

    COLUMNS = (("game", "Game", 8), ("edge", "Edge", 6), ("px", "Px¢", 4), ("exp", "Exp", 4),
               ("cmd", "Command", 24), ("qty", "Qty", 4), ("leg", "Leg", 8))

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(id="pending", **kwargs)
        self.border_title = "Pending signals"

    def sync(self, state: DeskState, keys: Iterable[str] | None, now: datetime) -> None:
        """Rows for pending signals; countdowns are refreshed for every pending row each call."""
        if keys is None:
            self.reset()
        wanted = {s.signal_id for s in state.pending_signals()}
        for key in set(keys or ()) | set(self.row_keys()) | wanted:
            sig = state.signals.get(key)
            if key not in wanted or sig is None:
                self.drop_row(key)
                continue
            side, qty, px = _leg(sig)
            self.put_row(key, (_matchup(state, sig), fmt.edge_cents(sig.edge), px, fmt.countdown(now, sig.expires_at),
                               _command_state(state, key), qty, side))


class RecentTable(SyncTable):
    """Decided signals, newest first, at most RECENT_SIGNALS rows. Row key = signal_id."""

    COLUMNS = (("at", "At", 8), ("game", "Game", 8), ("decision", "Decision", 9), ("reason", "Reason", 30),
               ("edge", "Edge", 6))

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(id="recent", **kwargs)
        self.border_title = "Recent signals"

    def sync(self, state: DeskState, keys: Iterable[str] | None) -> None:
        """Apply changed signals (`keys`), or all when keys is None."""
        if keys is None:
            self.reset()
            keys = [s.signal_id for s in state.recent_signals()]
        added = False
        for key in keys:
            sig = state.signals.get(key)
            if sig is None or sig.decision == "pending":
                self.drop_row(key)
                continue
            reason = sig.reason or _command_state(state, key)
            added |= self.put_row(key, (sig.created_at.strftime("%H:%M:%S"), _matchup(state, sig),
                                        sig.decision, reason, fmt.edge_cents(sig.edge)))
        if added:
            keep = {s.signal_id for s in state.recent_signals()}
            for key in self.row_keys():
                if key not in keep:
                    self.drop_row(key)
            self.sort("at", reverse=True)


class SignalsPanel(Vertical):
    """Pending table above recent table."""

    def compose(self):
        """Pending signals table above the recent signals table."""
        yield PendingTable()
        yield RecentTable()

    def sync(self, state: DeskState, keys: Iterable[str] | None, now: datetime) -> None:
        """Apply changed signals (`keys`), or all when keys is None."""
        self.query_one(PendingTable).sync(state, keys, now)
        self.query_one(RecentTable).sync(state, keys)
