"""Prometheus metrics, `/healthz` and `/readyz` on one HTTP port (prometheus-client).

The server runs in prometheus-client's threaded WSGI server; a scrape asks the event loop for a
fresh snapshot (`asyncio.run_coroutine_threadsafe`), so the engine's state is only read on the loop
that owns it and the hot path carries no metric calls beyond a few counters in `ops.core`.
A loop that does not answer within `SCRAPE_TIMEOUT_S` makes `/metrics` fail (HTTP 500) and
`/healthz` answer 503. Metric names follow https://prometheus.io/docs/practices/naming/ (units in
the name: `_seconds`, `_dollars`, `_total` for counters).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable
from socketserver import ThreadingMixIn
from typing import Any, Protocol
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from ..model import Sport
from ..telemetry.histogram import LogHistogram, prometheus_bounds
from .health import ObservedEngine, venue_book_ages


class ObservedOperations(Protocol):
    """What the metrics read of the operations hooks (operations.py `Operations` has all of it)."""

    ready: bool
    ticks_by_venue: Counter[str]
    stale_marks: Counter[str]
    orders: Counter[tuple[str, str]]
    fills: Counter[str]
    reconnects: Callable[[], int]
    bus_backlog: Callable[[], int]
    looplag: Any
    tick_latency: LogHistogram
    game_latency: LogHistogram
    alerts: Any
    readiness: Callable[[], Any]
    loop: asyncio.AbstractEventLoop | None


SCRAPE_TIMEOUT_S = 2.0
_BOUNDS = prometheus_bounds()


def _histogram(name: str, doc: str, hist: LogHistogram) -> HistogramMetricFamily:
    """A LogHistogram (ns) as a Prometheus histogram in seconds."""
    cumulative = hist.cumulative(_BOUNDS)
    buckets = [(repr(b / 1e9), n) for b, n in zip(_BOUNDS, cumulative)] + [("+Inf", hist.count)]
    return HistogramMetricFamily(name, doc, buckets=buckets, sum_value=hist.sum_ns / 1e9)


def _labelled(kind, name: str, doc: str, label: str, values: dict) -> object:
    family = kind(name, doc, labels=[label] if isinstance(label, str) else label)
    for key, value in sorted(values.items()):
        family.add_metric([key] if isinstance(label, str) else list(key), float(value))
    return family


def engine_families(engine: ObservedEngine, ops: ObservedOperations) -> list:
    """Every metric family, read from the engine's counters and state now (call on the loop)."""
    return [
        *_trading_counters(engine, ops),
        *_money_gauges(engine),
        *_health_families(engine, ops),
        *_latency_histograms(ops),
        *_operator_families(engine, ops),
    ]


def _trading_counters(engine: ObservedEngine, ops: ObservedOperations) -> list:
    """Feed and trading counters: ticks, book updates and stale marks, signals, rejections, orders, fills."""
    counts = engine.counts
    rejections = dict(engine.trader.gate.rejections)
    rejections.update(engine.input_rejections)
    return [
        _labelled(CounterMetricFamily, "arbees_ticks", "Book updates applied, by venue.", "venue", ops.ticks_by_venue),
        CounterMetricFamily("arbees_book_updates", "Book updates applied.", value=counts["book_updates"]),
        CounterMetricFamily("arbees_game_states", "Game-state observations taken.", value=counts["game_states"]),
        CounterMetricFamily(
            "arbees_book_stale", "Books marked stale (feed watchdog, gap, bad update).", value=counts["book_stale"]
        ),
        _labelled(
            CounterMetricFamily,
            "arbees_book_stale_by_reason",
            "Books marked stale, by venue and reason.",
            ("venue", "reason"),
            ops.stale_marks,
        ),
        _labelled(
            CounterMetricFamily,
            "arbees_signals",
            "Signals by decision.",
            "decision",
            {k.value if hasattr(k, "value") else str(k): v for k, v in engine.signal_book.decisions.items()},
        ),
        _labelled(
            CounterMetricFamily, "arbees_rejections", "Risk and input rejections by reason.", "reason", rejections
        ),
        _labelled(
            CounterMetricFamily, "arbees_orders", "Orders sent, by venue and outcome.", ("venue", "outcome"), ops.orders
        ),
        _labelled(CounterMetricFamily, "arbees_fills", "Fills booked, by venue.", "venue", ops.fills),
        CounterMetricFamily("arbees_reconnects", "Venue/feed reconnects (disconnects seen).", value=ops.reconnects()),
    ]


def _money_gauges(engine: ObservedEngine) -> list:
    """Bankroll gauges in dollars (Decimal in the engine, float here): fees, P&L, equity, cash, exposure."""
    bank = engine.bankroll_view()
    return [
        GaugeMetricFamily("arbees_fees_dollars", "Fees paid, dollars.", value=float(bank.fees)),
        GaugeMetricFamily(
            "arbees_realized_pnl_dollars", "Realized P&L (gross of fees), dollars.", value=float(bank.realized_pnl)
        ),
        GaugeMetricFamily(
            "arbees_unrealized_pnl_dollars", "Unrealized P&L at marks, dollars.", value=float(bank.unrealized_pnl)
        ),
        GaugeMetricFamily("arbees_bankroll_dollars", "Equity, dollars.", value=float(bank.equity)),
        GaugeMetricFamily(
            "arbees_available_dollars", "Cash available for new positions, dollars.", value=float(bank.available)
        ),
        _labelled(
            GaugeMetricFamily,
            "arbees_exposure_dollars",
            "Open exposure at cost, by sport, dollars.",
            "sport",
            {s.value: engine.portfolio.exposure_by_sport(s) for s in Sport},
        ),
    ]


def _health_families(engine: ObservedEngine, ops: ObservedOperations) -> list:
    """Health: book age per venue (seconds), store writer backlog/latency/counts, bus backlog, `arbees_up`."""
    up = GaugeMetricFamily("arbees_up", "1 per healthy part (store, bus, ready).", labels=["part"])
    for part, ok in (("store", engine.store_ok), ("bus", engine.bus_ok), ("ready", ops.ready)):
        up.add_metric([part], float(ok))
    return [
        _labelled(
            GaugeMetricFamily,
            "arbees_book_age_seconds",
            "Seconds since the venue's freshest usable book changed (engine clock); -1: none yet.",
            "venue",
            {v: (-1.0 if a is None else a) for v, a in venue_book_ages(engine, engine.clock()).items()},
        ),
        GaugeMetricFamily("arbees_store_backlog", "Store writes waiting.", value=engine.writer.backlog),
        _histogram(
            "arbees_store_write_seconds",
            "Run time of each store write batch (PostgreSQL round trips).",
            engine.writer.latency.histogram("store_write"),
        ),
        _histogram(
            "arbees_store_lag_seconds", "Store write queued → committed.", engine.writer.latency.histogram("store_lag")
        ),
        CounterMetricFamily("arbees_store_written", "Store writes done.", value=engine.writer.written),
        CounterMetricFamily("arbees_store_dropped", "Store writes dropped (queue full).", value=engine.writer.dropped),
        GaugeMetricFamily("arbees_bus_backlog", "Bus events waiting to be flushed to Redis.", value=ops.bus_backlog()),
        up,
    ]


def _latency_histograms(ops: ObservedOperations) -> list:
    """Latency histograms in seconds: event-loop lag, book message → decision, game state → decision."""
    return [
        _histogram(
            "arbees_event_loop_lag_seconds",
            "Lateness of a fixed-interval sleep (event-loop lag).",
            ops.looplag.histogram,
        ),
        _histogram(
            "arbees_tick_to_decision_seconds", "Book message in → evaluated, on every book update.", ops.tick_latency
        ),
        _histogram(
            "arbees_game_to_decision_seconds", "Live game state in → evaluated, on every observation.", ops.game_latency
        ),
    ]


def _operator_families(engine: ObservedEngine, ops: ObservedOperations) -> list:
    """Operator signals: alerts by outcome and whether the kill switch is engaged (0/1)."""
    return [
        _labelled(CounterMetricFamily, "arbees_alerts", "Operator alerts by outcome.", "outcome", ops.alerts.counts),
        GaugeMetricFamily(
            "arbees_kill_engaged", "1 while the kill switch is engaged.", value=float(engine.control.kill_engaged)
        ),
    ]


class _LoopCollector:
    """A prometheus-client Collector that builds the families on the engine's loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, engine: ObservedEngine, ops: ObservedOperations) -> None:
        self.loop, self.engine, self.ops = loop, engine, ops

    async def _families(self) -> list:
        return engine_families(self.engine, self.ops)

    def collect(self):
        """Called by prometheus-client on the server thread; raises TimeoutError if the loop is stuck."""
        future = asyncio.run_coroutine_threadsafe(self._families(), self.loop)
        return iter(future.result(timeout=SCRAPE_TIMEOUT_S))


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - stdlib signature; scrapes are not news
        pass


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class MetricsServer:
    """Serves /metrics, /healthz and /readyz on host:port (port 0 picks a free one, see `.port`)."""

    def __init__(self, engine: ObservedEngine, ops: ObservedOperations, host: str, port: int) -> None:
        self.engine, self.ops = engine, ops
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_LoopCollector(asyncio.get_running_loop(), engine, ops))
        self._metrics_app = make_wsgi_app(self.registry)
        self._server = make_server(host, port, self._app, _ThreadingServer, handler_class=_QuietHandler)
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="arbees-metrics", daemon=True)
        self._thread.start()

    def _app(self, environ, start_response):
        path = environ.get("PATH_INFO", "/")
        if path == "/healthz":  # alive: the event loop answers
            return self._plain(start_response, *self._on_loop(lambda: (200, "ok")))
        if path == "/readyz":  # store, bus and every venue's books up
            return self._plain(start_response, *self._on_loop(self.ops.readiness))
        return self._metrics_app(environ, start_response)

    def _on_loop(self, probe) -> tuple[int, str]:
        """Run `probe()` → (code, text) on the engine's loop; 503 when the loop does not answer."""

        async def call():
            return probe()

        future = asyncio.run_coroutine_threadsafe(call(), self.ops.loop)
        try:
            return future.result(timeout=SCRAPE_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - TimeoutError or a closed loop: either way not alive
            future.cancel()
            return 503, f"event loop did not answer within {SCRAPE_TIMEOUT_S} s"

    @staticmethod
    def _plain(start_response, code: int, text: str):
        status = {200: "200 OK", 503: "503 Service Unavailable"}[code]
        start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
        return [(text + "\n").encode()]

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2.0)
