"""Human-readable exit summary and `status` output (plain text; JSON is the same dicts)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from ..bus.client import Snapshot
from ..bus.messages import GameView, Heartbeat, QuoteView


def money(value: object) -> str:
    """Dollars for display: exact, trailing zeros beyond the cent dropped ("6.778650" → "6.77865")."""
    dec = Decimal(str(value))
    text = f"{dec:.2f}" if dec == dec.quantize(Decimal("0.01")) else format(dec.normalize(), "f")
    return text


def format_summary(summary: dict[str, Any]) -> str:
    """Render the dict from Engine.summary() (node/status.py summary) as aligned lines."""
    lines = ["Arbees engine run summary"]
    for key in ("games_seen", "games_live", "games_final", "markets"):
        lines.append(f"  {key.replace('_', ' '):<22}{summary.get(key, 0)}")
    decisions = summary.get("signals_by_decision", {})
    total = sum(decisions.values())
    lines.append(f"  {'signals':<22}{total}  " + "  ".join(f"{k}={v}" for k, v in sorted(decisions.items())))
    for key in ("orders", "fills", "contracts_filled"):
        lines.append(f"  {key.replace('_', ' '):<22}{summary.get(key, 0)}")
    for key in ("fees", "realized_pnl", "unrealized_pnl", "starting_bankroll", "bankroll"):
        amount = money(summary.get(key, "0"))
        lines.append(f"  {key.replace('_', ' '):<22}{'-$' + amount[1:] if amount.startswith('-') else '$' + amount}")
    lines.append(f"  {'bankroll identity':<22}{'holds' if summary.get('identity_ok') else 'BROKEN'}")
    rejections = summary.get("rejections", {})
    if rejections:
        lines.append("  rejections by reason: " + ", ".join(f"{k}={v}" for k, v in sorted(rejections.items())))
    if "store_writer" in summary:
        lines += format_store_writer(summary["store_writer"])
    return "\n".join(lines)


def _by_kind(counts: dict[str, int]) -> str:
    return "  ".join(f"{k}={v}" for k, v in sorted(counts.items()))


def format_store_writer(w: dict[str, Any]) -> list[str]:
    """Lines for StoreWriter.figures() (plus its shutdown "drain" report): rows written, dropped
    and coalesced (by kind), backlog peak (rows) and write latency p50/p99 (ms)."""
    lines = [
        f"  {'store rows written':<22}{w['written']}  {_by_kind(w['written_by_kind'])}",
        f"  {'store rows dropped':<22}{w['dropped']}  {_by_kind(w['dropped_by_kind'])}".rstrip(),
        f"  {'store rows coalesced':<22}{w['coalesced']}  {_by_kind(w['coalesced_by_kind'])}".rstrip(),
        f"  {'store backlog peak':<22}{w['backlog_peak']}  write p50/p99 "
        f"{w['store_write_p50_ms']}/{w['store_write_p99_ms']} ms",
    ]
    drain = w.get("drain")
    if drain:
        lines.append(
            f"  {'shutdown drain':<22}{sum(drain['rows'].values())} rows in {drain['seconds']} s  "
            f"{_by_kind(drain['rows'])}  left {drain['left']}  journaled {drain.get('journaled', 0)}"
        )
    return lines


def _store_health(engine: dict[str, Any]) -> str:
    if engine["store_ok"]:
        return "ok"
    return f"DOWN ({engine['store_reason']})" if engine.get("store_reason") else "DOWN"


def status_dict(snap: Snapshot, heartbeat: Heartbeat | None, now: datetime) -> dict[str, Any]:
    """Status as a JSON-ready dict: engine status, heartbeat age (s), counts of snapshot entities."""
    engine = snap.engine.model_dump(mode="json") if snap.engine else None
    age = (now - heartbeat.ts).total_seconds() if heartbeat else None
    # the snapshot keeps each kind's views under its kind name, so these casts only narrow the union
    games = cast(dict[str, GameView], snap.entities.get("game", {}))
    quotes = cast(dict[str, QuoteView], snap.entities.get("quote", {}))
    return {
        "online": heartbeat is not None,
        "heartbeat_age_s": round(age, 3) if age is not None else None,
        "engine": engine,
        "last_event_id": snap.last_event_id,
        "games": [
            {
                "game_id": g.game_id,
                "league": g.league,
                "matchup": f"{g.away} @ {g.home}",
                "score": f"{g.away_score}-{g.home_score}",
                "period": g.period,
                "clock_s": g.clock_s,
                "status": g.status,
                "model_p_home": g.model_p_home,
            }
            for g in sorted(games.values(), key=lambda g: g.game_id)
        ],
        "quotes": [
            {
                "market_id": q.market_id,
                "venue": q.venue,
                "game_id": q.game_id,
                "yes_team": q.yes_team,
                "yes_bid": str(q.yes_bid) if q.yes_bid is not None else None,
                "yes_ask": str(q.yes_ask) if q.yes_ask is not None else None,
                "stale": q.stale,
            }
            for q in sorted(quotes.values(), key=lambda q: q.market_id)
        ],
        "bankroll": next(iter(snap.entities.get("bankroll", {}).values()), None),
    }


def format_status(data: dict[str, Any]) -> str:
    """Render status_dict() for a terminal."""
    engine = data.get("engine")
    if engine is None:
        return "no engine state published on this instance"
    hb = data["heartbeat_age_s"]
    lines = [
        f"instance {engine['instance']}  mode {engine['mode'].upper()}  kill {'ENGAGED: ' + engine['kill_reason'] if engine['kill_engaged'] else 'off'}",  # noqa: E501
        f"heartbeat {'%.1fs ago' % hb if hb is not None else 'LOST (engine offline)'}  store {_store_health(engine)}  bus {'ok' if engine['bus_ok'] else 'DOWN'}",  # noqa: E501
        "counts: " + ", ".join(f"{k}={v}" for k, v in sorted(engine["counts"].items())),
        "rejections: " + (", ".join(f"{k}={v}" for k, v in sorted(engine["rejections"].items())) or "none"),
        "latency (ms, p50/p95/p99):",
    ]
    for stage, lat in sorted(engine["latency"].items()):
        lines.append(
            f"  {stage:<18}{lat['p50_ms']:.3f} / {lat['p95_ms']:.3f} / {lat['p99_ms']:.3f}  (n={lat['count']})"
        )
    lines.append(f"games: {len(data['games'])}  quotes: {len(data['quotes'])}")
    return "\n".join(lines)
