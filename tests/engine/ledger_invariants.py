"""The ledger invariants a crash or an outage must never break, checked in SQL on one snapshot.

Each names what it checks; `violations(conn)` returns a list of human-readable breaches ([] is
good). The queries read one REPEATABLE READ snapshot, so an engine still running cannot make
them disagree with each other (every booking is one transaction, store/trading.py).
"""

from __future__ import annotations

import asyncpg

# name → SQL returning one row per breach (first column says which row)
CHECKS: dict[str, str] = {
    "fill booked twice or without its ledger line": """
        SELECT f.fill_id FROM fills f LEFT JOIN bankroll_ledger l ON l.ref = 'fill:' || f.fill_id
        WHERE l.ref IS NULL OR l.fee_delta <> f.fee
        UNION ALL
        SELECT l.ref FROM bankroll_ledger l LEFT JOIN fills f ON l.ref = 'fill:' || f.fill_id
        WHERE l.ref LIKE 'fill:%' AND f.fill_id IS NULL""",
    "order filled count differs from the sum of its fills": """
        SELECT o.client_order_id FROM orders o
        LEFT JOIN (SELECT client_order_id, sum(contracts) AS n FROM fills GROUP BY 1) f USING (client_order_id)
        WHERE o.filled_contracts <> coalesce(f.n, 0)""",
    "order status contradicts its fills": """
        SELECT client_order_id FROM orders
        WHERE (status = 'filled' AND filled_contracts <> contracts)
           OR (status = 'partial' AND NOT (filled_contracts > 0 AND filled_contracts < contracts))
           OR (status IN ('cancelled', 'rejected') AND filled_contracts <> 0)""",
    "order without its signals row": """
        SELECT o.client_order_id FROM orders o LEFT JOIN signals s USING (signal_id) WHERE s.signal_id IS NULL""",
    "bankroll differs from its ledger": """
        SELECT 'bankroll' FROM bankroll b,
            (SELECT coalesce(sum(realized_delta), 0) AS r, coalesce(sum(fee_delta), 0) AS f FROM bankroll_ledger) l
        WHERE b.realized_pnl <> l.r OR b.fees <> l.f""",
    "bankroll differs from its positions": """
        SELECT 'bankroll' FROM bankroll b,
            (SELECT coalesce(sum(realized_pnl), 0) AS r, coalesce(sum(fees), 0) AS f FROM positions) p
        WHERE b.realized_pnl <> p.r OR b.fees <> p.f""",
    "position differs from its fills and settlement": """
        WITH f AS (SELECT market_id, side, sum(contracts) AS n, sum(price * contracts) AS cost, sum(fee) AS fees
                   FROM fills GROUP BY 1, 2)
        SELECT coalesce(p.market_id, f.market_id) || ':' || coalesce(p.side, f.side)
        FROM positions p FULL JOIN f USING (market_id, side)
        LEFT JOIN bankroll_ledger l ON l.ref = 'settle:' || p.market_id || ':' || p.side
        WHERE p.market_id IS NULL OR f.market_id IS NULL OR p.fees <> f.fees
           OR (NOT p.settled AND (p.contracts <> f.n OR p.cost <> f.cost OR p.realized_pnl <> 0 OR l.ref IS NOT NULL))
           OR (p.settled AND (p.contracts <> 0 OR p.cost <> 0 OR l.ref IS NULL OR l.realized_delta <> p.realized_pnl))""",  # noqa: E501
}


async def violations(conn: asyncpg.Connection) -> list[str]:
    """Every breach of CHECKS in the database behind `conn`, as "check: row"; [] when none."""
    found: list[str] = []
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        for name, sql in CHECKS.items():
            found += [f"{name}: {row[0]}" for row in await conn.fetch(sql)]
    return found


async def open_paper_orders(conn: asyncpg.Connection) -> set[str]:
    """client_order_ids of paper orders in 'intent' or 'sent'."""
    rows = await conn.fetch("SELECT client_order_id FROM orders WHERE paper AND status IN ('intent', 'sent')")
    return {r[0] for r in rows}


async def ledger_totals(conn: asyncpg.Connection) -> dict[str, object]:
    """Row counts and bankroll totals: orders, fills, settled positions, realized P&L, fees (dollars)."""
    row = await conn.fetchrow(
        """SELECT (SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM fills) AS fills,
                  (SELECT count(*) FROM bankroll_ledger WHERE ref LIKE 'settle:%') AS settlements,
                  b.realized_pnl, b.fees FROM bankroll b"""
    )
    return dict(row) if row is not None else {"orders": 0, "fills": 0, "settlements": 0}
