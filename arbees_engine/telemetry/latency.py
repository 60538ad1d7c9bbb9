"""Per-stage latency recorder: percentiles over a sliding window of the latest samples.

Stages used by the engine: "book" (venue message received → book applied), "pricing",
"strategy", "risk", and "tick_to_decision" (message received → risk decision). Milliseconds.
`percentiles()` covers the latest `window` samples (the live view); `whole_run()` every sample
since start, from a constant-memory log histogram (telemetry/histogram.py).
"""

from __future__ import annotations

import time
from collections import deque

from ..bus.messages import LatencyView
from .histogram import LogHistogram


class LatencyRecorder:
    """Keeps the last `window` samples per stage (nanoseconds) and reports p50/p95/p99 in ms."""

    def __init__(self, window: int = 4096) -> None:
        self.window = window
        self._samples: dict[str, deque[int]] = {}
        self._whole: dict[str, LogHistogram] = {}

    def record(self, stage: str, started_ns: int, ended_ns: int | None = None) -> None:
        """Record one duration for `stage`; `ended_ns` defaults to now (time.perf_counter_ns)."""
        end = time.perf_counter_ns() if ended_ns is None else ended_ns
        bucket = self._samples.get(stage)
        if bucket is None:
            bucket = self._samples[stage] = deque(maxlen=self.window)
        bucket.append(end - started_ns)
        whole = self._whole.get(stage)
        if whole is None:
            whole = self._whole[stage] = LogHistogram()
        whole.record(end - started_ns)

    def histogram(self, stage: str) -> LogHistogram:
        """The whole-run histogram of `stage` (ns); an empty one if the stage was never recorded."""
        return self._whole.get(stage) or LogHistogram()

    def whole_run(self) -> dict[str, dict[str, float | int]]:
        """Stage → LogHistogram.summary_ms() over every sample since start (ms)."""
        return {stage: hist.summary_ms() for stage, hist in self._whole.items()}

    def percentiles(self) -> dict[str, LatencyView]:
        """Stage → LatencyView(p50_ms, p95_ms, p99_ms, count) by nearest-rank percentile."""
        out = {}
        for stage, samples in self._samples.items():
            if not samples:
                continue
            ordered = sorted(samples)
            n = len(ordered)

            def rank(q: float) -> float:
                return ordered[min(n - 1, max(0, int(q * n + 0.999999) - 1))] / 1e6

            out[stage] = LatencyView(
                p50_ms=round(rank(0.50), 4), p95_ms=round(rank(0.95), 4), p99_ms=round(rank(0.99), 4), count=n
            )
        return out
