"""Text formatting for the desk: dollars, cents, probabilities, clocks, ages. Pure functions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

DASH = "–"


def dollars(value: Decimal | None, signed: bool = False) -> str:
    """Decimal dollars → "$1,234.56" ("+$…"/"-$…" when signed); None → dash."""
    if value is None:
        return DASH
    sign = "-" if value < 0 else ("+" if signed and value > 0 else "")
    return f"{sign}${abs(value):,.2f}"


def cents(price: Decimal | None) -> str:
    """Price in dollars 0..1 → cents "56.0" (one decimal); None → dash."""
    return DASH if price is None else f"{price * 100:.1f}"


def bid_ask(bid: Decimal | None, ask: Decimal | None) -> str:
    """"55/57" in whole cents (a dash for a missing side)."""
    b = DASH if bid is None else f"{bid * 100:.0f}"
    a = DASH if ask is None else f"{ask * 100:.0f}"
    return f"{b}/{a}"


def edge_cents(edge: Decimal | None) -> str:
    """Edge dollars/contract → signed cents "+3.2¢"."""
    return DASH if edge is None else f"{edge * 100:+.1f}¢"


def prob(p: float | None) -> str:
    """Probability 0..1 → "62.5%"."""
    return DASH if p is None else f"{p * 100:.1f}%"


def game_clock(period: int, clock_s: float, status: str) -> str:
    """"Q3 07:42" for live games, otherwise the status ("final", "scheduled")."""
    if status not in ("live", "in_progress", "in"):
        return status
    minutes, seconds = divmod(max(0, int(clock_s)), 60)
    return f"P{period} {minutes:02d}:{seconds:02d}"


def age(now: datetime, then: datetime | None) -> str:
    """Seconds between `then` and `now` as "3.2s" / "4m" / "2h"; None → dash."""
    if then is None:
        return DASH
    secs = max(0.0, (now - then).total_seconds())
    if secs < 60:
        return f"{secs:.1f}s"
    if secs < 3600:
        return f"{secs / 60:.0f}m"
    return f"{secs / 3600:.0f}h"


def countdown(now: datetime, until: datetime | None) -> str:
    """Seconds left until `until` as "12s" (or "expired")."""
    if until is None:
        return DASH
    left = (until - now).total_seconds()
    return "expired" if left <= 0 else f"{left:.0f}s"
