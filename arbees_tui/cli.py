"""`arbees` command line: attach the desk to an engine, or run the desk bench.

    arbees [--redis URL] [--instance NAME] [--theme NAME] [--operator NAME] [--read-only]
    arbees bench-desk [--games N] [--markets N] [--rate EV_PER_S] [--seconds S]
    arbees demo ...            (wired by the lead: see run_demo)

Defaults: $ARBEES_REDIS_URL (password from $ARBEES_REDIS_PASSWORD_FILE), else the embedded engine
of the instance (its `operator` Redis user, or `readonly` with --read-only;
arbees_engine.bus.discovery), else redis://127.0.0.1:6379/0; $ARBEES_INSTANCE or "default";
operator key = --operator NAME, else the only key in the keys dir, else the login user's
(arbees_engine.bus.operators); without one the desk watches only and says so on screen.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys


def build_parser() -> argparse.ArgumentParser:
    """Parser for the desk and its subcommands."""
    parser = argparse.ArgumentParser(prog="arbees", description="Arbees trading desk (Textual).")
    parser.add_argument(
        "--redis",
        default=os.environ.get("ARBEES_REDIS_URL"),
        help="Redis URL of the engine's bus (default: the embedded engine's, else redis://127.0.0.1:6379/0)",
    )
    parser.add_argument(
        "--instance",
        default=None,
        help="engine instance name (Redis namespace arbees:<instance>:); default "
        "$ARBEES_INSTANCE, else \"default\", else the only running engine's (e.g. the demo's)",
    )
    parser.add_argument("--theme", default=None, help="theme name (arbees-dark, arbees-light, arbees-high-contrast)")
    parser.add_argument(
        "--operator",
        default=None,
        help="operator key that signs commands (default: the only "
        "key, or the login user's; see `arbees-engine operator add`)",
    )
    parser.add_argument("--read-only", action="store_true", help="watch only: no kill/resume/mode/approve/reject")
    sub = parser.add_subparsers(dest="command")
    bench = sub.add_parser("bench-desk", help="drive the desk headless under synthetic load")
    bench.add_argument("--games", type=int, default=500)
    bench.add_argument("--markets", type=int, default=2000)
    bench.add_argument("--rate", type=float, default=200.0, help="events per second")
    bench.add_argument("--seconds", type=float, default=10.0)
    demo = sub.add_parser("demo", help="run a simulated engine (embedded PostgreSQL/Redis) and attach the desk")
    demo.add_argument("--headless", action="store_true", help="run the engine only and print its summary")
    demo.add_argument("--for", dest="duration", type=float, default=None, help="stop the engine after SECONDS")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--speed", default="5", help="simulation speed factor or 'max'")
    demo.add_argument("--games", type=int, default=8)
    demo.add_argument("--mode", choices=["auto", "manual"], default=None)
    demo.add_argument(
        "--keep-book",
        action="store_true",
        help="keep the previous demo's positions, P&L and kill switch (default: each demo starts "
        "a new simulated world with an empty book)",
    )
    return parser


def operator_name(args: argparse.Namespace) -> str:
    """--operator, else the login user."""
    if args.operator:
        return args.operator
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "operator"


def operator_key(args: argparse.Namespace):
    """(OperatorKey, "") for --operator or the default key, or (None, why there is none)."""
    from arbees_engine.bus.operators import OperatorError, default_key_name, keys_dir, load_key

    if args.read_only:
        return None, ""
    name = default_key_name(args.operator)
    if name is None:
        return None, f"no operator key in {keys_dir()}"
    try:
        return load_key(name), ""
    except OperatorError as exc:
        return None, str(exc)


def desk_redis_url(args: argparse.Namespace) -> str:
    """--redis / $ARBEES_REDIS_URL (with the password from $ARBEES_REDIS_PASSWORD_FILE if set: a
    password on the command line is visible to every user in `ps`), else the embedded engine's
    operator (or, --read-only, readonly) URL from its discovery record, else
    redis://127.0.0.1:6379/0. Raises UnsafeSecretFile for an unsafe password file."""
    if args.redis:
        from arbees_engine.secret_files import url_with_password_file

        return url_with_password_file(
            args.redis, os.environ.get("ARBEES_REDIS_PASSWORD_FILE") or None, "Redis password file"
        )
    from arbees_engine.bus.discovery import embedded_redis_url

    role = "readonly" if args.read_only else "operator"
    instance = args.instance or os.environ.get("ARBEES_INSTANCE", "default")
    return embedded_redis_url(instance, role) or "redis://127.0.0.1:6379/0"


def desk_source(args: argparse.Namespace):
    """The RedisSource the desk reads. An embedded engine's desk (no --redis, or the demo's, which
    found its URL in the engine's record: `args.follow_record`) re-reads the record after every
    link error, so it follows an engine restarted on new endpoints."""
    from .source import RedisSource

    resolve = None
    if not args.redis or getattr(args, "follow_record", False):
        from arbees_engine.bus.discovery import embedded_redis_url

        role = "readonly" if args.read_only else "operator"
        resolve = lambda: embedded_redis_url(args.instance, role)  # noqa: E731
    return RedisSource(desk_redis_url(args), args.instance, resolve=resolve)


def run_desk(args: argparse.Namespace) -> int:
    """Attach the desk to a live engine over Redis."""
    from arbees_engine.bus.signing import CLOCK_SKEW_S, DEFAULT_TTL_S

    from .app import ArbeesApp
    from .config import default_config_path

    source = desk_source(args)
    key, problem = operator_key(args)
    ttl = float(os.environ.get("ARBEES_COMMAND_TTL_S", DEFAULT_TTL_S))  # the engine's settings, same variables
    skew = float(os.environ.get("ARBEES_COMMAND_CLOCK_SKEW_S", CLOCK_SKEW_S))
    app = ArbeesApp(
        source,
        instance=args.instance,
        operator=operator_name(args),
        key=key,
        key_problem=problem,
        theme=args.theme,
        config_path=default_config_path(),
        read_only=args.read_only,
        command_ttl_s=ttl,
        clock_skew_s=skew,
    )
    app.run()
    return 0


# ---- LEAD HOOK: `arbees demo` -------------------------------------------------------------------
def run_demo(args: argparse.Namespace) -> int:
    """`arbees demo`: simulated engine in a child process, desk attached (see demo.py)."""
    from .demo import run_demo as demo

    return demo(args, run_desk)


# -------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `arbees` script."""
    args = build_parser().parse_args(argv)
    explicit = args.instance is not None or "ARBEES_INSTANCE" in os.environ
    args.instance = args.instance or os.environ.get("ARBEES_INSTANCE", "default")
    if args.command is None and not args.redis:  # the desk: find the running engine by its record
        from arbees_engine.bus.discovery import resolve_instance

        args.instance = resolve_instance(args.instance, explicit)
    if args.command == "bench-desk":
        from .bench import main as bench_main

        return bench_main(args.games, args.markets, args.rate, args.seconds)
    if args.command == "demo":
        return run_demo(args)
    return run_desk(args)


if __name__ == "__main__":
    sys.exit(main())
