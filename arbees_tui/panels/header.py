"""Header bar: instance, SIM/PAPER/LIVE, mode (colour-coded), kill switch; money (mark-to-market
equity, cash, realized after fees, unrealized, fees, exposure vs limit); engine, store, bus, feed
and link health, OFFLINE with the time since the engine was last seen; plus the HALTED banner
that stays until the engine resumes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from .. import format as fmt
from ..literal import literal, same_look
from ..state import DeskState

MODE_STYLE = {"auto": "$success", "manual": "$warning", "halted": "$error"}
HEALTH_STYLE = {"online": "$success", "stale": "$warning", "offline": "$error", "unknown": "$warning"}
TRADING_STYLE = {"live": "b reverse $error", "paper": "b reverse $primary", "sim": "b reverse $secondary"}


def engine_health(state: DeskState, now: datetime) -> tuple[str, str]:
    """("online" | "stale" | "offline" | "unknown", time since the last heartbeat) from the polls."""
    return state.engine_health(now), fmt.age(now, state.last_seen)


def _pnl(value) -> tuple[str, str]:
    """Signed dollars, green when up and red when down."""
    text = fmt.dollars(value, signed=True)
    if value is None or value == 0:
        return text, ""
    return text, "$success" if value > 0 else "$error"


def trading_badges(state: DeskState) -> list:
    """SIM, PAPER or LIVE (per venue when they differ: "LIVE kalshi PAPER polymarket"; "LIVE HALTED"
    when a live venue refuses new orders, e.g. Polymarket heartbeats failing); "?" before the engine
    says (an engine too old to report it, or none yet). "NAKED n" when n arbitrage legs are unhedged."""
    engine = state.engine
    trading = {v: k.partition(":")[0] for v, k in engine.trading.items()} if engine is not None else {}
    naked = [(f" NAKED {len(engine.naked_exposure)} ", "b reverse $error")] if engine and engine.naked_exposure else []
    if not trading:
        return [(" PAPER/LIVE ? ", "b reverse $warning")]
    kinds = set(trading.values())
    if len(kinds) == 1:
        kind = kinds.pop()
        return [(f" {kind.upper()} ", TRADING_STYLE.get(kind, "b reverse $warning")), *naked]
    out: list = []
    for venue, kind in sorted(trading.items()):
        out += [(f" {kind.upper()} {venue} ", TRADING_STYLE.get(kind, "b reverse $warning")), " "]
    return out[:-1] + naked


def _kill(state: DeskState, current: bool = True) -> tuple[str, str]:
    """Kill-switch text; `current` False (engine offline or our link down): the last known state
    with a question mark, since it may have changed."""
    if state.pending_kill():
        return " KILL PENDING ", "b reverse $warning"
    failed = state.kill_failed()
    if failed is not None:
        return f" KILL {failed.status.upper()} ", "b reverse $error"
    if state.engine is None:
        return "kill:?", "b $warning"  # not known until the engine's status arrives
    if not current:
        return ("kill:ON?", "b $error") if state.kill_engaged else ("kill:off?", "b $warning")
    return ("kill:ON", "b $error") if state.kill_engaged else ("kill:off", "")


def exposure_text(state: DeskState) -> list:
    """ "exp $24.25/$400": open exposure at cost against the sport limit (dollars); [] before the
    bankroll arrives."""
    bank = state.bankroll
    if bank is None:
        return []
    limit = state.engine.limits.get("max_sport_exposure") if state.engine else None
    return ["exp ", fmt.dollars(bank.open_exposure) + (f"/${Decimal(limit):,.0f}" if limit else "")]


def money_line(state: DeskState, wide: bool = True) -> list:
    """eq (mark-to-market: equity after fees + unrealized), cash, realized after fees, unrealized,
    fees paid today ("?" from an engine that does not send them), then (wide only) today's
    realized after fees and the exposure against the sport limit (narrow: on line 1); "money ?"
    until the bankroll arrives."""
    bank = state.bankroll
    if bank is None:
        return [("money ?", "$warning"), " (no bankroll from the engine yet)"]
    gap = "  " if wide else " "
    fees_today = ("?", "$warning") if bank.day_fees is None else fmt.dollars(bank.day_fees)
    line = [
        "eq ",
        (fmt.dollars(bank.equity + bank.unrealized_pnl), "b"),
        f"{gap}cash ",
        fmt.dollars(bank.available),
        f"{gap}real ",
        _pnl(bank.realized_pnl - bank.fees),
        f"{gap}unrl ",
        _pnl(bank.unrealized_pnl),
        f"{gap}fees today ",
        fees_today,
    ]
    if wide:
        line += ["  day ", _pnl(bank.day_net_pnl), "  ", *exposure_text(state)]
    return line


def health_line(state: DeskState, now: datetime, link: str, link_detail: str, wide: bool = True) -> list:
    """engine ONLINE/STALE/OFFLINE (time since its last heartbeat) or UNKNOWN while our own link is
    down; store, bus and each venue's states as the engine reports them; our link to Redis. Why
    the store is down is told only on a wide header (narrow: it would push bus and venues off)."""
    # with our own link down we cannot see the engine's heartbeat: it may well still be trading
    health, hb_age = engine_health(state, now) if link == "connected" else ("unknown", fmt.DASH)
    engine_txt = f" {health.upper()} {hb_age} ago " if health == "offline" else health.upper()
    engine_style = "b reverse $error" if health == "offline" else f"b {HEALTH_STYLE[health]}"
    line = ["engine ", (engine_txt, engine_style)]
    if health != "offline":
        line += [f" hb {hb_age}"]
    status = state.engine
    if status is None or health in ("offline", "unknown"):
        # what the engine last said may no longer hold: unknown until it answers again
        line += ["  store ", ("?", "$warning"), "  bus ", ("?", "$warning")]
    else:
        line += ["  store ", ("ok", "$success") if status.store_ok else (" DOWN ", "b reverse $error")]
        if not status.store_ok and status.store_reason and wide:
            line += [" ", (status.store_reason[:40], "$text-muted")]
        line += ["  bus ", ("ok", "$success") if status.bus_ok else ("DOWN", "b $error")]
        line += venue_area(venue_health(status))
    link_text = "ok" if link == "connected" else link
    line += ["  link ", (link_text, {"connected": "$success", "connecting": "$warning"}.get(link, "$error"))]
    if link_detail and link != "connected":
        line += [" ", (link_detail[:60], "$text-muted")]
    return line


BAD_STATES = ("down", "dead", "failed", "auth_failed", "expired", "error", "offline", "naked")


def venue_health(status) -> dict[str, dict[str, str]]:  # noqa: ANN001 - an EngineStatus
    """venue → {aspect: state string} from the engine's status: its book feed ("feed", from
    `venue_feeds`) and every aspect in `venue_states` (heartbeats, pauses, auth, ...); a venue the
    engine lists with nothing said about it is {"feed": "?"}."""
    venues = list(status.venues) + [v for v in (*status.venue_feeds, *status.venue_states) if v not in status.venues]
    health: dict[str, dict[str, str]] = {}
    for venue in dict.fromkeys(venues):
        states = {"feed": status.venue_feeds.get(venue, "?")}
        states.update(status.venue_states.get(venue, {}))
        health[venue] = states
    return health


def _state_style(state: str) -> str:
    """Green for "ok", red for a state that means no trading (down, failed, ...), else yellow."""
    if state == "ok":
        return "$success"
    return "b $error" if any(bad in state.lower() for bad in BAD_STATES) else "$warning"


def venue_area(health: dict[str, dict[str, str]]) -> list:
    """ "kals ok  poly feed stale 1/6 ws auth_failed": a venue whose every aspect is "ok" reads
    "ok"; otherwise each aspect that is not ok is named with its state (the feed's name is left
    out when it is the only one)."""
    line: list = []
    for venue, states in health.items():
        line.append(f"  {venue[:4]}")
        bad = {aspect: state for aspect, state in states.items() if state != "ok"}
        if not bad:
            line += [" ", ("ok", "$success")]
            continue
        for aspect, state in bad.items():
            label = "" if aspect == "feed" and len(bad) == 1 else f" {aspect}"
            line += [label, " ", (state, _state_style(state))]
    return line


def alerts_line(state: DeskState) -> list:
    """Conditions the operator must act on: no operator key, unknown order outcomes, settlements."""
    line: list = []
    if state.key_problem:  # commands cannot be signed: the desk only watches
        line += ["  ", (" NO OPERATOR KEY: watch only ", "b reverse $warning")]
    counts = state.engine.counts if state.engine else {}
    unknown = counts.get("orders_outcome_unknown", 0)
    if unknown:  # a live order whose fate the venue has not told us: the operator must know
        line += ["  ", (f" {unknown} ORDER{'S' if unknown > 1 else ''} OUTCOME UNKNOWN ", "b reverse $error")]
    if counts.get("settlement_mismatches", 0):  # the venue paid differently from the final score
        line += ["  ", (f"{counts['settlement_mismatches']} settled unlike the score", "b $error")]
    if counts.get("settlements_awaiting_venue", 0):
        line += ["  ", (f"{counts['settlements_awaiting_venue']} awaiting venue settlement", "$warning")]
    return line


class HeaderBar(Widget):
    """Three lines of context; repainted (never re-laid-out) on ticks when the text changed."""

    def __init__(self, instance: str, read_only: bool = False, **kwargs) -> None:
        super().__init__(id="header", **kwargs)
        self.instance = instance
        self.read_only = read_only
        self._content = literal()

    def render(self) -> Content:
        """Draw the content last set by `show`."""
        return self._content

    def render_state(self, state: DeskState, now: datetime, link: str, link_detail: str) -> Content:
        """Line 1: instance, SIM/PAPER/LIVE badge, mode, kill state, READ-ONLY, alerts. Line 2:
        money (dollars). Line 3: engine, store, bus, venue feeds and link health. The instance and
        the link's error text are shown literally (`literal`)."""
        mode = state.mode
        current = link == "connected" and state.engine_health(now) not in ("offline", "unknown")
        mode_text = f" {mode.upper()} " if current else f" {mode.upper()}? "
        line1 = [
            (self.instance, "b"),
            " ",
            *trading_badges(state),
            " ",
            (mode_text, f"b reverse {MODE_STYLE.get(mode, '$warning')}"),
            " ",
            _kill(state, current),
        ]
        if self.read_only:
            line1 += ["  ", (" READ-ONLY ", "b reverse $secondary")]
        line1 += alerts_line(state)
        wide = self.size.width >= 100
        if not wide and state.bankroll is not None:  # the money line has no room for it
            line1 += ["  ", *exposure_text(state)]
        return literal(*line1, "\n", *money_line(state, wide), "\n", *health_line(state, now, link, link_detail, wide))

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
