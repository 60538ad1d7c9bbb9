"""Operations: the engine's one hook object for lag, metrics, systemd notification and alerts.

The engine calls these hooks and nothing else: `start()` (tasks to spawn), `on_tick()` (end of
each applied book update), `on_game_tick()` (end of each live game state), `on_book_stale()`,
`on_audit()` (every audit line), `on_status()` (the 1 s status pass) and `stopping()` / `close()`
at shutdown. Websocket frames are timed by wrapping each stream's `handle_raw` at construction; store
writes are timed by the store writer itself (`writer.latency`). Everything else reads the engine's existing state.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import TYPE_CHECKING

import structlog

from ..bus.messages import AuditView, LatencyView
from ..telemetry.alerts import WARNING, Alert, AlertSender
from ..telemetry.histogram import LogHistogram
from ..telemetry.looplag import LoopLagMonitor
from ..telemetry.notify import ServiceNotifier
from .health import HealthWatch, ObservedEngine, audit_alert, stale_venues

if TYPE_CHECKING:
    from ..model import Market

log = structlog.get_logger(__name__)
READY_POLL_S = 0.1


class Operations:
    """Owns the LoopLagMonitor, the whole-run tick→decision histogram, per-venue order/fill
    counters, the AlertSender, the systemd notifier and (when `settings.ops.metrics_port` is set)
    the MetricsServer. `ready` turns True once store, bus and every venue's first book are in."""

    def __init__(self, engine: ObservedEngine) -> None:
        self.engine = engine
        cfg = engine.settings.ops
        self.looplag = LoopLagMonitor(cfg.loop_lag_interval_s)
        self.tick_latency = LogHistogram()  # ns, every applied book update, whole run
        self.game_latency = LogHistogram()  # ns, every live game-state observation, whole run
        self._frame_ns: int | None = None  # perf_counter_ns when the frame being handled came in
        self._stamp_frames()
        self.ticks_by_venue: Counter[str] = Counter()
        self.orders: Counter[tuple[str, str]] = Counter()  # (venue, order status)
        self.fills: Counter[str] = Counter()
        self.stale_marks: Counter[tuple[str, str]] = Counter()  # (venue, reason): feed/gap/disconnect trips
        self.alerts = AlertSender(cfg.alert_urls, dedupe_s=cfg.alert_dedupe_s, per_minute=cfg.alert_per_minute)
        self.health = HealthWatch()
        self.notifier = ServiceNotifier()
        self.ready = False
        self.ready_event = asyncio.Event()  # set with READY=1
        self.loop: asyncio.AbstractEventLoop | None = None
        self.metrics = None
        self._started = time.monotonic()

    # -- hooks -----------------------------------------------------------------------------------
    def on_tick(self, market: Market, received_ns: int) -> None:
        """A book update was applied and evaluated: count it by venue, record frame (or, without a
        frame, message) in → done."""
        self.ticks_by_venue[market.venue.value] += 1
        started = received_ns if self._frame_ns is None else self._frame_ns
        self.tick_latency.record(time.perf_counter_ns() - started)

    def _stamp_frames(self) -> None:
        """Wrap each adapter's book stream `handle_raw` (called as soon as a websocket frame is read,
        before it is decoded) so on_tick measures frame in → evaluated, decoding included; the
        adapters stay untouched. The simulated venue has no frames: its ticks start at on_book."""
        for adapter in self.engine.adapters:
            stream = getattr(adapter, "stream", None)
            handle_raw = getattr(stream, "handle_raw", None)
            if callable(handle_raw):
                stream.handle_raw = self._stamped(handle_raw)

    def _stamped(self, handle_raw):
        def stamped(*args, **kwargs):
            self._frame_ns = time.perf_counter_ns()
            try:
                return handle_raw(*args, **kwargs)
            finally:
                self._frame_ns = None

        return stamped

    def on_book_stale(self, market_id: str, reason: str) -> None:
        """A venue adapter marked a book unusable (disconnect, sequence gap, fetch failure…): count
        it by venue and reason (the reason's first word only, so labels stay few)."""
        self.stale_marks[(self._venue(market_id), (reason.split() or ["unknown"])[0][:40])] += 1

    def on_game_tick(self, received_ns: int) -> None:
        """A live game state was priced and evaluated: record observation in → done."""
        self.game_latency.record(time.perf_counter_ns() - received_ns)

    def on_audit(self, view: AuditView) -> None:
        """Count orders/fills by venue and outcome; alert on the actions in events.AUDIT_ALERTS."""
        if view.action == "order":
            order = self.engine.executor.recent_orders.get(view.entity)
            if order is not None:
                self.orders[(self._venue(order.market_id), order.status.value)] += 1
        elif view.action == "fill":
            parts = view.detail.split()  # "<side> <contracts> <market_id> @ <price> fee <fee>"
            self.fills[self._venue(parts[2]) if len(parts) > 2 else "unknown"] += 1
        alert = audit_alert(view)
        if alert is not None:
            self.alerts.send(alert)

    def on_status(self) -> None:
        """The 1 s status pass: health-transition alerts (once ready) and the systemd STATUS line."""
        if not self.ready:
            return
        for alert in self.health.check(self.engine):
            self.alerts.send(alert)
        self.notifier.status(self.status_line())

    def start(self) -> list:
        """Start the metrics server (if configured); return the coroutines the engine must spawn."""
        self.loop = asyncio.get_running_loop()
        cfg = self.engine.settings.ops
        if cfg.metrics_port is not None:
            from .metrics import MetricsServer

            try:
                self.metrics = MetricsServer(self.engine, self, cfg.metrics_host, cfg.metrics_port)
                log.info("metrics.listening", host=cfg.metrics_host, port=self.metrics.port)
            except OSError as exc:  # a taken port must not stop trading; the operator is told
                log.error("metrics.bind_failed", host=cfg.metrics_host, port=cfg.metrics_port, error=str(exc))
                self.alerts.send(
                    Alert(
                        "metrics_bind_failed",
                        "Metrics not served",
                        f"{cfg.metrics_host}:{cfg.metrics_port}: {exc}",
                        WARNING,
                    )
                )
        jobs = [self.looplag.run(), self._await_ready()]
        if self.notifier.watchdog_s:
            jobs.append(self._watchdog())
        return jobs

    def stopping(self) -> None:
        """Shutdown has begun: STOPPING=1."""
        self.notifier.stopping()

    async def close(self) -> None:
        """Stop the metrics server; deliver queued alerts (off the loop, at most 10 s)."""
        if self.metrics is not None:
            self.metrics.close()
            self.metrics = None
        await asyncio.to_thread(self.alerts.close)

    # -- readiness and watchdog ------------------------------------------------------------------
    def missing(self) -> list[str]:
        """What startup still waits for: "store", "bus", "books:<venue>" or "markets"."""
        engine = self.engine
        wanted = ["store"] * (not engine.store_ok) + ["bus"] * (not engine.bus_ok)
        venues = {m.venue.value for m in engine.registry.markets.values()}
        if not venues:
            wanted.append("markets")
        wanted += [f"books:{v}" for v in sorted(venues) if not self.ticks_by_venue[v]]
        return wanted

    def stale_venues(self) -> list[str]:
        """Venues gone stale (events.stale_venues)."""
        return stale_venues(self.engine)

    def readiness(self) -> tuple[int, str]:
        """(200, "ready") or (503, why) for /readyz: ready, store and bus up, no stale venue."""
        engine = self.engine
        problems = [] if self.ready else ["starting: " + ",".join(self.missing())]
        problems += ["store down"] * (not engine.store_ok) + ["bus down"] * (not engine.bus_ok)
        problems += [f"{v} stale" for v in self.stale_venues()]
        return (503, "not ready: " + "; ".join(problems)) if problems else (200, "ready")

    async def _await_ready(self) -> None:
        """Send READY=1 once nothing is missing, or after settings.ops.ready_timeout_s regardless
        (a day without games has no books: systemd must not time the start out)."""
        timeout = self.engine.settings.ops.ready_timeout_s
        while (missing := self.missing()) and time.monotonic() - self._started < timeout:
            self.notifier.status("starting: waiting for " + ", ".join(missing))
            await asyncio.sleep(READY_POLL_S)
        self.ready = True
        self.ready_event.set()
        note = f" (still no {', '.join(missing)})" if missing else ""
        self.notifier.ready(self.status_line() + note)
        log.info("engine.ready", missing=missing)

    async def _watchdog(self) -> None:
        """WATCHDOG=1 every watchdog_s from this loop: a blocked loop stops the pings."""
        while True:
            self.notifier.watchdog()
            await asyncio.sleep(self.notifier.watchdog_s)

    # -- reading ---------------------------------------------------------------------------------
    def status_line(self) -> str:
        """One ASCII line for systemd's STATUS= (sd_notify takes latin-1 here)."""
        e = self.engine
        return (
            f"mode {e.control.effective_mode.value}, kill {'ON' if e.control.kill_engaged else 'off'}, "
            f"{len(e.registry.games)} games, {len(e.registry.markets)} markets, "
            f"store {'ok' if e.store_ok else 'DOWN'}, bus {'ok' if e.bus_ok else 'DOWN'}, "
            f"loop lag max {self.looplag.max_s * 1000:.1f} ms"
        )

    def status_counts(self) -> dict[str, int]:
        """Counters added to EngineStatus.counts (microseconds for lag)."""
        return {
            "loop_lag_max_us": int(self.looplag.max_s * 1e6),
            "alerts_sent": self.alerts.counts["sent"],
            "alerts_failed": self.alerts.counts["failed"],
        }

    def status_latency(self) -> dict[str, LatencyView]:
        """Whole-run histograms as EngineStatus.latency entries (ms)."""
        out = {}
        for name, hist in (
            ("event_loop_lag", self.looplag.histogram),
            ("tick_all", self.tick_latency),
            ("game_all", self.game_latency),
        ):
            if hist.count:
                s = hist.summary_ms()
                out[name] = LatencyView(p50_ms=s["p50_ms"], p95_ms=s["p95_ms"], p99_ms=s["p99_ms"], count=s["count"])
        return out

    def reconnects(self) -> int:
        """Disconnects seen by the adapters' reconnect policies (0 for the simulated venue)."""
        total = 0
        for adapter in self.engine.adapters:
            for part in (adapter, getattr(adapter, "stream", None)):
                policy = getattr(part, "policy", None)
                total += getattr(policy, "disconnects", 0) if policy is not None else 0
        return total

    def bus_backlog(self) -> int:
        """Bus events queued in memory, not yet written to Redis."""
        publisher = self.engine.publisher
        return publisher.backlog if publisher is not None else 0

    def _venue(self, market_id: str) -> str:
        market = self.engine.registry.markets.get(market_id)
        return market.venue.value if market is not None else market_id.partition(":")[0] or "unknown"
