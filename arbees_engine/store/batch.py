"""Typed write records for the background store writer, and the batched statements that store them.

A `WriteJob` is one row the hot path hands to `node.writer.StoreWriter`: its `kind` picks the
SQL in `WRITE_SQL`, `row` holds the statement's parameters, and `key` (when set) names the entity
it supersedes: a newer job with the same (kind, key) replaces a queued one's row (latest upsert wins).
`BatchMixin.write_batch` stores many jobs in one transaction with asyncpg's `executemany` (one
round trip per kind, https://magicstack.github.io/asyncpg/current/api/index.html#asyncpg.connection.Connection.executemany).
A batch commits whole or not at all, so one retried after an outage doubles nothing. The statements
are idempotent too (games/markets/signals/acks upsert, quotes ignore a repeated (market_id, ts)),
except the audit insert: only a connection lost after COMMIT reached the server could double a batch's audit rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..model import GameState, Market, Signal
from .db import Repository
from .rows import signal_row

GAME_SQL = """INSERT INTO games (game_id, sport, league, home, home_name, away, away_name, status,
        home_score, away_score, period, clock_s, start_time, model_p_home, pregame_home_prob, prior_source, updated_at)
    VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16, now())
    ON CONFLICT (game_id) DO UPDATE SET sport=EXCLUDED.sport, league=EXCLUDED.league,
        home=EXCLUDED.home, home_name=EXCLUDED.home_name, away=EXCLUDED.away,
        away_name=EXCLUDED.away_name, status=EXCLUDED.status, home_score=EXCLUDED.home_score,
        away_score=EXCLUDED.away_score, period=EXCLUDED.period, clock_s=EXCLUDED.clock_s,
        start_time=EXCLUDED.start_time, model_p_home=EXCLUDED.model_p_home,
        pregame_home_prob=EXCLUDED.pregame_home_prob, prior_source=EXCLUDED.prior_source, updated_at=now()"""

MARKET_SQL = """INSERT INTO markets (market_id, venue, venue_market_id, game_id, outcome, yes_team, title, tick,
        fee_kind, taker_rate, maker_rate, fee_exponent, simulated, no_token_id, contract_step, updated_at)
    VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15, now())
    ON CONFLICT (market_id) DO UPDATE SET venue=EXCLUDED.venue,
        venue_market_id=EXCLUDED.venue_market_id, game_id=EXCLUDED.game_id,
        outcome=EXCLUDED.outcome, yes_team=EXCLUDED.yes_team, title=EXCLUDED.title,
        tick=EXCLUDED.tick, fee_kind=EXCLUDED.fee_kind, taker_rate=EXCLUDED.taker_rate,
        maker_rate=EXCLUDED.maker_rate, fee_exponent=EXCLUDED.fee_exponent,
        simulated=EXCLUDED.simulated, no_token_id=EXCLUDED.no_token_id, contract_step=EXCLUDED.contract_step,
        updated_at=now()"""

QUOTE_SQL = """INSERT INTO quotes (market_id, ts, bid, ask, bid_size, ask_size) VALUES ($1,$2,$3,$4,$5,$6)
    ON CONFLICT (market_id, ts) DO NOTHING"""

# A signal's latest version: inserted with every column, or its decision/reason/version/legs updated
# unless the stored row is newer; decided_at: now() unless the decision is 'pending'.
SIGNAL_SQL = """INSERT INTO signals (signal_id, kind, game_id, legs, model_prob, market_prob, edge, stake_fraction,
        decision, reason, version, created_at, expires_at, raw_model_prob, market_weight, decided_at)
    VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15, CASE WHEN $9 = 'pending' THEN NULL ELSE now() END)
    ON CONFLICT (signal_id) DO UPDATE SET decision=EXCLUDED.decision, reason=EXCLUDED.reason,
        version=EXCLUDED.version, legs=EXCLUDED.legs, decided_at=EXCLUDED.decided_at
    WHERE signals.version <= EXCLUDED.version"""

AUDIT_SQL = "INSERT INTO audit_log (actor, action, entity, detail) VALUES ($1, $2, $3, $4)"

# The acknowledgement of an operator command; inserts the command too if recording it had failed.
ACK_SQL = """INSERT INTO commands (command_id, operator, action, payload, issued_at, ack, acked_at)
    VALUES ($1, $2, $3, $4, $5, $6, now())
    ON CONFLICT (command_id) DO UPDATE SET ack = EXCLUDED.ack, acked_at = now()"""

WRITE_SQL = {
    "game": GAME_SQL,
    "market": MARKET_SQL,
    "quote": QUOTE_SQL,
    "signal": SIGNAL_SQL,
    "audit": AUDIT_SQL,
    "ack": ACK_SQL,
}


@dataclass(slots=True, eq=False)
class WriteJob:
    """One queued store write. `kind` ∈ WRITE_SQL with `row` its parameters, or any name with `call`
    an awaitable factory run on its own (legacy `StoreWriter.submit(name, job)`). `key`: entity id
    for coalescing (None: append-only, never replaced). `queued_ns`: time.perf_counter_ns() at queueing."""

    kind: str
    row: tuple = ()
    key: str | None = None
    call: Callable[[], Awaitable[object]] | None = None
    queued_ns: int = field(default=0)


def game_job(state: GameState, model_p_home: float | None, prior_source: str) -> WriteJob:
    """Upsert of a game's latest state, model P(home wins) 0..1 and prior source; keyed by game_id."""
    row = (
        state.game_id,
        state.sport.value,
        state.league.value,
        state.home.abbr,
        state.home.name,
        state.away.abbr,
        state.away.name,
        state.status.value,
        state.home_score,
        state.away_score,
        state.period,
        float(state.clock_s),
        state.start_time,
        model_p_home,
        state.pregame_home_prob,
        prior_source if state.pregame_home_prob is not None else "",
    )
    return WriteJob("game", row, state.game_id)


def market_job(market: Market) -> WriteJob:
    """Upsert of a market (tick, fee rates and contract_step exact Decimals); keyed by market_id."""
    fees = market.fees
    row = (
        market.market_id,
        market.venue.value,
        market.venue_market_id,
        market.game_id,
        market.outcome.value,
        market.yes_team,
        market.title,
        market.tick,
        fees.kind.value,
        fees.taker_rate,
        fees.maker_rate,
        fees.exponent,
        market.simulated,
        market.no_token_id,
        market.contract_step,
    )
    return WriteJob("market", row, market.market_id)


def quote_job(
    market_id: str,
    ts: datetime,
    bid: Decimal | None,
    ask: Decimal | None,
    bid_size: Decimal | None,
    ask_size: Decimal | None,
) -> WriteJob:
    """One top-of-book sample (prices in dollars 0..1, sizes in contracts); append-only."""
    return WriteJob("quote", (market_id, ts, bid, ask, bid_size, ask_size))


def signal_job(signal: Signal) -> WriteJob:
    """A signal's current version (probabilities 0..1, edge Decimal), snapshotted now (the Signal
    object keeps changing); keyed by signal_id."""
    return WriteJob("signal", signal_row(signal), signal.signal_id)


def audit_job(actor: str, action: str, entity: str, detail: dict[str, Any]) -> WriteJob:
    """One audit_log row (ts = the database's clock at insert; ids follow queue order)."""
    return WriteJob("audit", (actor, action, entity, detail))


def ack_job(
    command_id: str, operator: str, action: str, payload: dict[str, Any], issued_at: datetime, ack: dict[str, Any]
) -> WriteJob:
    """An operator command's acknowledgement (JSON dict), keyed by command_id."""
    return WriteJob("ack", (command_id, operator, action, payload, issued_at, ack), command_id)


class BatchRepository(Repository):
    """Batched writes of WriteJob rows. Runs on the `Database` it is handed; raises
    StoreUnavailable (outage: nothing committed) or StoreConstraintError (a bad row: nothing committed)."""

    async def write_batch(self, groups: Sequence[tuple[str, Sequence[tuple]]]) -> None:
        """Store every (kind, rows) group in one transaction, one executemany per group, in order."""
        async with self._db.transaction() as conn:
            for kind, rows in groups:
                await conn.executemany(WRITE_SQL[kind], rows)
