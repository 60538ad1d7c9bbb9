"""`arbees bench-desk` machinery under a short, smaller load: every event applied, every key press
measured. The speed targets themselves are the benchmark's printed figures (`arbees bench-desk`),
not asserted here: a loaded test machine would make a timing assertion flaky."""

from __future__ import annotations

from arbees_tui.bench import percentiles, report, run_bench
from arbees_tui.cli import main


async def test_bench_applies_every_event_and_measures_every_key():
    result = await run_bench(games=60, markets_per_game=4, rate=200, seconds=1.5, presses=6, size=(120, 40))
    assert result.events_pushed >= 250 and result.events_applied == result.events_pushed
    assert len(result.key_ms) == 6 and all(ms > 0 for ms in result.key_ms)
    assert result.frame_ms and result.paint_ms
    assert "keypress" in report(result, 60, 240, 200)


def test_percentiles():
    p = percentiles([float(i) for i in range(1, 101)])
    assert round(p["p50"], 1) == 50.5 and p["max"] == 100.0
    assert percentiles([]) == {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0}


def test_cli_bench_subcommand_runs(capsys):
    assert main(["bench-desk", "--games", "20", "--markets", "40", "--rate", "50", "--seconds", "1"]) in (0, 1)
    assert "bench-desk: 20 games, 40 markets" in capsys.readouterr().out
