"""Whole-run latency histogram with fixed log-spaced buckets: every sample counts, memory is constant.

Buckets grow by a factor of 2**(1/4) (about 19 %) from 1 µs to about 68 s, so a percentile read from
a bucket's upper bound overstates the true value by at most 19 %. This replaces a sliding window for
figures that must cover a whole run (issue 16: the 4,096-sample ring hid all but the last seconds).
"""

from __future__ import annotations

import bisect

_FACTOR = 2**0.25
# Upper bounds in nanoseconds: 1 µs · 2^(k/4) for k = 0..103 (~ 68 s); the last bucket is open.
BOUNDS_NS: tuple[int, ...] = tuple(int(1_000 * _FACTOR**k) for k in range(104))


class LogHistogram:
    """Counts durations (nanoseconds) into BOUNDS_NS buckets; reports percentiles, max and mean.

    `record(ns)` is O(log buckets) and allocates nothing. Negative durations count as 0.
    """

    __slots__ = ("count", "counts", "max_ns", "sum_ns")

    def __init__(self) -> None:
        self.counts = [0] * (len(BOUNDS_NS) + 1)
        self.count = 0
        self.sum_ns = 0
        self.max_ns = 0

    def record(self, ns: int) -> None:
        """Add one duration in nanoseconds."""
        ns = max(0, ns)
        self.counts[bisect.bisect_left(BOUNDS_NS, ns)] += 1
        self.count += 1
        self.sum_ns += ns
        if ns > self.max_ns:
            self.max_ns = ns

    def percentile_ns(self, q: float) -> int:
        """Nearest-rank percentile (q in 0..1) as the containing bucket's upper bound, capped at the
        observed max; 0 when empty."""
        if not self.count:
            return 0
        rank = max(1, int(q * self.count + 0.999999))
        seen = 0
        for index, n in enumerate(self.counts):
            seen += n
            if seen >= rank:
                bound = BOUNDS_NS[index] if index < len(BOUNDS_NS) else self.max_ns
                return min(bound, self.max_ns)
        return self.max_ns

    def cumulative(self, bounds_ns: tuple[int, ...]) -> list[int]:
        """Cumulative counts at each of `bounds_ns` (each must be one of BOUNDS_NS), for Prometheus
        `le` buckets; the +Inf bucket is `count`."""
        out, seen, index = [], 0, 0
        for bound in bounds_ns:
            stop = BOUNDS_NS.index(bound)
            while index <= stop:
                seen += self.counts[index]
                index += 1
            out.append(seen)
        return out

    def summary_ms(self) -> dict[str, float | int]:
        """{"p50_ms", "p95_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms", "count"} (milliseconds)."""
        mean = self.sum_ns / self.count if self.count else 0
        return {
            "p50_ms": round(self.percentile_ns(0.50) / 1e6, 4),
            "p95_ms": round(self.percentile_ns(0.95) / 1e6, 4),
            "p99_ms": round(self.percentile_ns(0.99) / 1e6, 4),
            "p999_ms": round(self.percentile_ns(0.999) / 1e6, 4),
            "max_ms": round(self.max_ns / 1e6, 4),
            "mean_ms": round(mean / 1e6, 4),
            "count": self.count,
        }


def prometheus_bounds(step: int = 8) -> tuple[int, ...]:
    """Every `step`-th bound (default: a factor of 4 apart, 1 µs … 16 s) for exposition."""
    return BOUNDS_NS[::step]
