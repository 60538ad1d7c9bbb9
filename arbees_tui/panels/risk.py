"""Risk figures for the desk: each limit and how much of it is used (per game and per sport), and
rejection totals by reason with a one-line explanation of each code. Pure functions of DeskState.

Reason codes and their meaning come from the engine's risk gate (arbees_engine/risk/checks.py),
the manual re-check (strategy/trader.py) and the operator commands (README, "Operators").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .. import format as fmt
from ..state import DeskState

REASONS = {
    "invalid_signal": "no legs, a non-positive leg, or an arbitrage without two equal legs",
    "unknown_market": "a leg is on a market the engine no longer lists",
    "off_step": "a leg's contracts are not a multiple of its market's step (a fraction on a whole-contract market)",
    "kill_switch": "the kill switch is engaged: nothing trades until resume",
    "mode_halted": "the engine is HALTED",
    "control_plane_down": "PostgreSQL or Redis unreachable: no new positions until both are back",
    "stale_quote": "a leg's book is missing, flagged stale or older than quote_stale_s",
    "stale_game": "the game's latest state is missing or older than game_state_stale_s",
    "price_band": "a leg could fill outside min_price..max_price",
    "price_moved": "the book no longer offers the leg's size at or below its limit price",
    "max_position": "held + committed contracts on the market side would exceed max_position_contracts",
    "game_exposure": "dollars at cost in the game would exceed max_game_exposure",
    "unknown_game": "the game's sport is unknown, so its sport limit cannot be checked",
    "sport_exposure": "dollars at cost in the sport would exceed max_sport_exposure",
    "daily_loss": "today's realized P&L after fees is at or below −daily_loss_limit",
    "cooldown": "this game traded less than game_cooldown_s ago",
    "opposing_position": "the leg would bet against a position held or committed on the same result",
    "insufficient_balance": "cost + fees exceed available cash minus min_available_balance",
    "edge_gone": "re-checked on approval: the game's current state and book no longer give the edge",
    "operator_rejected": "an operator rejected it",
    "expired": "no operator decision before it expired",
    "disconnected": "the venue's stream dropped (each drop counted)",
}


def explain(code: str) -> str:
    """One line for a rejection code; "venue:code" and "command:code" use the code after the colon;
    an unknown code says where to look."""
    base = code.split(":", 1)[-1] if code not in REASONS else code
    base = base.split(" ", 1)[0].rstrip(":")
    return REASONS.get(code) or REASONS.get(base) or "not described here: see the engine log and risk/checks.py"


def reason_code(reason: str) -> str:
    """The code at the head of a signal's reason text ("edge_gone: the game's…" → "edge_gone")."""
    return reason.split(":", 1)[0].split(" ", 1)[0] if reason else ""


@dataclass(frozen=True)
class LimitUse:
    """One limit's use: `scope` ("game BOS@LAL", "sport nba", "day", "cash"), used and limit in
    dollars (or contracts), and the share used 0..1 (None when the limit is unknown)."""

    limit: str
    scope: str
    used: Decimal
    cap: Decimal | None

    @property
    def share(self) -> float | None:
        """used / cap, or None without a cap."""
        return float(self.used / self.cap) if self.cap else None


def _limit(state: DeskState, name: str) -> Decimal | None:
    text = state.engine.limits.get(name) if state.engine is not None else None
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def limit_uses(state: DeskState) -> list[LimitUse]:
    """Every game's and sport's exposure against its limit (largest share first), today's loss
    against daily_loss_limit and the largest position against max_position_contracts."""
    from .positions import game_label

    engine = state.engine
    if engine is None:
        return []
    game_cap, sport_cap = _limit(state, "max_game_exposure"), _limit(state, "max_sport_exposure")
    uses = [
        LimitUse("max_game_exposure", f"game {game_label(state, g)}", used, game_cap)
        for g, used in engine.exposure_by_game.items()
    ]
    uses += [
        LimitUse("max_sport_exposure", f"sport {sport}", used, sport_cap)
        for sport, used in engine.exposure_by_sport.items()
    ]
    uses.sort(key=lambda u: -(u.share or 0.0))
    if state.bankroll is not None:
        loss = max(Decimal(0), -state.bankroll.day_net_pnl)
        uses.append(LimitUse("daily_loss_limit", "today (UTC)", loss, _limit(state, "daily_loss_limit")))
    biggest = max((p.contracts for p in state.positions.values() if not p.settled), default=Decimal(0))
    cap = _limit(state, "max_position_contracts")
    uses.append(LimitUse("max_position_contracts", "largest position", biggest, cap))
    return uses


def limit_row(use: LimitUse) -> tuple[str, str, str, str, str]:
    """(limit, scope, used, cap, share) as text; contracts without a dollar sign."""
    money = use.limit != "max_position_contracts"
    show = fmt.dollars if money else (lambda v: fmt.contracts(v, grouped=True))
    share = fmt.DASH if use.share is None else f"{use.share:.0%}"
    return use.limit, use.scope, show(use.used), show(use.cap), share


def rejection_rows(state: DeskState) -> list[tuple[str, int, str]]:
    """(code, count, explanation) from the engine's rejection totals, most frequent first."""
    totals = state.engine.rejections if state.engine is not None else {}
    return [(code, count, explain(code)) for code, count in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]


def latency_rows(state: DeskState) -> list[tuple[str, str, str, str]]:
    """The engine's per-stage latency (EngineStatus.latency: stage → LatencyView, milliseconds over
    the last `count` samples) as (stage, p50 ms, p99 ms, samples) text rows, stages by name; empty
    without an engine status. A stage with no samples yet shows "–" for its percentiles."""
    if state.engine is None:
        return []
    rows = []
    for stage, view in sorted(state.engine.latency.items()):
        p50, p99 = (_ms(view.p50_ms), _ms(view.p99_ms)) if view.count else ("–", "–")
        rows.append((stage, p50, p99, f"{view.count:,}"))
    return rows


def _ms(value: float) -> str:
    """Milliseconds with two decimals under 10 ms, one under 1000 ms, none above."""
    if value < 10:
        return f"{value:.2f}"
    return f"{value:.1f}" if value < 1000 else f"{value:,.0f}"
