"""`arbees-engine`: run the engine, inspect it, and control it from the shell.

Subcommands: run, record, status, kill, resume, mode, operator, migrate, doctor, calibrate, fit, bench-reconnect,
bench-frames.
kill, resume and mode are signed with an operator key (`operator add NAME`; bus/signing.py). Settings come from
`ARBEES_*` variables and the TOML config file (see arbees_engine.settings). Exit codes: 0 ok,
1 failure (message on stderr), 2 usage error, 3 engine not reachable / command not acknowledged.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import date
from pathlib import Path

from . import __version__, operator_cli
from .settings import LiveFromFileRefused, Settings


def _speed(text: str) -> float | None:
    if text == "max":
        return None
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("speed must be > 0 or 'max'")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree for every subcommand."""
    parser = argparse.ArgumentParser(prog="arbees-engine", description="Arbees trading engine (headless daemon).")
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("--instance", help="engine instance name (default: settings / 'default')")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_run(sub)
    _add_record(sub)
    bench = sub.add_parser("bench-reconnect", help="reconnect-time percentiles against a local websocket server")
    bench.add_argument("--n", type=int, default=50, help="forced disconnects (default 50)")
    bench.add_argument("--json", action="store_true", help="print the numbers as JSON")
    _add_bench_frames(sub)
    _add_control(sub)
    operator_cli.add_parser(sub)
    sub.add_parser("migrate", help="apply database migrations (idempotent)")
    _add_report(sub)
    doctor = sub.add_parser("doctor", help="check settings, key files, servers, venues and the clock")
    doctor.add_argument(
        "--venue",
        default="kalshi,polymarket,espn",
        help="endpoints to try: comma list of kalshi, polymarket, espn; 'none' for none",
    )
    _add_bench(sub)
    sub.add_parser("calibrate", help="win-probability report card", add_help=False)
    sub.add_parser("fit", help="refit model parameters", add_help=False)
    return parser


def _add_run(sub) -> None:  # noqa: ANN001 - argparse's subparsers action
    """`run` options."""
    run = sub.add_parser("run", help="run the trading pipeline")
    run.add_argument("--venue", default="sim", help="'sim' or a comma list of 'kalshi,polymarket'")
    run.add_argument("--feed", default=None, help="game feed: 'sim' (default with --venue sim) or 'espn'")
    run.add_argument("--seed", type=int, default=1, help="simulation seed (deterministic per seed)")
    run.add_argument("--speed", type=_speed, default=1.0, help="simulation speed factor, or 'max'")
    run.add_argument("--for", dest="duration", type=float, default=None, help="stop after SECONDS (wall clock)")
    run.add_argument("--games", type=int, default=8, help="simulated concurrent games")
    run.add_argument("--mode", choices=["auto", "manual"], help="trading mode at start (a persisted kill still wins)")
    run.add_argument(
        "--replay",
        help="replay a recording (from `record`) instead of connecting to venues; "
        "--speed paces it (default 1.0 = as recorded, 'max' = as fast as possible)",
    )
    run.add_argument("--json-summary", action="store_true", help="print the exit summary as JSON")
    run.add_argument(
        "--fresh-book",
        action="store_true",
        help="--venue sim only: start from an empty book (drops and recreates the embedded database; "
        "refused with ARBEES_DATABASE_URL)",
    )


def _add_record(sub) -> None:  # noqa: ANN001 - argparse's subparsers action
    """`record` options."""
    record = sub.add_parser("record", help="run the engine on real venues and record every raw message")
    record.add_argument("--out", required=True, help="recording file (appended to; created if missing)")
    record.add_argument("--venue", default="kalshi,polymarket", help="comma list of 'kalshi,polymarket'")
    record.add_argument("--feed", default="espn", help="game feed ('espn')")
    record.add_argument("--for", dest="duration", type=float, default=None, help="stop after SECONDS (wall clock)")
    record.add_argument(
        "--mode", choices=["auto", "manual"], help="trading mode at start (paper unless live is authorised)"
    )
    record.add_argument("--json-summary", action="store_true", help="print the exit summary as JSON")


def _add_control(sub) -> None:  # noqa: ANN001 - argparse's subparsers action
    """`status` and the signed commands `kill`, `resume`, `mode`."""
    status = sub.add_parser("status", help="show the running engine's state from Redis")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    kill = sub.add_parser("kill", help="engage the kill switch (stops new orders at once)")
    kill.add_argument("--reason", required=True)
    key_help = "sign with this operator key (default: the only key, or the login user's)"
    kill.add_argument("--operator", default=None, help=key_help)
    resume = sub.add_parser("resume", help="lift the kill switch")
    resume.add_argument("--operator", default=None, help=key_help)
    mode = sub.add_parser("mode", help="switch trading mode")
    mode.add_argument("mode", choices=["auto", "manual"])
    mode.add_argument("--operator", default=None, help=key_help)


def _add_report(sub) -> None:  # noqa: ANN001 - argparse's subparsers action
    """`report` options."""
    report = sub.add_parser("report", help="fills, orders and daily P&L from the store for a UTC date range")
    report.add_argument(
        "--from", dest="start", type=date.fromisoformat, default=None, help="first UTC day, YYYY-MM-DD (default: today)"
    )
    report.add_argument(
        "--to", dest="end", type=date.fromisoformat, default=None, help="last UTC day, YYYY-MM-DD (default: --from)"
    )
    report.add_argument(
        "--csv",
        type=Path,
        default=None,
        metavar="DIR",
        help="also write fills.csv, orders.csv and daily_pnl.csv into DIR",
    )


def _add_bench(sub) -> None:  # noqa: ANN001 - argparse's subparsers action
    """`bench` options."""
    bench = sub.add_parser("bench", help="hot-path throughput and per-stage latency on the simulated world")
    bench.add_argument("--games", type=int, default=50)
    bench.add_argument("--sim-seconds", type=int, default=1800)
    bench.add_argument("--seed", type=int, default=1)
    bench.add_argument("--json", action="store_true")
    bench.add_argument(
        "--store",
        action="store_true",
        help="store writer bench: run the sim in wall-clock time "
        "at --speed for --for seconds against a private PostgreSQL; print the writer's figures",
    )
    bench.add_argument("--speed", type=float, default=10.0, help="--store: simulation speed factor (default 10)")
    bench.add_argument("--for", dest="duration", type=float, default=60.0, help="--store: wall seconds (default 60)")


def _add_bench_frames(sub) -> None:  # noqa: ANN001 - argparse's subparsers action
    """`bench-frames` options (as `ops.bench_frames.add_arguments`, without importing the adapters)."""
    frames = sub.add_parser(
        "bench-frames", help="recorded + hostile frames through every parser: rejections, worst frame time"
    )
    frames.add_argument("--fixtures", type=Path, default=None, help="recorded payloads (default ../shared/fixtures)")
    frames.add_argument("--paths", type=int, default=12, help="fields mutated per recorded payload (default 12)")
    frames.add_argument("--seed", type=int, default=11)
    frames.add_argument("--json", action="store_true", help="print the figures as JSON")


FINDS_ENGINE = ("status", "kill", "resume", "mode", "report")


def _find_instance(settings: Settings, args: argparse.Namespace) -> Settings:
    """For the commands that talk to a running engine: with no instance named (--instance,
    $ARBEES_INSTANCE) and no Redis configured, the only running engine's instance when the
    default has no record (e.g. `./dev demo`'s "demo"), said on stderr."""
    if args.command not in FINDS_ENGINE or args.instance or "ARBEES_INSTANCE" in os.environ:
        return settings
    if settings.redis_url is not None:
        return settings
    from .bus.discovery import resolve_instance

    found = resolve_instance(settings.instance, explicit=False)
    if found == settings.instance:
        return settings
    print(f"instance {found!r} (the only running engine; --instance NAME picks another)", file=sys.stderr)
    return settings.model_copy(update={"instance": found})


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `arbees-engine` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("calibrate", "fit"):
        from .calibration.cli import calibrate_main, fit_main

        return (calibrate_main if argv[0] == "calibrate" else fit_main)(argv[1:])
    args = build_parser().parse_args(argv)
    from .logs import configure_logging

    configure_logging()
    early = _without_settings(args)
    if early is not None:
        return early
    try:
        settings = Settings(**({"instance": args.instance} if args.instance else {}))
    except LiveFromFileRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = _find_instance(settings, args)
    from . import cli_commands as commands

    handler = {
        "run": commands.cmd_run,
        "record": commands.cmd_record,
        "status": commands.cmd_status,
        "kill": commands.cmd_kill,
        "resume": commands.cmd_resume,
        "mode": commands.cmd_mode,
        "migrate": commands.cmd_migrate,
        "bench": commands.cmd_bench,
        "operator": operator_cli.cmd_operator,
        "report": commands.cmd_report,
    }[args.command]
    from .adapters.kalshi.auth import KalshiAuthError
    from .secret_files import UnsafeSecretFile

    try:
        return asyncio.run(handler(settings, args))
    except KeyboardInterrupt:
        return 130
    except (UnsafeSecretFile, KalshiAuthError) as exc:  # a key or password file that is not private
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _without_settings(args: argparse.Namespace) -> int | None:
    """Run the subcommands that need no engine settings (bench-frames, bench-reconnect, doctor);
    their exit code, or None for every other subcommand."""
    if args.command == "bench-frames":
        from .ops.bench_frames import run_cli

        return run_cli(args)
    if args.command == "bench-reconnect":
        from .ops.bench_reconnect import bench_reconnect

        if args.n < 1:
            print("--n must be at least 1", file=sys.stderr)
            return 2
        result = bench_reconnect(args.n)
        if args.json:
            print(json.dumps(result))
        return 0
    if args.command == "doctor":  # loads the settings itself: reporting a bad one is its job
        from .ops.doctor import format_findings, run_doctor

        found = asyncio.run(run_doctor([v.strip() for v in args.venue.split(",") if v.strip() not in ("", "none")]))
        print(format_findings(found))
        return 1 if any(f.level == "FAIL" for f in found) else 0
    return None


if __name__ == "__main__":
    sys.exit(main())
