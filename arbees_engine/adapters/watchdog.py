"""Feed liveness for venue websockets: a per-market message-age watchdog and PING→PONG timing.

A socket can freeze with its TCP connection open (reported for Polymarket's CLOB market channel
on the official client and on NautilusTrader's adapter): no frame, no error, books silently old.
`FeedWatchdog` catches it on the engine clock (the `Clock` port, so tests drive time):

1. every subscribed market has a last-message time; one silent for `silence_s` seconds gets a REST
   top-of-book check (`fetch_top`). The same best bid/ask as ours → the market is only quiet
   ("quiet_ok", timer restarted); another top, or a failed check → `resubscribe([market])`;
2. still silent `silence_s` after the resubscribe → `reconnect()`;
3. an application PING (Polymarket sends text "PING") unanswered `pong_timeout_s` after it was
   sent → `reconnect()`.

Every step is counted in `counts` ("rest_checks", "rest_check_failed", "quiet_ok", "book_moved",
"resubscribes", "reconnects", "recovered", "pings", "pongs", "pong_timeouts"). `tick()` does one
pass; `run()` calls it every `check_every_s` real seconds (pacing only, not synchronisation). The
owner calls `connected()`/`disconnected()`, `touch(market)` per message, `track`/`untrack`.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import structlog

from ..ports import Clock

log = structlog.get_logger(__name__)

MAX_CHECKS_PER_PASS = 8  # REST top-of-book checks one pass runs at once
Top = tuple[Decimal | None, Decimal | None]  # (best YES bid, best YES ask) in dollars
FetchTop = Callable[[str], Awaitable[Top]]


def utc_clock() -> datetime:
    """The wall clock as an aware UTC datetime (the default `Clock`)."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class WatchdogConfig:
    """silence_s: seconds a subscribed market may be silent before a REST check (and again before a
    reconnect); pong_timeout_s: seconds a PING may go unanswered; ping_interval_s: seconds between
    application PINGs (0 = the venue has none); check_every_s: real seconds between passes."""

    silence_s: float = 30.0
    pong_timeout_s: float = 10.0
    ping_interval_s: float = 10.0
    check_every_s: float = 1.0


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """One venue feed as the engine status shows it.

    state: "down" (no connection), "live" (connected, no market silent past the bound) or
    "silent k/n" (k of n subscribed markets silent past `silence_s`, checks under way);
    last_message_age_s: seconds since any frame; market_age_s: engine market id ("<venue>:<venue
    market id>", as `Market.market_id`) → seconds since its last message (None before the first);
    counts: the watchdog's and the stream's counters."""

    state: str
    last_message_age_s: float | None
    market_age_s: dict[str, float | None]
    counts: dict[str, int]


class FeedWatchdog:
    """Message-age and PING/PONG watchdog of one venue connection (see the module docstring).

    fetch_top: async (venue market id) → REST (best bid, best ask); local_top: (id) → ours, or
    None when we hold no book; resubscribe: async (ids) → None; reconnect: async () → None (drop
    the socket; the stream's reconnect loop dials again). Callbacks may raise: counted, never out.
    """

    def __init__(
        self,
        venue: str,
        config: WatchdogConfig,
        *,
        fetch_top: FetchTop | None,
        local_top: Callable[[str], Top | None],
        resubscribe: Callable[[list[str]], Awaitable[None]],
        reconnect: Callable[[], Awaitable[None]],
        clock: Clock = utc_clock,
    ) -> None:
        self.venue, self.config, self.clock = venue, config, clock
        self.fetch_top, self.local_top = fetch_top, local_top
        self.resubscribe, self.reconnect = resubscribe, reconnect
        self.counts: Counter[str] = Counter()
        self.connected_at: datetime | None = None
        self.last_frame: datetime | None = None
        self.last_message: dict[str, datetime | None] = {}
        self._since: dict[str, datetime] = {}  # market → start of its current silence timer
        self._resubscribed: set[str] = set()
        self._ping_sent: datetime | None = None
        self._last_ping: datetime | None = None

    # ---- events from the stream ---------------------------------------------------------
    def connected(self) -> None:
        """The socket is open: every timer restarts now."""
        now = self.clock()
        self.connected_at, self._ping_sent, self._last_ping = now, None, now
        self._since = dict.fromkeys(self.last_message, now)
        self._resubscribed.clear()

    def disconnected(self) -> None:
        """The socket is gone: nothing is timed until `connected()`."""
        self.connected_at = self._ping_sent = None

    def track(self, markets: Iterable[str]) -> None:
        """Start timing markets (subscribed now)."""
        now = self.clock()
        for market in markets:
            self.last_message.setdefault(market, None)
            self._since.setdefault(market, now)

    def untrack(self, markets: Iterable[str]) -> None:
        """Stop timing markets (unsubscribed)."""
        for market in markets:
            self.last_message.pop(market, None)
            self._since.pop(market, None)
            self._resubscribed.discard(market)

    def frame(self) -> None:
        """Any frame arrived (including PONG)."""
        self.last_frame = self.clock()

    def touch(self, market: str) -> None:
        """A message for `market` arrived: its timer restarts."""
        if market not in self.last_message:
            return
        now = self.last_frame = self.clock()
        self.last_message[market] = self._since[market] = now
        if market in self._resubscribed:
            self._resubscribed.discard(market)
            self.counts["recovered"] += 1

    def ping_due(self) -> bool:
        """True when an application PING should be sent now (none outstanding, interval passed)."""
        interval = self.config.ping_interval_s
        if not interval or self.connected_at is None or self._ping_sent is not None:
            return False
        return self._last_ping is None or self._elapsed(self._last_ping) >= interval

    def ping_sent(self) -> None:
        """An application PING went out; its PONG is now awaited."""
        self._ping_sent = self._last_ping = self.clock()
        self.counts["pings"] += 1

    def pong(self) -> None:
        """The PONG to the outstanding PING arrived."""
        self.frame()
        self._ping_sent = None
        self.counts["pongs"] += 1

    # ---- one pass ------------------------------------------------------------------------
    def _elapsed(self, since: datetime) -> float:
        return (self.clock() - since).total_seconds()

    async def tick(self) -> str:
        """One pass: returns "reconnect" if it dropped the connection, else "ok" (or "down")."""
        if self.connected_at is None:
            return "down"
        if self._ping_sent is not None and self._elapsed(self._ping_sent) >= self.config.pong_timeout_s:
            self.counts["pong_timeouts"] += 1
            log.warning("feed_pong_timeout", venue=self.venue, waited_s=self._elapsed(self._ping_sent))
            return await self._reconnect()
        silent = [m for m, t in self._since.items() if self._elapsed(t) >= self.config.silence_s]
        if any(m in self._resubscribed for m in silent):
            log.warning("feed_silent_after_resubscribe", venue=self.venue, markets=len(silent))
            return await self._reconnect()
        # bounded per pass: the rest stay past the bound and are checked by the next passes
        await asyncio.gather(*(self._check(m) for m in sorted(silent)[:MAX_CHECKS_PER_PASS]))
        return "ok"

    async def _check(self, market: str) -> None:
        self.counts["rest_checks"] += 1
        try:
            if self.fetch_top is None:
                raise LookupError("no REST top-of-book check for this venue")
            theirs = await self.fetch_top(market)
        except Exception as exc:  # noqa: BLE001 - a failed check counts as "moved": resubscribe
            self.counts["rest_check_failed"] += 1
            log.info("feed_rest_check_failed", venue=self.venue, market=market, error=type(exc).__name__)
            theirs = None
        if theirs is not None and theirs == self.local_top(market):
            self.counts["quiet_ok"] += 1
            self._since[market] = self.clock()
            return
        if theirs is not None:
            self.counts["book_moved"] += 1
        self.counts["resubscribes"] += 1
        log.warning("feed_silent_resubscribe", venue=self.venue, market=market)
        self._resubscribed.add(market)
        self._since[market] = self.clock()
        await self._guarded(self.resubscribe([market]), "resubscribe")

    async def _reconnect(self) -> str:
        self.counts["reconnects"] += 1
        self.disconnected()
        await self._guarded(self.reconnect(), "reconnect")
        return "reconnect"

    async def _guarded(self, step: Awaitable[None], what: str) -> None:
        try:
            await step
        except Exception as exc:  # noqa: BLE001 - a failed step is counted; the next pass escalates
            self.counts[f"{what}_failed"] += 1
            log.warning("feed_watchdog_step_failed", venue=self.venue, step=what, error=type(exc).__name__)

    async def step(self, send_ping: Callable[[], Awaitable[None]] | None = None) -> str:
        """Send a due PING through `send_ping` (if any), then `tick()`; returns tick's verdict."""
        if send_ping is not None and self.ping_due():
            self.ping_sent()
            await self._guarded(send_ping(), "ping")
        return await self.tick()

    async def run(self, send_ping: Callable[[], Awaitable[None]] | None = None) -> None:
        """Until cancelled: `step(send_ping)` every `check_every_s` seconds."""
        while True:
            await asyncio.sleep(self.config.check_every_s)  # the pass period
            await self.step(send_ping)

    # ---- status --------------------------------------------------------------------------
    def status(self, extra_counts: dict[str, int] | None = None) -> FeedStatus:
        """The feed's state, ages (seconds) and counters (watchdog's, plus `extra_counts`)."""
        ages = {
            f"{self.venue}:{m}": (None if t is None else round(self._elapsed(t), 3))
            for m, t in self.last_message.items()
        }
        silent = sum(self._elapsed(t) >= self.config.silence_s for t in self._since.values())
        if self.connected_at is None:
            state = "down"
        else:
            state = f"silent {silent}/{len(self._since)}" if silent else "live"
        last = None if self.last_frame is None else round(self._elapsed(self.last_frame), 3)
        return FeedStatus(state, last, ages, {**(extra_counts or {}), **self.counts})


__all__ = ["FeedStatus", "FeedWatchdog", "Top", "WatchdogConfig", "utc_clock"]
