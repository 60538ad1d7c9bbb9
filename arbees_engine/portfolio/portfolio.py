"""Positions, settlement and bankroll, in exact Decimal dollars.

Naming convention for P&L (issue 12): `realized_pnl` is always GROSS of fees (settlement payout −
cost), as in Position, Bankroll, the store and the bus; a P&L that has the fees taken off says
`net` in its name (`day_net_pnl`, `ledger_net_since`).

We only buy and exit by settlement, so a position is (contracts, cost, fees) per market side.
Bankroll identity (model/trading.py): equity = starting + Σ realized − Σ fees, and
available cash = equity − open cost. `check_identity` verifies the aggregates against the
positions to the cent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, time
from decimal import Decimal

from arbees_engine.model import Bankroll, Fill, Position, Side, Sport
from arbees_engine.model.contracts import FRACTIONAL_STEP, on_step
from arbees_engine.model.money import ONE, ZERO, round_cent


class PortfolioError(AssertionError):
    """Raised for an impossible fill (bad sizes, fill into a settled market) or a broken identity."""


def utc_midnight(now: datetime) -> datetime:
    """00:00 UTC of `now`'s UTC day (naive `now` means UTC): where the daily loss limit's day starts."""
    now = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    return datetime.combine(now.date(), time(0), tzinfo=UTC)


def _as_utc(at: datetime) -> datetime:
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


class Portfolio:
    """In-memory book of positions and the bankroll.

    starting: starting bankroll in dollars (> 0). Not thread-safe; the engine loop owns it.
    Raises PortfolioError for a non-positive starting bankroll.
    """

    def __init__(self, starting: Decimal) -> None:
        if not isinstance(starting, Decimal) or starting <= ZERO:
            raise PortfolioError(f"starting bankroll {starting!r} must be a positive Decimal")
        self._bankroll = Bankroll(starting=starting)
        self._positions: dict[tuple[str, Side], Position] = {}
        self._game_sport: dict[str, Sport] = {}
        self._settled_markets: set[str] = set()
        self._settled_at: dict[str, datetime] = {}  # market_id → when it settled (UTC), when known
        self._fill_ids: set[str] = set()
        self._pnl_events: list[tuple[datetime, Decimal]] = []  # (when, realized − fees) for day_net_pnl
        self._fee_events: list[tuple[datetime, Decimal]] = []  # (when, fees paid) for day_fees

    # ---- updates -------------------------------------------------------------------------
    def has_fill(self, fill_id: str) -> bool:
        """True if `fill_id` was applied in this process."""
        return fill_id in self._fill_ids

    def preview_fill(self, fill: Fill, game_id: str) -> Position:
        """The position `fill` would leave (a copy; nothing changes), so the store can book fill,
        fee and position in one transaction before memory follows. Raises PortfolioError like
        apply_fill."""
        self._check_fill(fill)
        held = self._positions.get((fill.market_id, fill.side))
        pos = replace(held) if held is not None else Position(fill.market_id, fill.venue, game_id, fill.side)
        pos.contracts += fill.contracts
        pos.cost += fill.notional
        pos.fees += fill.fee
        return pos

    def _check_fill(self, fill: Fill) -> None:
        if not _valid_quantity(fill.contracts) or not (ZERO <= fill.price <= ONE) or fill.fee < ZERO:
            raise PortfolioError(f"bad fill {fill.fill_id}: {fill.contracts} @ {fill.price} fee {fill.fee}")
        if fill.market_id in self._settled_markets:
            raise PortfolioError(f"fill {fill.fill_id} into settled market {fill.market_id}")

    def apply_fill(self, fill: Fill, game_id: str, sport: Sport | None) -> bool:
        """Add a buy fill to its position and the bankroll (fees paid, open cost up).

        sport: the game's sport for exposure_by_sport (None when unknown: the game then counts
        toward no sport until a later fill names it).

        Returns False (and changes nothing) for a fill_id already applied, so replays are safe.
        Raises PortfolioError for contracts ≤ 0 or finer than 0.01 (model/contracts.py), price
        outside 0..1, a negative fee, or a fill
        into a market already settled/voided.
        """
        if fill.fill_id in self._fill_ids:
            return False
        self._check_fill(fill)
        key = (fill.market_id, fill.side)
        pos = self._positions.get(key)
        if pos is None:
            pos = self._positions[key] = Position(fill.market_id, fill.venue, game_id, fill.side)
        pos.contracts += fill.contracts
        pos.cost += fill.notional
        pos.fees += fill.fee
        if sport is not None:
            self._game_sport[game_id] = sport
        self._fill_ids.add(fill.fill_id)
        b = self._bankroll
        b.fees += fill.fee
        b.open_cost += fill.notional
        b.version += 1
        self._pnl_events.append((_as_utc(fill.filled_at), -fill.fee))
        self._fee_events.append((_as_utc(fill.filled_at), fill.fee))
        return True

    def restore(
        self,
        positions: Iterable[Position],
        realized_pnl: Decimal,
        fees: Decimal,
        *,
        game_sports: Mapping[str, Sport] | None = None,
        day_net_pnl: Decimal = ZERO,
        at: datetime | None = None,
        starting: Decimal | None = None,
        day_fees: Decimal = ZERO,
    ) -> None:
        """Replace all state with what the store holds after a restart.

        positions: every stored position (settled ones included; their markets stay closed).
        realized_pnl / fees: the bankroll ledger's totals in dollars; open cost is recomputed
        from open positions. game_sports: game_id → Sport for exposure_by_sport. day_net_pnl:
        realized − fees already booked today (dollars, recorded at `at`, default now) so the
        daily loss limit survives a restart; day_fees: the fees among them (dollars), for the
        desk's "fees today". starting: the store's starting bankroll, which
        wins over the configured one (the ledger's totals are relative to it). Raises nothing; call check_identity
        to verify the
        store's ledger agrees with its positions. When restored markets settled is unknown until
        `note_settled_at` is told (until then none counts as settled today for the loss limit).
        """
        self._positions = {(p.market_id, p.side): p for p in positions}
        open_markets = {p.market_id for p in self._positions.values() if p.contracts > 0}
        # a market counts as settled only when no side is still open (an open side must settle)
        self._settled_markets = {p.market_id for p in self._positions.values() if p.settled} - open_markets
        self._game_sport = dict(game_sports or {})
        self._settled_at = {}
        self._fill_ids = set()
        self._pnl_events = [(_as_utc(at or datetime.now(UTC)), day_net_pnl)] if day_net_pnl else []
        self._fee_events = [(_as_utc(at or datetime.now(UTC)), day_fees)] if day_fees else []
        open_cost = sum((p.cost for p in self._positions.values() if p.contracts and not p.settled), ZERO)
        start = self._bankroll.starting if starting is None else starting
        self._bankroll = Bankroll(start, realized_pnl, fees, open_cost, self._bankroll.version + 1)

    def note_settled_at(self, settled_at: Mapping[str, datetime]) -> None:
        """Record when restored markets settled: market_id → time (naive means UTC), e.g. from the
        store's settlement ledger lines after a restart. Markets that are not settled here, and
        markets whose settlement this process booked itself, are left as they are."""
        for market_id, at in settled_at.items():
            if market_id in self._settled_markets:
                self._settled_at.setdefault(market_id, _as_utc(at))

    def mark(self, market_id: str, mid: Decimal) -> None:
        """Mark open positions of `market_id` at the YES mid (dollars): YES at mid, NO at 1 − mid."""
        for side in (Side.YES, Side.NO):
            pos = self._positions.get((market_id, side))
            if pos is not None and not pos.settled:
                pos.mark = mid if side is Side.YES else ONE - mid

    def settle(self, market_id: str, yes_won: bool, at: datetime | None = None) -> Decimal:
        """Settle `market_id`: each open position realises payout − cost (payout $1 per winning
        contract), closes (contracts 0, settled) and releases its open cost. Returns the total
        realized P&L in dollars (gross: fees were paid at the fills). Settling twice returns 0.
        `at`: settlement time for daily P&L (default now, UTC).
        """
        return self.settle_value(market_id, ONE if yes_won else ZERO, at)

    def settle_value(self, market_id: str, yes_value: Decimal, at: datetime | None = None) -> Decimal:
        """Settle `market_id` with each YES contract paying `yes_value` dollars (0..1) and each NO
        contract 1 − `yes_value`: 1/0 for a YES/NO result, 0.50 for a 50-50 resolution (Polymarket).
        Returns the total realized P&L in dollars (fees excluded); 0 when already settled.
        Raises ValueError for a value outside 0..1."""
        if not ZERO <= yes_value <= ONE:
            raise ValueError(f"settlement value {yes_value} outside 0..1")

        def payout(pos: Position) -> Decimal:
            return (yes_value if pos.side is Side.YES else ONE - yes_value) * pos.contracts

        return self._close(market_id, at, payout)

    def preview_settlement(self, market_id: str, yes_value: Decimal | None) -> list[Position]:
        """The positions settling `market_id` would leave (copies; nothing changes), so the store
        can book the settlement before memory follows (`settle_value` / `void` then apply it).
        yes_value: dollars per YES contract (0..1; each NO pays 1 − it), None to void (cost
        returned). [] when the market is already settled or never traded. Raises ValueError for a
        value outside 0..1."""
        if yes_value is not None and not ZERO <= yes_value <= ONE:
            raise ValueError(f"settlement value {yes_value} outside 0..1")
        if market_id in self._settled_markets:
            return []
        closed = []
        for side in (Side.YES, Side.NO):
            held = self._positions.get((market_id, side))
            if held is None:
                continue
            pos = replace(held)
            if yes_value is None:
                payout = pos.cost
            else:
                payout = (yes_value if side is Side.YES else ONE - yes_value) * pos.contracts
            pos.realized_pnl += payout - pos.cost
            pos.cost, pos.contracts, pos.settled, pos.mark = ZERO, ZERO, True, None
            closed.append(pos)
        return closed

    def void(self, market_id: str, at: datetime | None = None) -> Decimal:
        """Close `market_id` for a cancelled/postponed game: the cost is refunded (realized 0);
        fees already paid are NOT refunded (conservative; venues differ). Returns 0."""
        return self._close(market_id, at, lambda pos: pos.cost)

    def _close(self, market_id: str, at: datetime | None, payout_of: Callable[[Position], Decimal]) -> Decimal:
        if market_id in self._settled_markets:
            return ZERO
        at = _as_utc(at or datetime.now(UTC))
        self._settled_markets.add(market_id)
        self._settled_at[market_id] = at
        total = ZERO
        for side in (Side.YES, Side.NO):
            pos = self._positions.get((market_id, side))
            if pos is None:
                continue
            realized = payout_of(pos) - pos.cost
            self._bankroll.open_cost -= pos.cost
            self._bankroll.realized_pnl += realized
            pos.realized_pnl += realized
            pos.cost, pos.contracts, pos.settled, pos.mark = ZERO, ZERO, True, None
            total += realized
        self._bankroll.version += 1
        self._pnl_events.append((at, total))
        return total

    # ---- queries -------------------------------------------------------------------------
    @property
    def bankroll(self) -> Bankroll:
        """A copy of the bankroll (equity = starting + realized − fees; available = equity − open cost)."""
        return replace(self._bankroll, extra=dict(self._bankroll.extra))

    def positions(self, include_closed: bool = False) -> list[Position]:
        """Positions with open contracts (all positions ever with include_closed=True)."""
        return [p for p in self._positions.values() if include_closed or p.contracts > 0]

    def position(self, market_id: str, side: Side) -> Position | None:
        """The position on (market_id, side), or None if never traded."""
        return self._positions.get((market_id, side))

    def is_settled(self, market_id: str) -> bool:
        """True once `market_id` was settled or voided."""
        return market_id in self._settled_markets

    def exposure_by_game(self, game_id: str) -> Decimal:
        """Dollars at cost in open positions of `game_id`."""
        return sum((p.cost for p in self._positions.values() if p.game_id == game_id and p.contracts), ZERO)

    def exposure_by_sport(self, sport: Sport) -> Decimal:
        """Dollars at cost in open positions of games of `sport`."""
        return sum(
            (p.cost for p in self._positions.values() if p.contracts and self._game_sport.get(p.game_id) == sport),
            ZERO,
        )

    def day_net_pnl(self, now: datetime) -> Decimal:
        """Realized P&L net of fees (realized − fees) since UTC midnight of `now`, dollars."""
        start = utc_midnight(now)
        return sum((amount for at, amount in self._pnl_events if at >= start), ZERO)

    def day_fees(self, now: datetime) -> Decimal:
        """Fees paid since UTC midnight of `now` (fills' filled_at), dollars."""
        start = _as_utc(now).replace(hour=0, minute=0, second=0, microsecond=0)
        return sum((fee for at, fee in self._fee_events if at >= start), ZERO)

    def day_pnl_for_loss_limit(self, now: datetime) -> Decimal:
        """day_net_pnl(now) (net of fees) plus the unrealized P&L (at their marks) of open positions in games
        where another position settled today (since UTC midnight of `now`, the window of
        day_net_pnl), dollars. The legs of one game settle at different times (each venue
        resolves on its own clock), so the losing leg of a hedged arbitrage must not count as a
        loss while its winning leg still waits for its venue. A leg settled on an earlier day is
        not in today's realized P&L, so the open leg of its game does not offset today's losses;
        neither does one whose settlement time is unknown (restored, not yet `note_settled_at`)."""
        start = utc_midnight(now)
        settled_today = {
            p.game_id
            for p in self._positions.values()
            if p.settled and (at := self._settled_at.get(p.market_id)) is not None and at >= start
        }
        waiting = sum(
            (p.unrealized_pnl for p in self._positions.values() if p.contracts > 0 and p.game_id in settled_today), ZERO
        )
        return self.day_net_pnl(now) + waiting

    def unrealized(self) -> Decimal:
        """Σ unrealized P&L of marked open positions, dollars."""
        return sum((p.unrealized_pnl for p in self._positions.values()), ZERO)

    def check_identity(self) -> None:
        """Raise PortfolioError unless, to the cent, equity = starting + Σ position realized −
        Σ position fees, open cost = Σ open position cost, and no position is negative."""
        positions = list(self._positions.values())
        realized = sum((p.realized_pnl for p in positions), ZERO)
        fees = sum((p.fees for p in positions), ZERO)
        open_cost = sum((p.cost for p in positions), ZERO)
        b = self._bankroll
        if round_cent(b.equity) != round_cent(b.starting + realized - fees):
            raise PortfolioError(f"equity {b.equity} != starting {b.starting} + realized {realized} - fees {fees}")
        if round_cent(b.open_cost) != round_cent(open_cost):
            raise PortfolioError(f"open cost {b.open_cost} != positions' cost {open_cost}")
        if any(p.contracts < 0 or p.cost < ZERO for p in positions):
            raise PortfolioError("negative position")


def _valid_quantity(contracts: Decimal | int) -> bool:
    """A fill's contracts: positive and a multiple of the finest step, 0.01 (exact Decimal or int)."""
    if isinstance(contracts, bool) or not isinstance(contracts, (int, Decimal)):
        return False
    return contracts > 0 and on_step(Decimal(contracts), FRACTIONAL_STEP)
