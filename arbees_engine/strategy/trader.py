"""The trading pipeline: price → strategy → risk → the signal book.

Hot path (synchronous, no I/O): `evaluate_market` / `evaluate_game` find signals and decide
them at once with the risk gate; the signal book (signal_book.py) holds, approves and queues them
for the executor (jobs.py). The Trader is handed its ports (outbox, cache, clock, config) and the
parts it reads, never the engine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal

from ..cache import Registry
from ..control.signal_book import SignalBook
from ..control.state import ControlState
from ..model import (
    Decision,
    GameState,
    GameStatus,
    Market,
    Mode,
    Order,
    OrderBook,
    Side,
    Signal,
    SignalKind,
    paying_results,
)
from ..model.money import ZERO
from ..portfolio import Portfolio
from ..ports import Clock, Outbox
from ..pricing import BlendResult, PricingError, blend_detail, model_for, p_outcome
from ..risk import RiskContext, RiskGate, RiskVerdict
from ..risk.context import Commitment, commitments
from ..settings import Settings
from ..telemetry.latency import LatencyRecorder
from . import find_arb, find_edge

SIGNAL_INTERVAL_S = 5.0  # sim/real seconds between signals on one market: one idea, not a flood


class Trader:
    """On a market or game change: price, look for edges and arbitrage, risk-check, hand the signal
    to the signal book. `revalidate` re-checks a pending signal for the operator's approval.

    health(): (store_ok, bus_ok) now; unresolved: client_order_id → live order whose outcome is
    unknown (the executor's), counted against the limits; equivalent(a, b): whether two venues'
    markets are the same contract (listings.py).
    """

    def __init__(
        self,
        settings: Settings,
        cache: Registry,
        clock: Clock,
        out: Outbox,
        latency: LatencyRecorder,
        control: ControlState,
        health: Callable[[], tuple[bool, bool]],
        portfolio: Portfolio,
        book: SignalBook,
        unresolved: Mapping[str, Order],
        equivalent: Callable[[Market, Market], bool],
        new_signal_id: Callable[[], str],
    ) -> None:
        self.settings, self.cache, self.clock, self.out, self.latency = settings, cache, clock, out, latency
        self.control, self.health, self.portfolio, self.book = control, health, portfolio, book
        self.unresolved, self.equivalent, self.new_signal_id = unresolved, equivalent, new_signal_id
        self.gate = RiskGate(settings.limits)
        self.send_gate = RiskGate(settings.limits)  # the re-check just before a send, counted apart
        self.last_signal_at: dict[str, datetime] = {}

    # -- pricing -----------------------------------------------------------------------------
    def price_game(self, state: GameState) -> float | None:
        """Model P(home wins) for a live/scheduled game (0..1), or None (counted) if unpriceable."""
        if state.status not in (GameStatus.LIVE, GameStatus.SCHEDULED):
            self.cache.model_p_home.pop(state.game_id, None)
            return None
        started = time.perf_counter_ns()
        try:
            p = model_for(state.sport).p_home(state)
        except (PricingError, KeyError, ValueError) as exc:
            self.out.reject("pricing", "unpriceable_state", f"{state.game_id}: {exc}")
            self.cache.model_p_home.pop(state.game_id, None)  # never show a stale price
            return None
        self.latency.record("pricing", started)
        self.cache.model_p_home[state.game_id] = p
        return p

    def _market_probability(
        self, state: GameState, market: Market, book: OrderBook, count: bool = True
    ) -> tuple[BlendResult, float] | None:
        """(model P(YES pays) shrunk toward the market mid with its inputs, mid) or None (an
        unpriceable state is counted when `count`: once per observation, not per re-check)."""
        try:
            model_p = p_outcome(state, market.outcome)
        except (PricingError, KeyError, ValueError) as exc:
            if count:
                self.out.reject("pricing", "unpriceable_state", f"{state.game_id}: {exc}")
            return None
        mid = float(book.mid) if book.mid is not None else None
        if mid is None:  # one-sided book: no market view to record or shrink toward
            return None
        return blend_detail(model_p, mid, self.settings.strategy.market_weight, state), mid

    # -- strategy ----------------------------------------------------------------------------
    def evaluate_game(self, game_id: str, started_ns: int) -> None:
        """Re-evaluate every market of a game after its state changed."""
        for market in self.cache.markets_of(game_id):
            self.evaluate_market(market, started_ns)

    def evaluate_market(self, market: Market, started_ns: int) -> None:
        """Look for an edge on `market` and arbitrage against its equivalents; decide each signal."""
        reg, now = self.cache, self.clock()
        state, book = reg.games.get(market.game_id), reg.books.get(market.market_id)
        if state is None or book is None or book.stale or state.status is not GameStatus.LIVE:
            return
        stage = time.perf_counter_ns()
        available = self.available()
        strategy = self.settings.strategy
        found: list[Signal] = []
        if self._may_signal(market.market_id, now):
            signal = self.edge(market, state, book, available, now, self.new_signal_id)
            if signal is not None:
                found.append(signal)
        for other in reg.arb_pairs(market):
            key = "|".join(sorted((market.market_id, other.market_id)))
            if not self._may_signal(key, now) or not self.equivalent(market, other):
                continue
            arb = find_arb(
                market.game_id,
                market,
                book,
                other,
                reg.books[other.market_id],
                strategy,
                available,
                now,
                self.new_signal_id,
            )
            if arb is not None:
                found.append(arb)
        self.latency.record("strategy", stage)
        for signal in found:
            self.last_signal_at[
                signal.legs[0].market_id
                if signal.kind is SignalKind.EDGE
                else "|".join(sorted(leg.market_id for leg in signal.legs))
            ] = now
            self.decide(signal, started_ns)

    def commitments(self) -> tuple[Commitment, ...]:
        """Approved-but-unrun legs and live orders whose outcome is unknown, at their worst case,
        exactly as the risk gate counts them (risk.context.commitments)."""
        return commitments(self.book.reserved.values(), self.unresolved.values(), self.cache.markets)

    def available(self) -> Decimal:
        """Dollars Kelly may size against: available cash less what is committed (`_commitments`)."""
        return self.portfolio.bankroll.available - sum((c.cost for c in self.commitments()), ZERO)

    def edge(
        self,
        market: Market,
        state: GameState,
        book: OrderBook,
        available: Decimal,
        now: datetime,
        ids: Callable[[], str],
        count: bool = True,
    ) -> Signal | None:
        """The EDGE signal the model and `book` give on `market` now (find_edge, Kelly-sized against
        `available` dollars less what is already staked on the same result), or None."""
        probs = self._market_probability(state, market, book, count)
        if probs is None:
            return None
        blended, mid = probs
        return find_edge(
            market.game_id,
            market,
            book,
            blended.p,
            mid,
            self.settings.strategy,
            available,
            now,
            ids,
            raw_p_yes=blended.model_p,
            market_weight=blended.weight,
            staked=self.staked(market),
        )

    def revalidate(self, signal: Signal) -> tuple[Decision, str] | None:
        """Why a pending signal may no longer be approved, as (decision, reason), or None if it may.

        Expired (now ≥ expires_at, also between housekeeping sweeps) → EXPIRED. An EDGE signal is
        priced again on the game's current state and book: REJECTED "edge_gone" when the model no
        longer gives an edge on its side (the score changed while it waited). When Kelly now sizes
        it smaller (another signal on the same result was approved meanwhile, or the bankroll
        moved) its size is cut to that before approval (SignalBook.resize), never raised. An ARB is priced
        on books alone: the risk gate's price re-check covers it.
        """
        now = self.clock()
        if signal.expires_at is not None and now >= signal.expires_at:
            return Decision.EXPIRED, "expired before approval"
        if signal.kind is not SignalKind.EDGE:
            return None
        leg, reg = signal.legs[0], self.cache
        market, state, book = (
            reg.markets.get(leg.market_id),
            reg.games.get(signal.game_id),
            reg.books.get(leg.market_id),
        )
        if market is None or state is None or book is None or book.stale or state.status is not GameStatus.LIVE:
            return Decision.REJECTED, "edge_gone: the game or its book is no longer live"
        fresh = self.edge(market, state, book, self.available(), now, lambda: signal.signal_id, count=False)
        if fresh is None or fresh.legs[0].side is not leg.side:
            return Decision.REJECTED, (
                "edge_gone: the game's current state, book and what is already staked "
                "on this result give no edge on this side"
            )
        if fresh.legs[0].contracts < leg.contracts:
            self.book.resize(signal, fresh.legs[0].contracts)
        return None

    def staked(self, market: Market) -> dict[Side, Decimal]:
        """Dollars already at risk per side of `market`: the cost of open positions, of approved,
        unrun legs and of live orders whose outcome is unknown, in its game, that pay on exactly
        the same results (`paying_results`: the same outcome on the other venue; in a two-way sport
        also the other team's market on the other side), so Kelly sizes one bet on an outcome
        however many venues list it."""
        reg = self.cache
        game = reg.games.get(market.game_id)
        sport = game.sport if game is not None else None

        def pays(market_id: str, side: Side) -> frozenset[str] | None:
            other = reg.markets.get(market_id)
            return paying_results(other.outcome, side, sport) if other is not None else None

        held = [
            (p.market_id, p.side, p.cost)
            for p in self.portfolio.positions()
            if p.game_id == market.game_id and not p.settled
        ]
        held += [(c.market_id, c.side, c.cost) for c in self.commitments() if c.game_id == market.game_id]
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
        reg, (store_ok, bus_ok) = self.cache, self.health()
        return RiskContext(
            mode=self.control.effective_mode,
            kill_engaged=self.control.kill_engaged,
            now=self.clock(),
            portfolio=self.portfolio,
            markets=reg.markets,
            game_sports={g: s.sport for g, s in reg.games.items()},
            books=reg.books,
            game_observed_at=reg.game_seen_at,
            last_trade_at=self.book.last_trade_at,
            store_ok=store_ok,
            bus_ok=bus_ok,
            reserved=tuple(self.book.reserved.values()),
            unresolved_orders=tuple(self.unresolved.values()),
        )

    def check(self, signal: Signal) -> RiskVerdict:
        """Run the risk gate on `signal` now."""
        started = time.perf_counter_ns()
        verdict = self.gate.check(signal, self.risk_context())
        self.latency.record("risk", started)
        return verdict

    def decide(self, signal: Signal, started_ns: int) -> None:
        """Risk-check a fresh signal: reject it, hold it for the operator, or approve it."""
        verdict = self.check(signal)
        self.latency.record("tick_to_decision", started_ns)
        if not verdict.ok:
            self.book.record(signal, Decision.REJECTED, verdict.reason)
        elif self.control.effective_mode is Mode.MANUAL:
            self.book.pend(signal, self.settings.strategy.manual_expiry_s)
        else:
            self.book.approve(signal, "auto")

    def recheck_before_send(self, signal: Signal) -> tuple[Decision, str] | None:
        """Why an approved signal may no longer be sent, as (decision, reason), checked just before
        its first order intent (it may have waited behind a stalled execution), or None if it may.

        EXPIRED once past its expires_at; else `revalidate` (an EDGE's edge on the game's state and
        book now; may cut its size); else REJECTED "risk_recheck: <every failing check>" when the
        risk gate fails now (`send_gate`, counted apart from the decision gate; the game's cooldown,
        started by this very approval, is not re-run). Its own reservation is set aside meanwhile so
        it is not counted against itself. Each refusal is counted as "execution:send_recheck_<code>"."""
        refusal = self._send_refusal(signal)
        if refusal is None:
            return None
        decision, code, reason = refusal
        self.out.reject("execution", f"send_recheck_{code}", f"{signal.signal_id}: {reason}")
        return decision, reason

    def _send_refusal(self, signal: Signal) -> tuple[Decision, str, str] | None:
        """(decision, code, reason) for `recheck_before_send`, or None."""
        if signal.expires_at is not None and self.clock() >= signal.expires_at:
            return (
                Decision.EXPIRED,
                "expired",
                (f"expired: not sent by its expiry {signal.expires_at.isoformat()} (waited in the execution queue)"),
            )
        own = self.book.reserved.pop(signal.signal_id, None)
        try:
            stale = self.revalidate(signal)
            if stale is not None:
                return stale[0], stale[1].split(" ")[0].rstrip(":"), stale[1]
            ctx = self.risk_context()
            ctx.last_trade_at = {g: t for g, t in ctx.last_trade_at.items() if g != signal.game_id}
            verdict = self.send_gate.check(signal, ctx)
            return (
                None
                if verdict.ok
                else (Decision.REJECTED, verdict.reason, f"risk_recheck: {', '.join(verdict.reasons)}")
            )
        finally:
            if own is not None:
                self.book.reserved[signal.signal_id] = own

    # -- marks -----------------------------------------------------------------------------------
    def mark(self, market_id: str, book: OrderBook) -> None:
        """Mark open positions in `market_id` at the book's mid."""
        mid = book.mid
        if mid is not None and (
            self.portfolio.position(market_id, Side.YES) or self.portfolio.position(market_id, Side.NO)
        ):
            self.portfolio.mark(market_id, mid)
