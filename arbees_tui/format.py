"""Text formatting for the desk: dollars, cents, contracts, probabilities, clocks, ages. Pure functions."""

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


def contracts(value: Decimal | int | None, grouped: bool = False) -> str:
    """A quantity of contracts: "25" for whole counts (also 25.00), "2.5" / "0.05" for the
    fractions a fractional market trades (trailing zeros dropped); "1,000" when `grouped`;
    None → dash."""
    if value is None:
        return DASH
    dec = Decimal(value)
    if dec == dec.to_integral_value():
        return f"{dec:,.0f}" if grouped else f"{dec:.0f}"
    text = f"{dec.normalize():f}"
    if not grouped:
        return text
    whole, _, frac = text.partition(".")
    return f"{Decimal(whole):,.0f}.{frac}" if dec >= 0 else text


def cents(price: Decimal | None) -> str:
    """Price in dollars 0..1 → cents "56.0" (one decimal); None → dash."""
    return DASH if price is None else f"{price * 100:.1f}"


def bid_ask(bid: Decimal | None, ask: Decimal | None) -> str:
    """ "55/57" in whole cents (a dash for a missing side)."""
    b = DASH if bid is None else f"{bid * 100:.0f}"
    a = DASH if ask is None else f"{ask * 100:.0f}"
    return f"{b}/{a}"


def edge_cents(edge: Decimal | None) -> str:
    """Edge dollars/contract → signed cents "+3.2¢"."""
    return DASH if edge is None else f"{edge * 100:+.1f}¢"


def prob(p: float | None) -> str:
    """Probability 0..1 → "62.5%"."""
    return DASH if p is None else f"{p * 100:.1f}%"


FAMILIES = {
    "basketball": "basketball",
    "nba": "basketball",
    "wnba": "basketball",
    "ncaab": "basketball",
    "football": "football",
    "nfl": "football",
    "ncaaf": "football",
    "hockey": "hockey",
    "nhl": "hockey",
    "soccer": "soccer",
    "epl": "soccer",
    "mls": "soccer",
    "baseball": "baseball",
    "mlb": "baseball",
}
REGULATION_PERIODS = {"basketball": 4, "football": 4, "hockey": 3}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def game_clock(
    period: int,
    clock_s: float,
    status: str,
    sport: str = "",
    inning_half: str | None = None,
    outs: int | None = None,
    added_time_s: float = 0.0,
) -> str:
    """The sport's own clock for live games, otherwise the status ("final", "scheduled"):
    basketball/football "Q4 05:12" ("OT 03:00" past regulation), hockey "P2 03:22" ("OT"),
    soccer the minute played "67'" ("90'+3'" in added time; 45-minute halves), baseball
    "Top 7th 2 out". `sport`: the family or league ("basketball", "nba", ...); unknown: "P<n> mm:ss"."""
    if status not in ("live", "in_progress", "in"):
        return status
    family = FAMILIES.get(sport.lower(), "")
    minutes, seconds = divmod(max(0, int(clock_s)), 60)
    mmss = f"{minutes:02d}:{seconds:02d}"
    if family == "soccer":
        played = (max(1, period) - 1) * 45 + int((45 * 60 - max(0.0, clock_s)) // 60)
        if added_time_s > 0:
            return f"{max(1, period) * 45}'+{int(added_time_s // 60) + 1}'"
        return f"{min(played + 1, max(1, period) * 45)}'"
    if family == "baseball":
        half = {"top": "Top", "bottom": "Bot"}.get(inning_half or "", "Inn")
        return f"{half} {_ordinal(max(1, period))}" + (f" {outs} out" if outs is not None else "")
    regulation = REGULATION_PERIODS.get(family)
    if regulation is not None and period > regulation:
        extra = period - regulation
        return f"OT{extra if extra > 1 else ''} {mmss}"
    prefix = {"basketball": "Q", "football": "Q"}.get(family, "P")
    return f"{prefix}{period} {mmss}"


def clock_of(game) -> str:  # noqa: ANN001 - a GameView (this module imports no bus types)
    """`game_clock` of a GameView."""
    return game_clock(
        game.period, game.clock_s, game.status, game.sport, game.inning_half, game.outs, game.added_time_s
    )


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


def age_s(seconds: float | None) -> str:
    """A non-negative age in seconds as "3s" / "2m" / "4h" / "3d", compact for a table cell
    (whole units, rounded down); None (never updated, or not known) → "?"."""
    if seconds is None:
        return "?"
    secs = int(max(0.0, seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size:
            return f"{secs // size}{unit}"
    return f"{secs}s"


def countdown(now: datetime, until: datetime | None) -> str:
    """Seconds left until `until` as "12s" (or "expired")."""
    if until is None:
        return DASH
    left = (until - now).total_seconds()
    return "expired" if left <= 0 else f"{left:.0f}s"
