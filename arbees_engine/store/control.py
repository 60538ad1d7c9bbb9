"""Store methods for the bankroll, audit log, operator commands and engine state (a repository of `Store`).

Bankroll changes go through a ledger: each delta carries a caller-chosen `ref` (e.g.
"fill:<fill_id>", "settle:<market_id>:<side>") that is UNIQUE in `bankroll_ledger`. The ledger
insert and the in-place increment (`SET realized_pnl = realized_pnl + $1`) share one transaction,
so a delta is applied at most once and concurrent deltas serialise on the row lock instead of
overwriting each other (no read-modify-write in Python).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ..model import Mode
from .db import Repository
from .errors import NotFoundError
from .rows import BankrollRow, bankroll_from_row


class ControlRepository(Repository):
    """Bankroll, audit, commands, engine state. Runs on the `Database` it is handed."""

    # -- bankroll -----------------------------------------------------------------------------
    async def init_bankroll(self, starting: Decimal) -> BankrollRow:
        """Create the bankroll with `starting` dollars unless it exists; return the stored row.

        An existing bankroll is left untouched (its `starting` wins).
        """
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO bankroll (id, starting) VALUES (1, $1) ON CONFLICT (id) DO NOTHING", starting
            )
            row = await conn.fetchrow("SELECT * FROM bankroll WHERE id = 1")
        return bankroll_from_row(row)

    async def load_bankroll(self) -> BankrollRow | None:
        """The bankroll row, or None before init_bankroll."""
        async with self._db.acquire() as conn:
            row = await conn.fetchrow("SELECT * FROM bankroll WHERE id = 1")
        return bankroll_from_row(row) if row else None

    async def ledger_net_since(self, since: datetime) -> Decimal:
        """Σ (realized_delta − fee_delta) of ledger entries written at or after `since`, dollars
        (the day's P&L after a restart, for the daily loss limit)."""
        async with self._db.acquire() as conn:
            value = await conn.fetchval(
                "SELECT coalesce(sum(realized_delta - fee_delta), 0) FROM bankroll_ledger WHERE created_at >= $1", since
            )
        return Decimal(value)

    async def ledger_fees_since(self, since: datetime) -> Decimal:
        """Σ fee_delta of ledger entries written at or after `since`, dollars (the day's fees after
        a restart, for the desk's "fees today")."""
        async with self._db.acquire() as conn:
            value = await conn.fetchval(
                "SELECT coalesce(sum(fee_delta), 0) FROM bankroll_ledger WHERE created_at >= $1", since
            )
        return Decimal(value)

    async def apply_bankroll_delta(self, ref: str, realized_delta: Decimal, fee_delta: Decimal) -> BankrollRow:
        """Add `realized_delta` to realized P&L and `fee_delta` to fees (dollars), once per `ref`.

        Returns the bankroll after the call; `.applied` is False when `ref` was applied before
        (nothing changed). Raises NotFoundError if init_bankroll was never called.
        """
        async with self._db.transaction() as conn:
            entry = await conn.fetchval(
                """INSERT INTO bankroll_ledger (ref, realized_delta, fee_delta) VALUES ($1, $2, $3)
                   ON CONFLICT (ref) DO NOTHING RETURNING entry_id""",
                ref,
                realized_delta,
                fee_delta,
            )
            if entry is None:
                row = await conn.fetchrow("SELECT * FROM bankroll WHERE id = 1")
                if row is None:
                    raise NotFoundError("bankroll not initialised")
                return bankroll_from_row(row, applied=False)
            row = await conn.fetchrow(
                """UPDATE bankroll SET realized_pnl = realized_pnl + $1, fees = fees + $2,
                       version = version + 1, updated_at = now()
                   WHERE id = 1 RETURNING *""",
                realized_delta,
                fee_delta,
            )
            if row is None:  # raising rolls the ledger insert back with the transaction
                raise NotFoundError("bankroll not initialised")
        return bankroll_from_row(row)

    # -- audit --------------------------------------------------------------------------------
    async def audit(self, actor: str, action: str, entity: str, detail: dict[str, Any] | None = None) -> int:
        """Append an audit row for an operator or engine action; returns its id."""
        async with self._db.acquire() as conn:
            return await conn.fetchval(
                "INSERT INTO audit_log (actor, action, entity, detail) VALUES ($1, $2, $3, $4) RETURNING id",
                actor,
                action,
                entity,
                detail or {},
            )

    async def recent_audit(self, limit: int = 100, *, entity_prefix: str | None = None) -> list[dict[str, Any]]:
        """Newest audit rows first as dicts {id, ts, actor, action, entity, detail}."""
        async with self._db.acquire() as conn:
            rows = await conn.fetch(
                """SELECT id, ts, actor, action, entity, detail FROM audit_log
                   WHERE $1::text IS NULL OR starts_with(entity, $1) ORDER BY id DESC LIMIT $2""",
                entity_prefix,
                limit,
            )
        return [dict(r) for r in rows]

    # -- operator commands ----------------------------------------------------------------------
    async def record_command(
        self, command_id: str, operator: str, action: str, payload: dict[str, Any], issued_at: datetime
    ) -> dict[str, Any] | None:
        """Remember a command before executing it. Returns None if it is new (execute it).

        For a command id seen before, returns its stored ack dict (answer again, do not execute),
        or {"command_id": id, "outcome": "in_progress"} if it was recorded but not yet acknowledged.
        """
        async with self._db.acquire() as conn:
            inserted = await conn.fetchval(
                """INSERT INTO commands (command_id, operator, action, payload, issued_at)
                   VALUES ($1, $2, $3, $4, $5) ON CONFLICT (command_id) DO NOTHING RETURNING command_id""",
                command_id,
                operator,
                action,
                payload,
                issued_at,
            )
            if inserted is not None:
                return None
            ack = await conn.fetchval("SELECT ack FROM commands WHERE command_id = $1", command_id)
        return ack if ack is not None else {"command_id": command_id, "outcome": "in_progress"}

    async def ack_command(self, command_id: str, ack: dict[str, Any]) -> None:
        """Store the acknowledgement sent for a command. Raises NotFoundError for an unknown id."""
        async with self._db.acquire() as conn:
            status = await conn.execute(
                "UPDATE commands SET ack = $2, acked_at = now() WHERE command_id = $1", command_id, ack
            )
        if status.endswith(" 0"):
            raise NotFoundError(f"command {command_id} not recorded")

    # -- engine state (mode, kill switch) ----------------------------------------------------
    async def load_engine_state(self, instance: str) -> dict[str, Any] | None:
        """{instance, mode: Mode, kill_engaged, kill_reason, kill_operator, kill_at, updated_at} or None."""
        async with self._db.acquire() as conn:
            row = await conn.fetchrow("SELECT * FROM engine_state WHERE instance = $1", instance)
        if row is None:
            return None
        state = dict(row)
        state["mode"] = Mode(state["mode"])
        return state

    async def save_engine_state(
        self, instance: str, mode: Mode | str, kill_engaged: bool, kill_reason: str = "", kill_operator: str = ""
    ) -> None:
        """Persist mode and kill switch; kill_at is set when the switch becomes engaged, kept while it
        stays engaged, cleared on resume. The audit row names `kill_operator` (else "engine")."""
        async with self._db.transaction(actor=kill_operator or "engine") as conn:
            await conn.execute(
                """INSERT INTO engine_state (instance, mode, kill_engaged, kill_reason, kill_operator, kill_at)
                   VALUES ($1, $2, $3, $4, $5, CASE WHEN $3 THEN now() END)
                   ON CONFLICT (instance) DO UPDATE SET mode = EXCLUDED.mode,
                       kill_engaged = EXCLUDED.kill_engaged, kill_reason = EXCLUDED.kill_reason,
                       kill_operator = EXCLUDED.kill_operator,
                       kill_at = CASE WHEN NOT EXCLUDED.kill_engaged THEN NULL
                                      WHEN engine_state.kill_engaged THEN engine_state.kill_at
                                      ELSE now() END,
                       updated_at = now()""",
                instance,
                Mode(mode).value,
                kill_engaged,
                kill_reason,
                kill_operator,
            )
