"""Header bar: instance, mode (colour-coded), kill switch, bankroll, P&L, exposure, heartbeat age,
connection state; plus the HALTED banner that stays until the engine resumes."""

from __future__ import annotations

from datetime import datetime

from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from .. import format as fmt
from ..literal import literal, same_look
from ..state import DeskState

MODE_STYLE = {"auto": "$success", "manual": "$warning", "halted": "$error"}
HEARTBEAT_STALE_S = 3.0


def engine_health(state: DeskState, now: datetime) -> tuple[str, str]:
    """("online" | "stale" | "offline", age text) from the last heartbeat poll."""
    beat = state.heartbeat
    if beat is None:
        return "offline", fmt.DASH
    secs = (now - beat.ts).total_seconds()
    return ("stale" if secs > HEARTBEAT_STALE_S else "online"), fmt.age(now, beat.ts)


def _pnl(value) -> tuple[str, str]:
    """Signed dollars, green when up and red when down."""
    text = fmt.dollars(value, signed=True)
    if value is None or value == 0:
        return text, ""
    return text, "$success" if value > 0 else "$error"


class HeaderBar(Widget):
    """Two lines of context; repainted (never re-laid-out) on ticks when the text changed."""

    def __init__(self, instance: str, **kwargs) -> None:
        super().__init__(id="header", **kwargs)
        self.instance = instance
        self._content = literal()

    def render(self) -> Content:
        """Draw the content last set by `show`."""
        return self._content

    def render_state(self, state: DeskState, now: datetime, link: str, link_detail: str) -> Content:
        """Two lines: instance, mode, kill state, bankroll ($); engine health, heartbeat age, link.
        The instance and the link's error text are shown literally (`literal`)."""
        mode = state.mode
        mode_txt = (f" {mode.upper()} ", f"b reverse {MODE_STYLE.get(mode, '$foreground')}")
        if state.pending_kill():
            kill = (" KILL PENDING ", "b reverse $warning")
        elif state.kill_failed() is not None:
            kill = (f" KILL {state.kill_failed().status.upper()} ", "b reverse $error")
        elif state.kill_engaged:
            kill = ("kill:ON", "b $error")
        else:
            kill = ("kill:off", "")
        bank = state.bankroll
        line1 = [(self.instance, "b"), " ", mode_txt, " ", kill,
                 "  eq ", (fmt.dollars(bank.equity if bank else None), "b"),
                 "  day ", _pnl(bank.day_realized_pnl if bank else None),
                 "  unrl ", _pnl(bank.unrealized_pnl if bank else None),
                 f"  exp {fmt.dollars(bank.open_exposure if bank else None)}"]
        # with our own link down we cannot see the engine's heartbeat: it may well still be trading
        health, hb_age = engine_health(state, now) if link == "connected" else ("unknown", fmt.DASH)
        health_style = {"online": "$success", "stale": "$warning", "offline": "$error", "unknown": "$warning"}[health]
        link_style = {"connected": "$success", "connecting": "$warning"}.get(link, "$error")
        line2 = ["engine ", (health.upper(), f"b {health_style}"), f" hb {hb_age}  link ", (link, link_style)]
        if link_detail and link != "connected":
            line2 += [" ", (link_detail[:60], "$text-muted")]
        if state.key_problem:  # commands cannot be signed: the desk only watches
            line2 += ["  ", (" NO OPERATOR KEY: watch only ", "b reverse $warning")]
        unknown = state.engine.counts.get("orders_outcome_unknown", 0) if state.engine else 0
        if unknown:  # a live order whose fate the venue has not told us: the operator must know
            line2 += ["  ", (f" {unknown} ORDER{'S' if unknown > 1 else ''} OUTCOME UNKNOWN ", "b reverse $error")]
        counts = state.engine.counts if state.engine else {}
        if counts.get("settlement_mismatches", 0):  # the venue paid differently from the final score
            line2 += ["  ", (f"{counts['settlement_mismatches']} settled unlike the score", "b $error")]
        if counts.get("settlements_awaiting_venue", 0):
            line2 += ["  ", (f"{counts['settlements_awaiting_venue']} awaiting venue settlement", "$warning")]
        return literal(*line1, "\n", *line2)

    def show(self, state: DeskState, now: datetime, link: str, link_detail: str) -> None:
        """Repaint from state (only when the text or its styles changed)."""
        content = self.render_state(state, now, link, link_detail)
        if not same_look(content, self._content):
            self._content = content
            self.refresh()


class HaltedBanner(Static):
    """Unmistakable full-width banner while the kill switch is engaged."""

    def __init__(self, **kwargs) -> None:
        super().__init__("", id="halted-banner", **kwargs)

    def show(self, state: DeskState) -> None:
        """Repaint from state (only when the text changed)."""
        engine = state.engine
        halted = state.kill_engaged
        if self.display != halted:
            self.display = halted
        if halted and engine is not None:
            who = f" by {engine.kill_operator}" if engine.kill_operator else ""
            why = f": {engine.kill_reason}" if engine.kill_reason else ""
            self.update(literal(f"■ HALTED — kill switch engaged{who}{why} — R to resume ■"))
