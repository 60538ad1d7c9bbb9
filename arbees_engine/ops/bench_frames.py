"""Frame benchmark: recorded venue/feed payloads and hostile mutations of them, pushed through
every parser's real boundary and into order books, one frame at a time, timed.

Parsers and their boundaries (what the engine runs):
  kalshi-ws       KalshiBookStream.handle_raw            (primed: subscribed, snapshot before a delta)
  polymarket-ws   PolymarketBookStream.handle_raw        (primed: a book for every asset named)
  kalshi-rest     wire.decode_json_off_loop + KalshiRestVenue._guarded (markets, event, orderbook, trades)
  polymarket-rest wire.decode_json_off_loop + PolymarketRestVenue._guarded (events, market, book, history, midpoint)
  espn            wire.decode_json_off_loop + EspnFeed.take       (scoreboards; summaries via parse_summary)
Each book that comes out is applied to an `OrderBook` and walked in whole contracts on both sides
(`model.depth.walk`), the path a "1e1000000" size once froze for 78 s.

Each frame runs on an event loop beside a heartbeat task; REST/ESPN bodies over 64 KiB are decoded
in a worker thread as `http.get_json` does. Prints frames per parser, rejections by reason,
exceptions that escaped a boundary (must be 0), the largest single-frame wall and CPU time, and
the largest event-loop stall (the longest the heartbeat could not run: target < 50 ms per path).
Run: `arbees-engine bench-frames [--paths N] [--fixtures DIR] [--json]` or
`python -m arbees_engine.ops.bench_frames`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import json
import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..adapters.hostile import raw_mutations, value_mutations
from .frame_cases import Case, FrameSink, cases

TARGET_MS = 50.0


@dataclass(frozen=True)
class FrameOutcome:
    """One frame through one boundary: wall-clock and CPU seconds taken (CPU of every thread, so a
    body decoded off the loop counts; it excludes waiting for a busy core), the exception type that
    escaped (None is the only acceptable value), how many counted outcomes it left (0 = silently
    dropped), `stall_s`: the longest time the event loop could not run meanwhile, and `stall_cpu_s`:
    the CPU the process spent in that kind of gap (the stall on an idle machine)."""

    elapsed_s: float
    escaped: str | None
    traces: int
    cpu_s: float = 0.0
    stall_s: float = 0.0
    stall_cpu_s: float = 0.0


#: The heartbeat's tick: a stall is measured as the longest gap between its wake-ups, so a figure
#: includes up to one tick of idle time (an upper bound of the real stall).
HEARTBEAT_S = 0.0005


class _Heartbeat:
    """A task waking every HEARTBEAT_S on the loop; `longest` is the largest gap between wake-ups
    in wall time, `longest_cpu` the most CPU the process spent within one gap (the work that held
    the loop or the GIL, without the time a loaded machine kept the process off every core)."""

    def __init__(self) -> None:
        self.last, self.last_cpu = time.perf_counter(), time.process_time()
        self.longest = self.longest_cpu = 0.0

    async def beat(self) -> None:
        while True:
            self.last, self.last_cpu = time.perf_counter(), time.process_time()
            await asyncio.sleep(HEARTBEAT_S)
            self._close()

    def _close(self) -> None:
        self.longest = max(self.longest, time.perf_counter() - self.last)
        self.longest_cpu = max(self.longest_cpu, time.process_time() - self.last_cpu)

    def gaps(self) -> tuple[float, float]:
        """The longest gap so far (wall, CPU seconds), counting the one still open."""
        self._close()
        return self.longest, self.longest_cpu


async def _on_loop(case: Case, raw: str | bytes, sink: FrameSink) -> tuple[int, tuple[float, float]]:
    heart = _Heartbeat()
    beat = asyncio.create_task(heart.beat())
    await asyncio.sleep(0)  # the heartbeat starts ticking before the frame
    try:
        moved = case.handle(raw, sink)
        if inspect.isawaitable(moved):
            moved = await moved
        return moved, heart.gaps()
    finally:
        beat.cancel()


_LOOP: list[asyncio.AbstractEventLoop] = []


def _loop() -> asyncio.AbstractEventLoop:
    """One event loop for every frame of this process (the engine's loop, in the benchmark)."""
    if not _LOOP or _LOOP[0].is_closed():
        _LOOP[:] = [asyncio.new_event_loop()]
    return _LOOP[0]


def run_frame(case: Case, raw: str | bytes, sink: FrameSink) -> FrameOutcome:
    """Push `raw` through `case`'s boundary into `sink` on an event loop, timed with perf_counter
    (wall), process_time (CPU) and a heartbeat task (the loop's longest stall). Call it from
    synchronous code (no loop running in this thread)."""
    before = sink.trace()
    started, cpu = time.perf_counter(), time.process_time()
    stall = stall_cpu = 0.0
    try:
        moved, (stall, stall_cpu) = _loop().run_until_complete(_on_loop(case, raw, sink))
        escaped = None
    except Exception as exc:  # noqa: BLE001 - measured, not hidden: every escape is reported
        moved, escaped = 0, type(exc).__name__
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    return FrameOutcome(
        elapsed,
        escaped,
        sink.trace() - before + moved,
        cpu,
        stall if escaped is None else elapsed,
        stall_cpu if escaped is None else cpu,
    )


def frames(case: Case, rng: random.Random, max_paths: int) -> Iterator[tuple[str, str | bytes]]:
    """The recorded frame, then hostile values at up to `max_paths` of its paths, then raw damage."""
    yield "recorded", json.dumps(case.payload)
    yield from value_mutations(case.payload, rng, max_paths)
    yield from raw_mutations(case.payload)


@dataclass
class Report:
    """What `run` measured: frames per parser, rejections by reason, escapes, worst times (ms)."""

    frames: Counter = field(default_factory=Counter)
    rejections: Counter = field(default_factory=Counter)
    escaped: Counter = field(default_factory=Counter)
    silent: Counter = field(default_factory=Counter)
    max_ms: dict[str, float] = field(default_factory=dict)
    worst: tuple[float, str] = (0.0, "")
    worst_cpu: tuple[float, str] = (0.0, "")
    wall_ms: list[float] = field(default_factory=list)
    stall_ms: dict[str, float] = field(default_factory=dict)
    stall_cpu_ms: dict[str, float] = field(default_factory=dict)
    cpu_ms: dict[str, float] = field(default_factory=dict)
    worst_stall: tuple[float, str] = (0.0, "")

    def add(self, case: Case, label: str, outcome: FrameOutcome) -> None:
        """Fold one frame's outcome in."""
        ms, cpu_ms = outcome.elapsed_s * 1000, outcome.cpu_s * 1000
        self.wall_ms.append(ms)
        if cpu_ms > self.worst_cpu[0]:
            self.worst_cpu = (cpu_ms, f"{case.parser} {case.name} {label}")
        self.frames[case.parser] += 1
        if outcome.escaped:
            self.escaped[f"{case.parser}:{outcome.escaped}"] += 1
        if outcome.traces == 0:
            self.silent[case.parser] += 1
        self.max_ms[case.parser] = max(self.max_ms.get(case.parser, 0.0), ms)
        self.cpu_ms[case.parser] = max(self.cpu_ms.get(case.parser, 0.0), cpu_ms)
        stall_ms = outcome.stall_s * 1000
        self.stall_ms[case.parser] = max(self.stall_ms.get(case.parser, 0.0), stall_ms)
        self.stall_cpu_ms[case.parser] = max(self.stall_cpu_ms.get(case.parser, 0.0), outcome.stall_cpu_s * 1000)
        if stall_ms > self.worst_stall[0]:
            self.worst_stall = (stall_ms, f"{case.parser} {case.name} {label}")
        if ms > self.worst[0]:
            self.worst = (ms, f"{case.parser} {case.name} {label}")

    def as_dict(self) -> dict:
        """JSON-ready figures."""
        return {
            "frames": dict(self.frames),
            "frames_total": sum(self.frames.values()),
            "rejections": dict(self.rejections),
            "escaped": dict(self.escaped),
            "silent": dict(self.silent),
            "max_ms": self.max_ms,
            "worst_ms": self.worst[0],
            "worst_frame": self.worst[1],
            "worst_cpu_ms": self.worst_cpu[0],
            "worst_cpu_frame": self.worst_cpu[1],
            "max_cpu_ms": self.cpu_ms,
            "max_stall_ms": self.stall_ms,
            "max_stall_cpu_ms": self.stall_cpu_ms,
            "worst_stall_ms": self.worst_stall[0],
            "worst_stall_frame": self.worst_stall[1],
            "p50_ms": self.percentile(50),
            "p99_ms": self.percentile(99),
            "target_ms": TARGET_MS,
        }

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile of the frames' wall-clock times (ms)."""
        ordered = sorted(self.wall_ms)
        return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered)) - 1))] if ordered else 0.0


def run(fixtures: Path, max_paths: int = 12, seed: int = 11) -> Report:
    """Every case of `cases(fixtures)` × `frames(...)`, each frame into a fresh FrameSink."""
    rng, report = random.Random(seed), Report()
    all_cases = cases(fixtures)
    gc.collect()
    gc.freeze()  # the fixtures and modules: later collections need not walk them again
    for case in all_cases:
        for label, raw in frames(case, rng, max_paths):
            sink = FrameSink()
            report.add(case, label, run_frame(case, raw, sink))
            report.rejections.update(sink.rejects)
    gc.unfreeze()
    return report


def print_report(report: Report) -> None:
    """Human-readable figures on stdout."""
    total = sum(report.frames.values())
    print(f"frames: {total} ({', '.join(f'{p} {n}' for p, n in sorted(report.frames.items()))})")
    print(
        "largest single-frame time per parser: "
        + ", ".join(f"{p} {ms:.2f} ms" for p, ms in sorted(report.max_ms.items()))
    )
    verdict = "within" if report.worst[0] < TARGET_MS else "OVER"
    print(
        f"largest single frame: {report.worst[0]:.2f} ms wall ({verdict} the {TARGET_MS:.0f} ms target): {report.worst[1]}"  # noqa: E501
    )
    print(f"largest single frame CPU time: {report.worst_cpu[0]:.2f} ms: {report.worst_cpu[1]}")
    print(
        "largest event-loop stall per parser: "
        + ", ".join(f"{p} {ms:.2f} ms" for p, ms in sorted(report.stall_ms.items()))
    )
    print(
        "largest event-loop stall per parser, CPU spent in it (the stall on an idle machine): "
        + ", ".join(f"{p} {ms:.2f} ms" for p, ms in sorted(report.stall_cpu_ms.items()))
    )
    print("largest CPU time per parser: " + ", ".join(f"{p} {ms:.2f} ms" for p, ms in sorted(report.cpu_ms.items())))
    print(f"largest event-loop stall: {report.worst_stall[0]:.2f} ms wall: {report.worst_stall[1]}")
    worst_cpu_stall = max(report.stall_cpu_ms.values(), default=0.0)
    verdict = "within" if worst_cpu_stall < TARGET_MS else "OVER"
    print(
        f"largest event-loop stall in CPU: {worst_cpu_stall:.2f} ms ({verdict} the {TARGET_MS:.0f} ms target on every path)"  # noqa: E501
    )
    print(f"frame time p50 {report.percentile(50):.3f} ms, p99 {report.percentile(99):.3f} ms")
    print(f"exceptions escaping a boundary: {sum(report.escaped.values())} {dict(report.escaped) or ''}")
    print(f"frames leaving no counted trace: {sum(report.silent.values())} {dict(report.silent) or ''}")
    print(f"rejections by reason ({sum(report.rejections.values())}):")
    for reason, count in report.rejections.most_common():
        print(f"  {count:7d}  {reason}")


def default_fixtures() -> Path:
    """$ARBEES_FIXTURES, else ../shared/fixtures beside the working directory or the checkout."""
    candidates = [
        os.environ.get("ARBEES_FIXTURES"),
        Path.cwd().parent / "shared" / "fixtures",
        Path(__file__).resolve().parents[3] / "shared" / "fixtures",
    ]
    return next((Path(c) for c in candidates if c and Path(c).is_dir()), Path("../shared/fixtures"))


def _quiet_logs() -> None:
    """Render logs as the engine does (so their cost is measured) but into /dev/null."""
    import structlog

    from ..logs import configure_logging

    configure_logging()
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=open(os.devnull, "w")))  # noqa: SIM115


def main(argv: list[str] | None = None) -> int:
    """CLI: run the benchmark and print (or --json) its figures. Exit 2 without fixtures."""
    parser = argparse.ArgumentParser(prog="arbees-engine bench-frames", description=__doc__.splitlines()[0])
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run_cli(args)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--fixtures, --paths, --seed, --json (the same options `arbees-engine bench-frames` takes)."""
    parser.add_argument("--fixtures", type=Path, default=None, help="recorded payloads (default ../shared/fixtures)")
    parser.add_argument("--paths", type=int, default=12, help="fields mutated per recorded payload (default 12)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")


def run_cli(args: argparse.Namespace) -> int:
    """Run with parsed `add_arguments` options."""
    fixtures = args.fixtures or default_fixtures()
    if not fixtures.is_dir():
        print(f"no recorded payloads at {fixtures} (pass --fixtures DIR)")
        return 2
    _quiet_logs()
    report = run(fixtures, max_paths=max(1, args.paths), seed=args.seed)
    print(json.dumps(report.as_dict(), indent=2) if args.json else "", end="" if not args.json else "\n")
    if not args.json:
        print_report(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
