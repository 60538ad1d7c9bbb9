"""Store methods for signals, orders, fills and positions, and the booking of settlements (a
repository of `Store`; the feed-vs-venue settlement record is store/settlements.py).

Order intents are written before they are sent, keyed by a client_order_id that is unique forever;
a fill is stored once however often the venue reports it (ARCHITECTURE.md, "Store"), and in the
same transaction moves its order's `filled_contracts`, so an order's filled count always equals
the sum of its stored fills (a crash between the two is impossible; `update_order` never writes it).
Triggers in migrations/0002 write an audit row for every change to orders, fills and positions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

import asyncpg

from ..model import Fill, Order, OrderStatus, Position, Signal
from .db import Repository
from .errors import DuplicateOrderError, NotFoundError
from .rows import fill_from_row, legs_to_json, order_from_row, position_from_row, signal_from_row, signal_row
from .settlements import RECORD_RESULT, SettlementVerdict


class TradingRepository(Repository):
    """Signals, orders, fills, positions. Runs on the `Database` it is handed."""

    async def insert_signal(self, signal: Signal) -> None:
        """Store a new signal (model, raw model and market probabilities 0..1, shrink weight 0..1).

        Raises StoreConstraintError for a probability or weight outside 0..1 or NaN.
        """
        async with self._db.acquire() as conn:
            await conn.execute(
                """INSERT INTO signals (signal_id, kind, game_id, legs, model_prob, market_prob, edge,
                       stake_fraction, decision, reason, version, created_at, expires_at, raw_model_prob,
                       market_weight)
                   VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)""",
                *signal_row(signal),
            )

    async def update_signal(self, signal: Signal) -> None:
        """Record a signal's decision, reason, version and legs (an approval can cut a pending
        signal's size; decided_at set when not pending).

        Raises NotFoundError if the signal was never inserted.
        """
        async with self._db.acquire() as conn:
            status = await conn.execute(
                """UPDATE signals SET decision = $2, reason = $3, version = $4, legs = $5,
                       decided_at = CASE WHEN $2 = 'pending' THEN NULL ELSE now() END
                   WHERE signal_id = $1""",
                signal.signal_id,
                signal.decision.value,
                signal.reason,
                signal.version,
                legs_to_json(signal.legs),
            )
        if status.endswith(" 0"):
            raise NotFoundError(f"signal {signal.signal_id} not found")

    async def upsert_signal(self, signal: Signal) -> None:
        """Store a signal whether or not it was stored before: insert it, or record its decision,
        reason, version and legs unless the stored row has a newer version (the store writer's
        `signal_job` row and SQL, store/batch.py). The engine writes a signal with this before its
        first order intent (awaited, so no order lacks its `signals` row) and through the store
        writer for every decision, in any order.
        Raises StoreConstraintError for a probability or weight outside 0..1 or NaN."""
        from .batch import SIGNAL_SQL, signal_job  # local: batch imports this module's row helpers

        async with self._db.acquire() as conn:
            await conn.execute(SIGNAL_SQL, *signal_job(signal).row)

    async def load_signals(self, *, game_id: str | None = None, limit: int = 500) -> list[Signal]:
        """Most recent signals first, optionally for one game."""
        async with self._db.acquire() as conn:
            rows = await conn.fetch(
                """SELECT * FROM signals WHERE $1::text IS NULL OR game_id = $1
                   ORDER BY created_at DESC, signal_id LIMIT $2""",
                game_id,
                limit,
            )
        return [signal_from_row(r) for r in rows]

    async def insert_order_intent(self, order: Order) -> None:
        """Write an order before it is sent. Raises DuplicateOrderError if client_order_id was used."""
        async with self._db.acquire() as conn:
            try:
                await conn.execute(
                    """INSERT INTO orders (client_order_id, signal_id, market_id, venue, side, limit_price,
                           contracts, filled_contracts, status, paper, venue_order_id, reason, created_at)
                       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)""",
                    order.client_order_id,
                    order.signal_id,
                    order.market_id,
                    order.venue.value,
                    order.side.value,
                    order.limit_price,
                    order.contracts,
                    order.filled_contracts,
                    order.status.value,
                    order.paper,
                    order.venue_order_id,
                    order.reason,
                    order.created_at,
                )
            except asyncpg.UniqueViolationError as exc:
                raise DuplicateOrderError(f"client_order_id {order.client_order_id} already stored") from exc

    async def update_order(self, order: Order) -> None:
        """Store an order's status, venue_order_id and reason. Its filled_contracts is the sum of
        its stored fills (kept by `record_fill`/`book_fill`), never the caller's count: book the
        fills first, then the status.

        Raises NotFoundError for an unknown client_order_id.
        """
        async with self._db.acquire() as conn:
            status = await conn.execute(
                """UPDATE orders SET status = $2, venue_order_id = $3, reason = $4, updated_at = now()
                   WHERE client_order_id = $1""",
                order.client_order_id,
                order.status.value,
                order.venue_order_id,
                order.reason,
            )
        if status.endswith(" 0"):
            raise NotFoundError(f"order {order.client_order_id} not found")

    async def close_unsent_order(self, client_order_id: str, reason: str) -> bool:
        """Mark an order whose intent was written but which was never sent CANCELLED with `reason`
        (an intent whose write could not be confirmed is never sent). Only an order still in
        'intent' with no fills changes; returns True if one did. Raises StoreUnavailable."""
        async with self._db.acquire() as conn:
            status = await conn.execute(
                """UPDATE orders SET status = 'cancelled', reason = $2, updated_at = now()
                   WHERE client_order_id = $1 AND status = 'intent' AND filled_contracts = 0""",
                client_order_id,
                reason,
            )
        return not status.endswith(" 0")

    async def reconcile_paper_orders(
        self, never_sent: str, from_fills: str, live_venues: Sequence[str] = ()
    ) -> list[tuple[str, OrderStatus, Decimal]]:
        """After a restart: close every paper order a crash left 'intent' or 'sent'. A paper order
        lives only in the process that sent it, so what its stored fills say is all it did: with
        no fill it is CANCELLED (never sent, or sent with nothing booked), else FILLED or PARTIAL
        (an IOC's rest is cancelled) by its fills; the reason written is `never_sent` or `from_fills`.
        Orders on `live_venues` (venue values with a live broker now) are left to a venue lookup. Any order whose
        filled_contracts differs from its fills' sum (rows older than that rule) is repaired too.
        Returns [(client_order_id, new status, filled contracts)] of the orders closed, in one
        transaction. Raises StoreUnavailable."""
        async with self._db.transaction() as conn:
            await conn.execute(
                """UPDATE orders o SET filled_contracts = f.filled, updated_at = now()
                   FROM (SELECT client_order_id, sum(contracts) AS filled FROM fills GROUP BY 1) f
                   WHERE o.client_order_id = f.client_order_id AND o.filled_contracts <> f.filled
                       AND f.filled <= o.contracts"""
            )
            rows = await conn.fetch(
                """UPDATE orders SET status = CASE WHEN filled_contracts = 0 THEN 'cancelled'
                           WHEN filled_contracts >= contracts THEN 'filled' ELSE 'partial' END,
                       reason = CASE WHEN filled_contracts = 0 THEN $1 ELSE $2 END, updated_at = now()
                   WHERE paper AND status IN ('intent', 'sent') AND NOT venue = ANY($3::text[])
                   RETURNING client_order_id, status, filled_contracts""",
                never_sent,
                from_fills,
                list(live_venues),
            )
        return [(r["client_order_id"], OrderStatus(r["status"]), r["filled_contracts"]) for r in rows]

    async def load_orders(
        self, *, statuses: Iterable[OrderStatus] | None = None, signal_id: str | None = None, limit: int = 1000
    ) -> list[Order]:
        """Orders, newest first, filtered by status set and/or signal_id."""
        wanted = [s.value for s in statuses] if statuses is not None else None
        async with self._db.acquire() as conn:
            rows = await conn.fetch(
                """SELECT * FROM orders WHERE ($1::text[] IS NULL OR status = ANY($1))
                       AND ($2::text IS NULL OR signal_id = $2)
                   ORDER BY created_at DESC, client_order_id LIMIT $3""",
                wanted,
                signal_id,
                limit,
            )
        return [order_from_row(r) for r in rows]

    async def record_fill(self, fill: Fill) -> bool:
        """Store a fill once, with its order's filled_contracts, in one transaction. Returns False
        if this fill_id was already stored (nothing changes).

        StoreConstraintError if its order was never stored, a value is out of range, or the
        order's fills would exceed its contracts (orders_filled_contracts_check).
        """
        async with self._db.transaction() as conn:
            return await self._insert_fill(conn, fill)

    @staticmethod
    async def _insert_fill(conn: asyncpg.Connection, fill: Fill) -> bool:
        """INSERT the fill unless its fill_id exists and add its contracts to its order's
        filled_contracts (call inside a transaction); True if inserted."""
        inserted = await conn.fetchval(
            """INSERT INTO fills (fill_id, client_order_id, market_id, venue, side, price, contracts, fee,
                   filled_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
               ON CONFLICT (fill_id) DO NOTHING RETURNING fill_id""",
            fill.fill_id,
            fill.client_order_id,
            fill.market_id,
            fill.venue.value,
            fill.side.value,
            fill.price,
            fill.contracts,
            fill.fee,
            fill.filled_at,
        )
        if inserted is None:
            return False
        await conn.execute(
            """UPDATE orders SET filled_contracts = filled_contracts + $2, updated_at = now()
               WHERE client_order_id = $1""",
            fill.client_order_id,
            fill.contracts,
        )
        return True

    async def book_fill(self, fill: Fill, position: Position) -> bool:
        """Store `fill`, its fee in the bankroll ledger (ref "fill:<fill_id>") and the `position`
        it leaves, in ONE transaction: a crash cannot leave a stored fill that the books miss.
        Returns False (nothing changes) if the fill was stored before. StoreConstraintError for
        an unknown order or out-of-range values; StoreUnavailable if PostgreSQL is down.
        """
        async with self._db.transaction() as conn:
            if not await self._insert_fill(conn, fill):
                return False
            entry = await conn.fetchval(
                """INSERT INTO bankroll_ledger (ref, realized_delta, fee_delta) VALUES ($1, 0, $2)
                   ON CONFLICT (ref) DO NOTHING RETURNING entry_id""",
                f"fill:{fill.fill_id}",
                fill.fee,
            )
            if entry is not None:
                updated = await conn.execute(
                    """UPDATE bankroll SET fees = fees + $1, version = version + 1, updated_at = now()
                       WHERE id = 1""",
                    fill.fee,
                )
                if updated.endswith(" 0"):
                    raise NotFoundError("bankroll not initialised")  # rolls the fill back too
            await self._upsert_position(conn, position)
        return True

    async def book_settlement(self, positions: Sequence[Position], verdict: SettlementVerdict | None = None) -> bool:
        """Store the settlement of one market's closed `positions` in ONE transaction: per side a
        ledger line "settle:<market_id>:<side>" adding the position's realized P&L (dollars; only
        settlement realizes P&L, so it is the settlement amount) and the position row, and with
        `verdict` the venue's result beside the feed's expectation (`record_settlement_result`). A
        crash cannot leave a ledger line without its closed position, one side without the other,
        or a settled market whose mismatch with the feed goes uncounted.
        Returns False (no ledger change) when the market's settlement was stored before.
        Raises NotFoundError if the bankroll was never initialised; StoreConstraintError for an
        unknown result; StoreUnavailable if down.
        """
        async with self._db.transaction() as conn:
            if verdict is not None:
                await conn.execute(RECORD_RESULT, *verdict)
            applied = False
            for position in positions:
                entry = await conn.fetchval(
                    """INSERT INTO bankroll_ledger (ref, realized_delta, fee_delta) VALUES ($1, $2, 0)
                       ON CONFLICT (ref) DO NOTHING RETURNING entry_id""",
                    f"settle:{position.market_id}:{position.side.value}",
                    position.realized_pnl,
                )
                if entry is None:
                    continue
                applied = True
                updated = await conn.execute(
                    """UPDATE bankroll SET realized_pnl = realized_pnl + $1, version = version + 1,
                           updated_at = now() WHERE id = 1""",
                    position.realized_pnl,
                )
                if updated.endswith(" 0"):
                    raise NotFoundError("bankroll not initialised")  # rolls everything back
                await self._upsert_position(conn, position)
        return applied

    async def settled_markets_since(self, since: datetime) -> dict[str, datetime]:
        """market_id → when its first settlement ledger line ("settle:<market_id>:<side>", written by
        book_settlement) was stored, for markets settled at or after `since` (UTC). The same clock
        and window as ledger_net_since, so after a restart the daily loss limit knows which markets
        settled today. Other refs are ignored. Raises StoreUnavailable if the server is down."""
        async with self._db.acquire() as conn:
            rows = await conn.fetch(
                r"""SELECT substring(ref FROM '^settle:(.+):(?:yes|no)$') AS market_id, min(created_at) AS at
                    FROM bankroll_ledger WHERE created_at >= $1 AND ref ~ '^settle:.+:(yes|no)$'
                    GROUP BY 1""",
                since,
            )
        return {r["market_id"]: r["at"] for r in rows}

    async def load_fills(self, client_order_id: str | None = None) -> list[Fill]:
        """Fills in the order they happened, optionally for one order."""
        async with self._db.acquire() as conn:
            rows = await conn.fetch(
                """SELECT * FROM fills WHERE $1::text IS NULL OR client_order_id = $1
                   ORDER BY filled_at, fill_id""",
                client_order_id,
            )
        return [fill_from_row(r) for r in rows]

    async def upsert_position(self, position: Position) -> None:
        """Insert or replace the position for (market_id, side)."""
        async with self._db.acquire() as conn:
            await self._upsert_position(conn, position)

    @staticmethod
    async def _upsert_position(conn: asyncpg.Connection, position: Position) -> None:
        await conn.execute(
            """INSERT INTO positions (market_id, side, venue, game_id, contracts, cost, realized_pnl, fees,
                   settled, mark, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10, now())
               ON CONFLICT (market_id, side) DO UPDATE SET venue=EXCLUDED.venue, game_id=EXCLUDED.game_id,
                   contracts=EXCLUDED.contracts, cost=EXCLUDED.cost, realized_pnl=EXCLUDED.realized_pnl,
                   fees=EXCLUDED.fees, settled=EXCLUDED.settled, mark=EXCLUDED.mark, updated_at=now()""",
            position.market_id,
            position.side.value,
            position.venue.value,
            position.game_id,
            position.contracts,
            position.cost,
            position.realized_pnl,
            position.fees,
            position.settled,
            position.mark,
        )

    async def load_positions(self, *, include_settled: bool = True) -> list[Position]:
        """Stored positions ordered by (market_id, side); settled ones only if `include_settled`."""
        async with self._db.acquire() as conn:
            rows = await conn.fetch(
                "SELECT * FROM positions WHERE $1 OR NOT settled ORDER BY market_id, side", include_settled
            )
        return [position_from_row(r) for r in rows]
