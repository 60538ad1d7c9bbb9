"""Kalshi trading pauses: the exchange's status and maintenance schedule, and an order guard.

Endpoints (public; shapes per the official SDK kalshi-typescript 3.30.0, models/exchange-status.ts,
get-exchange-schedule-response.ts, schedule.ts, maintenance-window.ts;
https://docs.kalshi.com/api-reference/exchange/get-exchange-status, .../get-exchange-schedule):
  GET {base}/exchange/status   → {"exchange_active": bool, "trading_active": bool,
                                  "exchange_estimated_resume_time"?: str | null, ...}
  GET {base}/exchange/schedule → {"schedule": {"standard_hours": [...],
                                  "maintenance_windows": [{"start_datetime", "end_datetime"}]}}
`exchange_active` is false during maintenance; `trading_active` is false outside trading hours
and whenever Kalshi pauses trading. Standard hours are not parsed (times in ET): outside them
`trading_active` is already false.

`KalshiExchangeWatch` polls both, and while trading is not open it refuses orders
(`order_refusal`, wrapped around a broker by `PauseGuardBroker`), marks every open Kalshi book
stale at each poll (a book streamed during a pause is still not tradeable) and tells the sink once
per pause (`sink.reject("kalshi", "trading_paused" | "exchange_maintenance")`). A failed status
read keeps the last known state (an unknown start allows orders: no evidence of a pause), counted
as the fetch failure it is.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import structlog

from ...model import Fill, Order, OrderStatus
from ..base import Broker, Sink
from ..http import DEFAULT_POLICY, FetchError, RetryPolicy, get_json
from ..wire import ParseError, need, need_dict, need_list, timestamp

log = structlog.get_logger(__name__)

OPEN, PAUSED, MAINTENANCE = "open", "trading_paused", "exchange_maintenance"


@dataclass(frozen=True, slots=True)
class ExchangeStatus:
    """GET /exchange/status: exchange_active, trading_active, resume_at (UTC or None)."""

    exchange_active: bool
    trading_active: bool
    resume_at: datetime | None = None


def _flag(payload: dict, key: str) -> bool:
    value = need(payload, key, "exchange status")
    if not isinstance(value, bool):
        raise ParseError("bad_exchange_status", f"{key}={value!r:.40}")
    return value


def parse_exchange_status(payload: object) -> ExchangeStatus:
    """GET /exchange/status → ExchangeStatus. Raises ParseError for a missing or non-bool flag."""
    payload = need_dict(payload, "exchange status")
    resume = payload.get("exchange_estimated_resume_time")
    return ExchangeStatus(
        _flag(payload, "exchange_active"),
        _flag(payload, "trading_active"),
        timestamp(resume, "exchange_estimated_resume_time") if resume else None,
    )


def parse_maintenance_windows(payload: object) -> list[tuple[datetime, datetime]]:
    """GET /exchange/schedule → [(start, end)] UTC maintenance windows. Raises ParseError."""
    schedule = need_dict(need(need_dict(payload, "exchange schedule"), "schedule", "response"), "schedule")
    windows = []
    for window in need_list(schedule.get("maintenance_windows") or [], "maintenance_windows"):
        window = need_dict(window, "maintenance window")
        start = timestamp(need(window, "start_datetime", "window"), "start_datetime")
        end = timestamp(need(window, "end_datetime", "window"), "end_datetime")
        if start is None or end is None:
            raise ParseError("bad_schedule", "maintenance window without times")
        windows.append((start, end))
    return windows


def trading_state(status: ExchangeStatus | None, windows: Iterable[tuple[datetime, datetime]], now: datetime) -> str:
    """OPEN, PAUSED or MAINTENANCE at `now` (UTC) from the last status (None: not read yet) and the
    scheduled maintenance windows (a window counts even before the status says so)."""
    if (status is not None and not status.exchange_active) or any(s <= now < e for s, e in windows):
        return MAINTENANCE
    if status is not None and not status.trading_active:
        return PAUSED
    return OPEN


class KalshiExchangeWatch:
    """Polls Kalshi's exchange status every `poll_s` seconds (the schedule every `schedule_every_s`).

    market_ids: () → engine market ids to mark stale while trading is not open (the open listings).
    clock: () → aware UTC now. `state` is OPEN / PAUSED / MAINTENANCE, `status()` what a desk shows.
    """

    name = "kalshi"

    def __init__(
        self,
        base_url: str,
        client: httpx.AsyncClient,
        market_ids: Callable[[], Iterable[str]],
        *,
        poll_s: float = 10.0,
        schedule_every_s: float = 300.0,
        policy: RetryPolicy = DEFAULT_POLICY,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.base_url, self.client, self.market_ids = base_url.rstrip("/"), client, market_ids
        self.poll_s, self.schedule_every_s, self.policy, self.clock = poll_s, schedule_every_s, policy, clock
        self.last: ExchangeStatus | None = None
        self.windows: list[tuple[datetime, datetime]] = []
        self.state = OPEN
        self.pauses = 0
        self.changed = asyncio.Event()  # set after every poll whose state differs from the previous one

    def order_refusal(self) -> str | None:
        """None when orders may go out; else the counted reason (PAUSED or MAINTENANCE)."""
        state = trading_state(self.last, self.windows, self.clock())
        return None if state == OPEN else state

    def status(self) -> dict[str, str]:
        """{"exchange": "open" | "trading_paused" | "exchange_maintenance" (+ " until <resume>")}."""
        resume = self.last.resume_at if self.last is not None else None
        text = self.state if self.state == OPEN or resume is None else f"{self.state} until {resume.isoformat()}"
        return {"exchange": text}

    async def run(self, sink: Sink) -> None:
        """Poll until cancelled; never raises on bad input."""
        loop = asyncio.get_running_loop()
        next_schedule = loop.time()
        while True:
            if loop.time() >= next_schedule:
                await self._read_schedule(sink)
                next_schedule = loop.time() + self.schedule_every_s
            await self.poll_once(sink)
            await asyncio.sleep(self.poll_s)  # the poll period

    async def _get(self, path: str, sink: Sink, parse: Callable[[object], object]) -> object | None:
        try:
            return parse(await get_json(self.client, f"{self.base_url}{path}", None, policy=self.policy))
        except (FetchError, ParseError) as exc:
            log.warning("kalshi_exchange_read_failed", path=path, reason=exc.reason, detail=exc.detail[:200])
            sink.reject(self.name, exc.reason, f"{path}: {exc.detail}"[:300])
        return None

    async def _read_schedule(self, sink: Sink) -> None:
        windows = await self._get("/exchange/schedule", sink, parse_maintenance_windows)
        if isinstance(windows, list):
            self.windows = windows

    async def poll_once(self, sink: Sink) -> str:
        """Read the status once, apply it (stale books, the pause count) and return the state."""
        status = await self._get("/exchange/status", sink, parse_exchange_status)
        if isinstance(status, ExchangeStatus):
            self.last = status
        state = trading_state(self.last, self.windows, self.clock())
        if state != OPEN:
            if self.state == OPEN:
                self.pauses += 1
                resume = self.last.resume_at if self.last is not None else None
                log.warning("kalshi_trading_paused", state=state, resume_at=str(resume))
                sink.reject(self.name, state, "orders refused and books stale until trading resumes")
            for market_id in self.market_ids():
                sink.on_book_stale(market_id, state)
        elif self.state != OPEN:
            log.info("kalshi_trading_resumed", after=self.state)
        if state != self.state:
            self.state = state
            self.changed.set()
        return state


class PauseGuardBroker(Broker):
    """A Broker that refuses orders while `watch` says Kalshi's trading is not open.

    A refused order is REJECTED with the reason (PAUSED / MAINTENANCE), counted in `refused`, and
    never sent; everything else goes to `inner`. Reconciliation (a read) always goes through.
    """

    def __init__(self, inner: Broker, watch: KalshiExchangeWatch) -> None:
        self.inner, self.watch = inner, watch
        self.refused: Counter[str] = Counter()

    async def execute(self, order: Order, now: datetime) -> list[Fill]:
        """`inner.execute(order)`, or [] with the order REJECTED while trading is paused."""
        reason = self.watch.order_refusal()
        if reason is not None:
            self.refused[reason] += 1
            order.status, order.reason = OrderStatus.REJECTED, reason
            log.warning("kalshi_order_refused_paused", client_order_id=order.client_order_id, reason=reason)
            return []
        return await self.inner.execute(order, now)

    async def reconcile(self, order: Order, now: datetime) -> list[Fill]:
        """Always `inner.reconcile` (looking an order up is allowed during a pause)."""
        return await self.inner.reconcile(order, now)
