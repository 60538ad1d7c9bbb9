"""Plain-text calibration report card: overall scores, reliability table, per-stratum split, bootstrap."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from .loaders import CalibrationRow
from .metrics import (
    ReliabilityBin,
    bootstrap_bin_gaps,
    bootstrap_brier_diff,
    brier,
    calibration_error,
    log_loss,
    reliability,
)

TOLERANCE = 0.03  # reliability target: |mean p − observed| ≤ 0.03 in bins with ≥ MIN_BIN rows
MIN_BIN = 200


@dataclass(frozen=True, slots=True)
class Scores:
    """Brier, log loss, count-weighted calibration error and reliability bins for one forecast column."""

    n: int
    brier: float
    log_loss: float
    cal_error: float
    bins: list[ReliabilityBin]

    @property
    def failing_bins(self) -> list[ReliabilityBin]:
        """Bins with ≥ MIN_BIN rows whose gap exceeds TOLERANCE."""
        return [b for b in self.bins if b.count >= MIN_BIN and abs(b.gap) > TOLERANCE]


def score(ps: Sequence[float], ys: Sequence[float]) -> Scores:
    """All summary scores for forecasts `ps` against outcomes `ys`."""
    bins = reliability(ps, ys)
    return Scores(len(ps), brier(ps, ys), log_loss(ps, ys), calibration_error(bins), bins)


def print_report(rows: Sequence[CalibrationRow], ps: Sequence[float], reference: str | None, draws: int) -> None:
    """Print the report for model forecasts `ps` on `rows` (and `reference` on the same rows)."""
    ys = [r.outcome for r in rows]
    refs = [r.references[reference] for r in rows] if reference else None
    model = score(ps, ys)
    print(f"rows: {len(rows)}  games: {len({r.game_id for r in rows})}{_context(rows)}")
    _print_scores("model", model)
    if refs is not None:
        _print_scores(f"reference {reference}", score(refs, ys))
    games = [r.game_id for r in rows]
    _print_bins("model", model, bootstrap_bin_gaps(ps, ys, games, draws=draws))
    if refs is not None:
        _print_bins(f"reference {reference}", score(refs, ys), bootstrap_bin_gaps(refs, ys, games, draws=draws))
    _print_strata(rows, ps, refs, ys)
    if refs is not None:
        diff, lo, hi = bootstrap_brier_diff(ps, refs, ys, [r.game_id for r in rows], draws=draws)
        verdict = "better" if hi < 0 else "worse" if lo > 0 else "no significant difference"
        print(
            f"\nBrier(model) − Brier({reference}) = {diff:+.4f}  game-level bootstrap 95% CI "
            f"[{lo:+.4f}, {hi:+.4f}] ({draws} draws): {verdict}"
        )


def _print_scores(label: str, s: Scores) -> None:
    fails = s.failing_bins
    status = (
        "all bins with ≥200 rows within ±0.03"
        if not fails
        else ("bins outside ±0.03: " + ", ".join(f"{b.centre:.2f} ({b.gap:+.3f}, n={b.count})" for b in fails))
    )
    print(f"{label:<28} Brier {s.brier:.4f}  log loss {s.log_loss:.4f}  cal. error {s.cal_error:.4f}  [{status}]")


def _context(rows) -> str:
    """ "  playoff games: 66 (6 at a neutral site)" when the rows carry game context, else ""."""
    games = {r.game_id: r.state for r in rows}
    post = sum(s.postseason for s in games.values())
    neutral = sum(s.neutral_site for s in games.values())
    return f"  playoff games: {post} ({neutral} at a neutral site)" if post or neutral else ""


def failing_bins_beyond_noise(
    ps: Sequence[float], ys: Sequence[float], games: Sequence[str], draws: int = 1000
) -> list[ReliabilityBin]:
    """Failing bins (≥ MIN_BIN rows, |gap| > TOLERANCE) whose game-level bootstrap 95 % CI excludes 0."""
    intervals = bootstrap_bin_gaps(ps, ys, games, draws=draws)
    out = []
    for b in score(ps, ys).failing_bins:
        lo, hi = intervals[round(b.centre / 0.05)]
        if not lo <= 0.0 <= hi:
            out.append(b)
    return out


def _print_bins(label: str, s: Scores, intervals: dict[int, tuple[float, float]]) -> None:
    """Reliability table; the interval is a game-level bootstrap 95 % CI of the gap (0 inside: noise-level)."""
    print(f"\nreliability ({label}): bin   n      mean_p  observed  gap     gap 95% CI (games)")
    for b in s.bins:
        lo, hi = intervals.get(round(b.centre / 0.05), (float("nan"), float("nan")))
        flag = "  <-- outside ±0.03" if b.count >= MIN_BIN and abs(b.gap) > TOLERANCE else ""
        if flag and lo <= 0.0 <= hi:
            flag += " (CI includes 0)"
        print(
            f"  {b.centre:4.2f}  {b.count:6d}  {b.mean_p:6.3f}  {b.observed:6.3f}  {b.gap:+.3f}  "
            f"[{lo:+.3f}, {hi:+.3f}]{flag}"
        )


def _print_strata(
    rows: Sequence[CalibrationRow], ps: Sequence[float], refs: Sequence[float] | None, ys: Sequence[float]
) -> None:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[r.stratum].append(i)
    header = "\nby period:  stratum      n   Brier  log loss"
    print(header + ("   ref Brier  ref log loss" if refs is not None else ""))
    for name in sorted(groups):
        idx = groups[name]
        p, y = [ps[i] for i in idx], [ys[i] for i in idx]
        line = f"  {name:<10} {len(idx):6d}  {brier(p, y):.4f}  {log_loss(p, y):.4f}"
        if refs is not None:
            r = [refs[i] for i in idx]
            line += f"      {brier(r, y):.4f}     {log_loss(r, y):.4f}"
        print(line)
