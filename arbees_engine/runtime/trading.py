"""The decision half of the engine: price → strategy → risk → manual queue or executor.

Hot path (synchronous, no I/O): `evaluate_market` / `evaluate_game` find signals and decide
them at once with the risk gate. Approved signals and settlements go through one ordered queue
drained by `run_executor`, so portfolio changes never interleave (see executor.py).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import structlog

from ..bus.messages import BankrollView
from ..execution import PaperBroker, client_order_ids, signal_ids
from ..model import (Decision, GameState, GameStatus, Market, Mode, OrderBook, Side, Signal, SignalKind, Sport,
                     paying_results)
from ..model.money import ZERO, round_cent
from ..portfolio import Portfolio
from ..pricing import BlendResult, PricingError, blend_detail, model_for, p_outcome
from ..risk import RiskContext, RiskGate, RiskVerdict
from ..risk.context import Commitment, commitments
from ..store.batch import signal_job
from ..strategy import find_arb, find_edge
from .operator_commands import CommandHandler
from .executor import Executor
from .settlement import Settlement
from .views import order_view, position_view, signal_view

if TYPE_CHECKING:
    from .engine import Engine

log = structlog.get_logger(__name__)

RECENT_SIGNALS = 300
SIGNAL_INTERVAL_S = 5.0  # sim/real seconds between signals on one market: one idea, not a flood


class TradingDesk:
    """Owns portfolio, risk gate, paper broker, signals and the execution queue of one engine."""

    def __init__(self, engine: "Engine", on_fill: Callable[..., None] | None = None) -> None:
        self.engine = engine
        settings = engine.settings
        start_ms = int(engine.started_at.timestamp() * 1000)
        self.portfolio = Portfolio(settings.starting_bankroll)
        self.gate = RiskGate(settings.limits)
        self.send_gate = RiskGate(settings.limits)  # the re-check just before a send, counted apart
        self.broker = PaperBroker(engine.registry.markets)
        self.new_signal_id = signal_ids(settings.instance, start_ms=start_ms)
        self.new_order_id = client_order_ids(settings.instance, start_ms=start_ms)
        self.signals: OrderedDict[str, Signal] = OrderedDict()
        self.pending: dict[str, Signal] = {}
        self.reserved: dict[str, Signal] = {}  # approved, queued for the executor, not yet run
        self.decisions: Counter[str] = Counter()
        self.last_trade_at: dict[str, datetime] = {}
        self.last_signal_at: dict[str, datetime] = {}
        self.queue: asyncio.Queue[Callable[[], Awaitable[None]]] = asyncio.Queue()
        self.stopping = False  # set by drain(): store writes are tried once more, not retried
        self._shown_marks: dict[tuple[str, Side], Decimal | None] = {}  # open positions' last published marks
        self.settlement = Settlement(self)
        self.executor = Executor(self, on_fill)
        self.commands = CommandHandler(self)
        self.handle_command = self.commands.handle
        self.engage_kill = self.commands.engage_kill

    # -- pricing -----------------------------------------------------------------------------
    def price_game(self, state: GameState) -> float | None:
        """Model P(home wins) for a live/scheduled game (0..1), or None (counted) if unpriceable."""
        if state.status not in (GameStatus.LIVE, GameStatus.SCHEDULED):
            self.engine.registry.model_p_home.pop(state.game_id, None)
            return None
        started = time.perf_counter_ns()
        try:
            p = model_for(state.sport).p_home(state)
        except (PricingError, KeyError, ValueError) as exc:
            self.engine.reject("pricing", "unpriceable_state", f"{state.game_id}: {exc}")
            self.engine.registry.model_p_home.pop(state.game_id, None)  # never show a stale price
            return None
        self.engine.latency.record("pricing", started)
        self.engine.registry.model_p_home[state.game_id] = p
        return p

    def _market_probability(self, state: GameState, market: Market, book: OrderBook,
                            count: bool = True) -> tuple[BlendResult, float] | None:
        """(model P(YES pays) shrunk toward the market mid with its inputs, mid) or None (an
        unpriceable state is counted when `count`: once per observation, not per re-check)."""
        try:
            model_p = p_outcome(state, market.outcome)
        except (PricingError, KeyError, ValueError) as exc:
            if count:
                self.engine.reject("pricing", "unpriceable_state", f"{state.game_id}: {exc}")
            return None
        mid = float(book.mid) if book.mid is not None else None
        if mid is None:  # one-sided book: no market view to record or shrink toward
            return None
        return blend_detail(model_p, mid, self.engine.settings.strategy.market_weight, state), mid

    # -- strategy ----------------------------------------------------------------------------
    def evaluate_game(self, game_id: str, started_ns: int) -> None:
        """Re-evaluate every market of a game after its state changed."""
        for market in self.engine.registry.markets_of(game_id):
            self.evaluate_market(market, started_ns)

    def evaluate_market(self, market: Market, started_ns: int) -> None:
        """Look for an edge on `market` and arbitrage against its equivalents; decide each signal."""
        reg, now = self.engine.registry, self.engine.clock()
        state, book = reg.games.get(market.game_id), reg.books.get(market.market_id)
        if state is None or book is None or book.stale or state.status is not GameStatus.LIVE:
            return
        stage = time.perf_counter_ns()
        available = self._available()
        strategy = self.engine.settings.strategy
        found: list[Signal] = []
        if self._may_signal(market.market_id, now):
            signal = self._edge(market, state, book, available, now, self.new_signal_id)
            if signal is not None:
                found.append(signal)
        for other in reg.arb_pairs(market):
            key = "|".join(sorted((market.market_id, other.market_id)))
            if not self._may_signal(key, now) or not self.engine.equivalent(market, other):
                continue
            arb = find_arb(market.game_id, market, book, other, reg.books[other.market_id], strategy, available, now, self.new_signal_id)
            if arb is not None:
                found.append(arb)
        self.engine.latency.record("strategy", stage)
        for signal in found:
            self.last_signal_at[signal.legs[0].market_id if signal.kind is SignalKind.EDGE else
                                "|".join(sorted(leg.market_id for leg in signal.legs))] = now
            self.decide(signal, started_ns)

    def _commitments(self) -> tuple[Commitment, ...]:
        """Approved-but-unrun legs and live orders whose outcome is unknown, at their worst case,
        exactly as the risk gate counts them (risk.context.commitments)."""
        return commitments(self.reserved.values(), self.executor.unresolved.values(), self.engine.registry.markets)

    def _available(self) -> Decimal:
        """Dollars Kelly may size against: available cash less what is committed (`_commitments`)."""
        return self.portfolio.bankroll.available - sum((c.cost for c in self._commitments()), ZERO)

    def _edge(self, market: Market, state: GameState, book: OrderBook, available: Decimal, now: datetime,
              ids: Callable[[], str], count: bool = True) -> Signal | None:
        """The EDGE signal the model and `book` give on `market` now (find_edge, Kelly-sized against
        `available` dollars less what is already staked on the same result), or None."""
        probs = self._market_probability(state, market, book, count)
        if probs is None:
            return None
        blended, mid = probs
        return find_edge(market.game_id, market, book, blended.p, mid, self.engine.settings.strategy, available,
                         now, ids, raw_p_yes=blended.model_p, market_weight=blended.weight,
                         staked=self._staked(market))

    def revalidate(self, signal: Signal) -> tuple[Decision, str] | None:
        """Why a pending signal may no longer be approved, as (decision, reason), or None if it may.

        Expired (now ≥ expires_at, also between housekeeping sweeps) → EXPIRED. An EDGE signal is
        priced again on the game's current state and book: REJECTED "edge_gone" when the model no
        longer gives an edge on its side (the score changed while it waited). When Kelly now sizes
        it smaller (another signal on the same result was approved meanwhile, or the bankroll
        moved) its size is cut to that before approval (`_resize`), never raised. An ARB is priced
        on books alone: the risk gate's price re-check covers it.
        """
        now = self.engine.clock()
        if signal.expires_at is not None and now >= signal.expires_at:
            return Decision.EXPIRED, "expired before approval"
        if signal.kind is not SignalKind.EDGE:
            return None
        leg, reg = signal.legs[0], self.engine.registry
        market, state, book = reg.markets.get(leg.market_id), reg.games.get(signal.game_id), reg.books.get(leg.market_id)
        if market is None or state is None or book is None or book.stale or state.status is not GameStatus.LIVE:
            return Decision.REJECTED, "edge_gone: the game or its book is no longer live"
        fresh = self._edge(market, state, book, self._available(), now, lambda: signal.signal_id, count=False)
        if fresh is None or fresh.legs[0].side is not leg.side:
            return Decision.REJECTED, ("edge_gone: the game's current state, book and what is already staked "
                                       "on this result give no edge on this side")
        if fresh.legs[0].contracts < leg.contracts:
            self._resize(signal, fresh.legs[0].contracts)
        return None

    def _resize(self, signal: Signal, contracts: int) -> None:
        """Cut a pending EDGE signal to `contracts` at its limit price (audited; the approval that
        follows publishes and stores the new size and version)."""
        leg = signal.legs[0]
        signal.legs = (replace(leg, contracts=contracts),)
        self.engine.audit("engine", "signal_resized", signal.signal_id,
                          f"{leg.contracts} → {contracts} contracts: Kelly sizes it smaller now")

    def _staked(self, market: Market) -> dict[Side, Decimal]:
        """Dollars already at risk per side of `market`: the cost of open positions, of approved,
        unrun legs and of live orders whose outcome is unknown, in its game, that pay on exactly
        the same results (`paying_results`: the same outcome on the other venue; in a two-way sport
        also the other team's market on the other side), so Kelly sizes one bet on an outcome
        however many venues list it."""
        reg = self.engine.registry
        game = reg.games.get(market.game_id)
        sport = game.sport if game is not None else None

        def pays(market_id: str, side: Side) -> frozenset | None:
            other = reg.markets.get(market_id)
            return paying_results(other.outcome, side, sport) if other is not None else None

        held = [(p.market_id, p.side, p.cost) for p in self.portfolio.positions()
                if p.game_id == market.game_id and not p.settled]
        held += [(c.market_id, c.side, c.cost) for c in self._commitments() if c.game_id == market.game_id]
        out: dict[Side, Decimal] = {}
        for side in (Side.YES, Side.NO):
            target = paying_results(market.outcome, side, sport)
            out[side] = sum((cost for market_id, leg_side, cost in held if pays(market_id, leg_side) == target), ZERO)
        return out

    def _may_signal(self, key: str, now: datetime) -> bool:
        last = self.last_signal_at.get(key)
        return last is None or (now - last).total_seconds() >= SIGNAL_INTERVAL_S

    # -- risk and decisions ------------------------------------------------------------------
    def risk_context(self) -> RiskContext:
        """The engine's current state as the risk gate sees it; approved-but-unrun signals and live
        orders whose outcome is unknown count against the limits at their worst case."""
        eng, reg = self.engine, self.engine.registry
        return RiskContext(
            mode=eng.control.effective_mode, kill_engaged=eng.control.kill_engaged, now=eng.clock(),
            portfolio=self.portfolio, markets=reg.markets,
            game_sports={g: s.sport for g, s in reg.games.items()}, books=reg.books,
            game_observed_at=reg.game_seen_at, last_trade_at=self.last_trade_at,
            store_ok=eng.store_ok, bus_ok=eng.bus_ok, reserved=tuple(self.reserved.values()),
            unresolved_orders=tuple(self.executor.unresolved.values()),
        )

    def check(self, signal: Signal) -> RiskVerdict:
        """Run the risk gate on `signal` now."""
        started = time.perf_counter_ns()
        verdict = self.gate.check(signal, self.risk_context())
        self.engine.latency.record("risk", started)
        return verdict

    def decide(self, signal: Signal, started_ns: int) -> None:
        """Risk-check a fresh signal: reject it, queue it for the operator, or approve it."""
        verdict = self.check(signal)
        self.engine.latency.record("tick_to_decision", started_ns)
        now = self.engine.clock()
        if not verdict.ok:
            self.record(signal, Decision.REJECTED, verdict.reason)
        elif self.engine.control.effective_mode is Mode.MANUAL:
            signal.expires_at = now + timedelta(seconds=self.engine.settings.strategy.manual_expiry_s)
            self.pending[signal.signal_id] = signal
            self.record(signal, Decision.PENDING, "awaiting operator")
        else:
            self.approve(signal, "auto")

    def approve(self, signal: Signal, reason: str) -> None:
        """Mark approved and queue for execution; the game's cooldown starts now (reservation)."""
        self.pending.pop(signal.signal_id, None)
        self.last_trade_at[signal.game_id] = self.engine.clock()
        self.record(signal, Decision.APPROVED, reason)
        self.reserved[signal.signal_id] = signal  # counts against the limits until it has run
        self.queue.put_nowait(lambda s=signal: self._execute_reserved(s))

    async def _execute_reserved(self, signal: Signal) -> None:
        try:
            await self.executor.execute(signal, recheck=self.recheck_before_send)
        finally:
            self.reserved.pop(signal.signal_id, None)

    def recheck_before_send(self, signal: Signal) -> tuple[Decision, str] | None:
        """Why an approved signal may no longer be sent, as (decision, reason), checked just before
        its first order intent (it may have waited behind a stalled execution), or None if it may.

        EXPIRED once past its expires_at (strategy.manual_expiry_s after it was found, auto or not);
        else `revalidate` (an EDGE's edge on the game's state and book now; may cut its size);
        else REJECTED "risk_recheck: <every failing check>" when the risk gate fails now (`send_gate`, counted
        apart from the decision gate; the game's cooldown, started by this very approval, is not
        re-run). Its own reservation is set aside meanwhile so it is not counted against itself.
        Each refusal is counted as engine.reject("execution", "send_recheck_<code>")."""
        refusal = self._send_refusal(signal)
        if refusal is None:
            return None
        decision, code, reason = refusal
        self.engine.reject("execution", f"send_recheck_{code}", f"{signal.signal_id}: {reason}")
        return decision, reason

    def _send_refusal(self, signal: Signal) -> tuple[Decision, str, str] | None:
        """(decision, code, reason) for `recheck_before_send`, or None."""
        now = self.engine.clock()
        if signal.expires_at is not None and now >= signal.expires_at:
            return Decision.EXPIRED, "expired", (f"expired: not sent by its expiry {signal.expires_at.isoformat()} "
                                                 f"(waited in the execution queue)")
        own = self.reserved.pop(signal.signal_id, None)
        try:
            stale = self.revalidate(signal)
            if stale is not None:
                return stale[0], stale[1].split(" ")[0].rstrip(":"), stale[1]
            ctx = self.risk_context()
            ctx.last_trade_at = {g: t for g, t in ctx.last_trade_at.items() if g != signal.game_id}
            verdict = self.send_gate.check(signal, ctx)
            return None if verdict.ok else (Decision.REJECTED, verdict.reason,
                                            f"risk_recheck: {', '.join(verdict.reasons)}")
        finally:
            if own is not None:
                self.reserved[signal.signal_id] = own

    def record(self, signal: Signal, decision: Decision, reason: str) -> None:
        """Move `signal` to `decision`: count it, keep it in the recent window, publish and store it."""
        first = signal.signal_id not in self.signals
        if not first:
            self.decisions[signal.decision.value] -= 1
            signal.version += 1
        signal.decision, signal.reason = decision, reason
        self.decisions[decision.value] += 1
        self.signals[signal.signal_id] = signal
        self.signals.move_to_end(signal.signal_id)
        self.engine._publish(signal_view(signal))
        if self.engine.store is not None:
            self.engine.writer.write(signal_job(signal))
        while len(self.signals) > RECENT_SIGNALS:
            old_id, old = next(iter(self.signals.items()))
            if old_id in self.pending:
                self.signals.move_to_end(old_id)
                break
            del self.signals[old_id]
            if self.engine.publisher is not None:
                self.engine.publisher.remove("signal", old_id)

    def expire_pending(self) -> None:
        """Expire manual signals past their deadline (never executed)."""
        now = self.engine.clock()
        for signal in [s for s in self.pending.values() if s.expires_at and s.expires_at <= now]:
            del self.pending[signal.signal_id]
            self.record(signal, Decision.EXPIRED, "no operator decision before expiry")
            self.engine.audit("engine", "signal_expired", signal.signal_id, "")

    # -- marks, settlement, lifecycle --------------------------------------------------------
    def mark(self, market_id: str, book: OrderBook) -> None:
        """Mark open positions in `market_id` at the book's mid."""
        mid = book.mid
        if mid is not None and (self.portfolio.position(market_id, Side.YES) or self.portfolio.position(market_id, Side.NO)):
            self.portfolio.mark(market_id, mid)

    def remarked_position_views(self) -> list:
        """PositionViews of open positions whose mark (dollars) moved since they were last shown.
        Marks follow every book update, which is too often to publish; the status loop calls this
        once a second so the desk's positions show the mark and unrealized P&L the header sums."""
        shown, open_positions = self._shown_marks, self.portfolio.positions()
        self._shown_marks = {(p.market_id, p.side): p.mark for p in open_positions}  # bounded by what is held
        return [position_view(p) for p in open_positions
                if (p.market_id, p.side) not in shown or shown[(p.market_id, p.side)] != p.mark]

    def close_game(self, state: GameState) -> None:
        """Queue settlement (FINAL) or voiding (POSTPONED/CANCELED) of the game's markets."""
        for signal in [s for s in self.pending.values() if s.game_id == state.game_id]:
            del self.pending[signal.signal_id]
            self.record(signal, Decision.EXPIRED, f"game {state.status.value}")
        settle_on = self._regulation_result(state)
        if settle_on is not None:
            self.queue.put_nowait(lambda st=settle_on: self.settlement.settle_game(st))

    def _regulation_result(self, state: GameState) -> GameState | None:
        """The state markets settle on. Soccer markets settle on 90 minutes plus added time, but a
        cup tie's final score includes extra time (ESPN period > 2): use the last regulation score
        seen; without one, hold the settlement (counted, audited) for the operator."""
        if state.status is not GameStatus.FINAL or state.sport is not Sport.SOCCER or state.period <= 2:
            return state
        score = self.engine.registry.regulation_scores.get(state.game_id)
        if score is None:
            self.engine.reject("settlement", "extra_time_regulation_score_unknown", state.game_id)
            self.engine.audit("engine", "settlement_held", state.game_id,
                              "went to extra time and the 90-minute score was never seen: settle by hand")
            return None
        return state.evolve(home_score=score[0], away_score=score[1])

    async def run_executor(self) -> None:
        """Run queued executions and settlements in order until cancelled."""
        while True:
            job = await self.queue.get()
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - one failed job must not stop trading bookkeeping
                log.exception("executor.job_failed")
            finally:
                self.queue.task_done()

    async def drain(self) -> None:
        """Finish queued jobs (shutdown). From now on a write the store refuses is not retried:
        what it leaves open is reconciled at the next start (runtime/recovery.py)."""
        self.stopping = True
        while not self.queue.empty():
            job = self.queue.get_nowait()
            try:
                await job()
            except Exception:  # noqa: BLE001
                log.exception("executor.job_failed")

    async def restore(self) -> None:
        """Rebuild the portfolio, then settlement's kept state (mismatch count, today's settlement
        times for the daily loss limit), from the store after a restart. Raises StoreError when
        the store cannot answer."""
        await self.executor.restore()
        await self.settlement.restore()

    # -- views and summary -------------------------------------------------------------------
    def bankroll_view(self) -> BankrollView:
        """Bankroll in dollars (equity, available, P&L, fees, exposure)."""
        bank = self.portfolio.bankroll
        positions = self.portfolio.positions()
        unrealized = sum((p.unrealized_pnl for p in positions), ZERO)
        return BankrollView(
            starting=bank.starting, equity=bank.equity, available=bank.available, realized_pnl=bank.realized_pnl,
            unrealized_pnl=round_cent(unrealized), fees=bank.fees, open_exposure=bank.open_cost,
            day_realized_pnl=self.portfolio.day_realized(self.engine.clock()), updated_at=self.engine.clock(),
        )

    def entity_views(self) -> list:
        """Signals, orders and positions for a snapshot rewrite."""
        views: list = [signal_view(s) for s in self.signals.values()]
        views += [order_view(o) for o in self.executor.recent_orders.values()]
        views += [position_view(p) for p in self.portfolio.positions(include_closed=True)]
        return views

    def counts(self) -> dict[str, int]:
        """Counters for EngineStatus."""
        return {"signals": sum(self.decisions.values()), "pending": len(self.pending),
                "orders": self.executor.orders, "fills": self.executor.fills,
                "duplicate_fills": self.executor.duplicate_fills, "risk_passed": self.gate.passed}

    def summary(self) -> dict:
        """Run summary: games, signals by decision, orders, fills, fees, P&L and bankroll (dollars)."""
        reg, bank = self.engine.registry, self.portfolio.bankroll
        statuses = Counter(s.status.value for s in reg.games.values())
        try:
            self.portfolio.check_identity()
            identity = True
        except AssertionError:
            identity = False
        return {
            "games_seen": len(reg.games), "games_live": statuses.get("live", 0), "games_final": statuses.get("final", 0),
            "markets": len(reg.markets), "signals_by_decision": {k: v for k, v in self.decisions.items() if v},
            "orders": self.executor.orders, "fills": self.executor.fills,
            "contracts_filled": self.executor.contracts_filled, "fees": str(bank.fees),
            "realized_pnl": str(bank.realized_pnl), "unrealized_pnl": str(self.bankroll_view().unrealized_pnl),
            "starting_bankroll": str(bank.starting), "bankroll": str(bank.equity), "identity_ok": identity,
            "rejections": dict(self.gate.rejections),
        }

