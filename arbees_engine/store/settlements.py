"""The feed's expected settlement of a market beside the venue's result (migrations/0004): a
repository of `Store`. The desk header's "settled unlike the score" count comes from here."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from .db import Repository


class SettlementVerdict(NamedTuple):
    """The venue's `result` ("yes"/"no"/"void"/"split") of `market_id` (game `game_id`), which the
    feed's final score said resolves `expected` ("yes"/"no"), settled at `settled_at` (UTC)."""

    market_id: str
    game_id: str
    expected: str
    result: str
    settled_at: datetime


# The venue's result beside the feed's expectation (migrations/0004); the first result wins.
RECORD_RESULT = """
    INSERT INTO settlement_expectations (market_id, game_id, expected, venue_result, settled_at)
    VALUES ($1, $2, $3, $4, $5)
    ON CONFLICT (market_id) DO UPDATE SET expected = EXCLUDED.expected, venue_result = EXCLUDED.venue_result,
        settled_at = EXCLUDED.settled_at, updated_at = now()
    WHERE settlement_expectations.venue_result IS NULL"""


class SettlementsRepository(Repository):
    """Settlement expectations and venue results. Runs on the `Database` it is handed."""

    async def save_settlement_expectation(
        self, market_id: str, game_id: str, expected: str, final_at: datetime
    ) -> bool:
        """Keep the feed's `expected` result ("yes"/"no") of a real venue's market whose game the feed
        declared final at `final_at` (UTC), until the venue resolves it. A later call (the feed
        corrected the score) replaces the expectation but keeps the first `final_at`; a market the
        venue already resolved is left unchanged (returns False, else True).
        Raises StoreConstraintError for another `expected`; StoreUnavailable if the server is down."""
        async with self._db.acquire() as conn:
            stored = await conn.fetchval(
                """INSERT INTO settlement_expectations (market_id, game_id, expected, final_at) VALUES ($1,$2,$3,$4)
                   ON CONFLICT (market_id) DO UPDATE SET expected = EXCLUDED.expected, game_id = EXCLUDED.game_id,
                       final_at = coalesce(settlement_expectations.final_at, EXCLUDED.final_at), updated_at = now()
                   WHERE settlement_expectations.venue_result IS NULL
                   RETURNING market_id""",
                market_id,
                game_id,
                expected,
                final_at,
            )
        return stored is not None

    async def load_settlement_expectation(self, market_id: str) -> str | None:
        """The feed's stored expected result ("yes"/"no") of `market_id` while its venue has not
        resolved it, else None. Raises StoreUnavailable if the server is down."""
        async with self._db.acquire() as conn:
            return await conn.fetchval(
                "SELECT expected FROM settlement_expectations WHERE market_id = $1 AND venue_result IS NULL", market_id
            )

    async def record_settlement_result(
        self, market_id: str, game_id: str, expected: str, result: str, settled_at: datetime
    ) -> None:
        """Record the venue's `result` ("yes", "no", "void", "split") of a market the feed expected to
        resolve `expected` (the expectation the engine compared with: it replaces a stored one, which
        a failed save of a corrected score could have left stale), settled at `settled_at` (UTC).
        Writes the row when the expectation itself was never stored (its final_at then stays NULL).
        Recording twice keeps the first result.
        Raises StoreConstraintError for an unknown result or expectation; StoreUnavailable if down."""
        async with self._db.acquire() as conn:
            await conn.execute(RECORD_RESULT, market_id, game_id, expected, result, settled_at)

    async def count_settlement_mismatches(self) -> int:
        """Markets whose venue result differed from the feed's expected result, over the store's
        whole history (the desk header's "settled unlike the score"). Raises StoreUnavailable."""
        async with self._db.acquire() as conn:
            return int(
                await conn.fetchval(
                    "SELECT count(*) FROM settlement_expectations WHERE venue_result IS NOT NULL "
                    "AND venue_result <> expected"
                )
            )
