"""`arbees-engine report`: fills, orders and daily P&L from the store for a UTC date range, printed
and optionally written as CSV (fills.csv, orders.csv, daily_pnl.csv).

Daily P&L comes from the bankroll ledger (every realized P&L and fee the engine booked, one row
per booking, `created_at` = when the store recorded it): per UTC day, realized (before fees),
fees, and net = realized − fees. Money is Decimal dollars written as exact strings; times are
ISO-8601 UTC. Ranges are half-open: [start 00:00 UTC, end + 1 day 00:00 UTC).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

FILL_COLUMNS = ("fill_id", "filled_at", "client_order_id", "market_id", "venue", "side", "price", "contracts", "fee")
ORDER_COLUMNS = (
    "client_order_id",
    "created_at",
    "signal_id",
    "market_id",
    "venue",
    "side",
    "limit_price",
    "contracts",
    "filled_contracts",
    "status",
    "paper",
    "reason",
)
DAILY_COLUMNS = ("day", "realized_pnl", "fees", "net_pnl", "bookings")


@dataclass
class Report:
    """Rows of each table as dicts keyed by the *_COLUMNS names (Decimal money, aware datetimes)."""

    start: date
    end: date
    fills: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    daily: list[dict[str, Any]] = field(default_factory=list)


def utc_range(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00 UTC, (end + 1 day) 00:00 UTC). Raises ValueError when end is before start."""
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    return (
        datetime.combine(start, time(), UTC),
        datetime.combine(end + timedelta(days=1), time(), UTC),
    )


async def load_report(database_url: str, start: date, end: date) -> Report:
    """Read the three tables for [start, end] (UTC days) from PostgreSQL at `database_url`.
    Raises OSError/asyncpg errors when the store is unreachable."""
    since, until = utc_range(start, end)
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        fills = await conn.fetch(
            f"SELECT {', '.join(FILL_COLUMNS)} FROM fills WHERE filled_at >= $1 "
            "AND filled_at < $2 ORDER BY filled_at, fill_id",
            since,
            until,
        )
        orders = await conn.fetch(
            f"SELECT {', '.join(ORDER_COLUMNS)} FROM orders WHERE created_at >= $1 "
            "AND created_at < $2 ORDER BY created_at, client_order_id",
            since,
            until,
        )
        daily = await conn.fetch(
            """SELECT (created_at AT TIME ZONE 'UTC')::date AS day, sum(realized_delta) AS realized_pnl,
                      sum(fee_delta) AS fees, sum(realized_delta) - sum(fee_delta) AS net_pnl, count(*) AS bookings
               FROM bankroll_ledger WHERE created_at >= $1 AND created_at < $2 GROUP BY 1 ORDER BY 1""",
            since,
            until,
        )
    finally:
        await conn.close()
    return Report(start, end, [dict(r) for r in fills], [dict(r) for r in orders], [dict(r) for r in daily])


def _cell(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize() if value == value.to_integral() else value, "f")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_csv(report: Report, out_dir: Path) -> list[Path]:
    """Write fills.csv, orders.csv and daily_pnl.csv into `out_dir` (created); returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, columns, rows in (
        ("fills.csv", FILL_COLUMNS, report.fills),
        ("orders.csv", ORDER_COLUMNS, report.orders),
        ("daily_pnl.csv", DAILY_COLUMNS, report.daily),
    ):
        path = out_dir / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows([_cell(row[c]) for c in columns] for row in rows)
        written.append(path)
    return written


def format_report(report: Report) -> str:
    """Plain-text summary: counts, then realized/fees/net per UTC day and in total (dollars)."""
    lines = [
        f"report {report.start} .. {report.end} (UTC days): {len(report.fills)} fills, {len(report.orders)} orders",
        f"{'day':<12}{'realized':>12}{'fees':>10}{'net':>12}",
    ]
    total = [Decimal(0), Decimal(0), Decimal(0)]
    for row in report.daily:
        figures = (row["realized_pnl"], row["fees"], row["net_pnl"])
        total = [a + b for a, b in zip(total, figures)]
        lines.append(f"{row['day']!s:<12}{figures[0]:>12,.2f}{figures[1]:>10,.2f}{figures[2]:>12,.2f}")
    lines.append(f"{'total':<12}{total[0]:>12,.2f}{total[1]:>10,.2f}{total[2]:>12,.2f}")
    return "\n".join(lines)
