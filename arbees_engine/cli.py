"""`arbees-engine`: run the engine, inspect it, and control it from the shell.

Subcommands: run, record, status, kill, resume, mode, migrate, calibrate, fit, bench-reconnect. Settings come from
`ARBEES_*` variables and the TOML config file (see arbees_engine.settings). Exit codes: 0 ok,
1 failure (message on stderr), 2 usage error, 3 engine not reachable / command not acknowledged.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys

from . import __version__
from .settings import LiveFromFileRefused, Settings


def _speed(text: str) -> float | None:
    if text == "max":
        return None
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("speed must be > 0 or 'max'")
    return value


def _operator() -> str:
    return os.environ.get("ARBEES_OPERATOR") or getpass.getuser()


def build_parser() -> argparse.ArgumentParser:
    """The argparse tree for every subcommand."""
    parser = argparse.ArgumentParser(prog="arbees-engine", description="Arbees trading engine (headless daemon).")
    parser.add_argument("--version", action="version", version=__version__)
    parser.add_argument("--instance", help="engine instance name (default: settings / 'default')")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the trading pipeline")
    run.add_argument("--venue", default="sim", help="'sim' or a comma list of 'kalshi,polymarket'")
    run.add_argument("--feed", default=None, help="game feed: 'sim' (default with --venue sim) or 'espn'")
    run.add_argument("--seed", type=int, default=1, help="simulation seed (deterministic per seed)")
    run.add_argument("--speed", type=_speed, default=1.0, help="simulation speed factor, or 'max'")
    run.add_argument("--for", dest="duration", type=float, default=None, help="stop after SECONDS (wall clock)")
    run.add_argument("--games", type=int, default=8, help="simulated concurrent games")
    run.add_argument("--mode", choices=["auto", "manual"], help="trading mode at start (a persisted kill still wins)")
    run.add_argument("--replay", help="replay a recording (from `record`) instead of connecting to venues; "
                     "--speed paces it (default 1.0 = as recorded, 'max' = as fast as possible)")
    run.add_argument("--json-summary", action="store_true", help="print the exit summary as JSON")
    run.add_argument("--fresh-book", action="store_true",
                     help="--venue sim only: start from an empty book (drops and recreates the embedded database; "
                     "refused with ARBEES_DATABASE_URL)")

    record = sub.add_parser("record", help="run the engine on real venues and record every raw message")
    record.add_argument("--out", required=True, help="recording file (appended to; created if missing)")
    record.add_argument("--venue", default="kalshi,polymarket", help="comma list of 'kalshi,polymarket'")
    record.add_argument("--feed", default="espn", help="game feed ('espn')")
    record.add_argument("--for", dest="duration", type=float, default=None, help="stop after SECONDS (wall clock)")
    record.add_argument("--mode", choices=["auto", "manual"], help="trading mode at start (paper unless live is authorised)")
    record.add_argument("--json-summary", action="store_true", help="print the exit summary as JSON")

    bench = sub.add_parser("bench-reconnect", help="reconnect-time percentiles against a local websocket server")
    bench.add_argument("--n", type=int, default=50, help="forced disconnects (default 50)")
    bench.add_argument("--json", action="store_true", help="print the numbers as JSON")

    status = sub.add_parser("status", help="show the running engine's state from Redis")
    status.add_argument("--json", action="store_true", help="machine-readable output")

    kill = sub.add_parser("kill", help="engage the kill switch (stops new orders at once)")
    kill.add_argument("--reason", required=True)
    kill.add_argument("--operator", default=None)
    resume = sub.add_parser("resume", help="lift the kill switch")
    resume.add_argument("--operator", default=None)
    mode = sub.add_parser("mode", help="switch trading mode")
    mode.add_argument("mode", choices=["auto", "manual"])
    mode.add_argument("--operator", default=None)

    sub.add_parser("migrate", help="apply database migrations (idempotent)")
    bench = sub.add_parser("bench", help="hot-path throughput and per-stage latency on the simulated world")
    bench.add_argument("--games", type=int, default=50)
    bench.add_argument("--sim-seconds", type=int, default=1800)
    bench.add_argument("--seed", type=int, default=1)
    bench.add_argument("--json", action="store_true")
    sub.add_parser("calibrate", help="win-probability report card", add_help=False)
    sub.add_parser("fit", help="refit model parameters", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `arbees-engine` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("calibrate", "fit"):
        from .calibration.cli import calibrate_main, fit_main

        return (calibrate_main if argv[0] == "calibrate" else fit_main)(argv[1:])
    args = build_parser().parse_args(argv)
    from .logs import configure_logging

    configure_logging()
    if args.command == "bench-reconnect":
        from .adapters.reconnect import bench_reconnect

        if args.n < 1:
            print("--n must be at least 1", file=sys.stderr)
            return 2
        result = bench_reconnect(args.n)
        if args.json:
            print(json.dumps(result))
        return 0
    try:
        settings = Settings(**({"instance": args.instance} if args.instance else {}))
    except LiveFromFileRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from . import commands

    handler = {
        "run": commands.cmd_run, "record": commands.cmd_record, "status": commands.cmd_status, "kill": commands.cmd_kill,
        "resume": commands.cmd_resume, "mode": commands.cmd_mode, "migrate": commands.cmd_migrate,
        "bench": commands.cmd_bench,
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


if __name__ == "__main__":
    sys.exit(main())
