"""Implementations of the `arbees-engine` subcommands (parsing lives in cli.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import uuid

from .bus.client import BusClient
from .bus.messages import CommandAction, utcnow
from .redact import mask_url
from .settings import Settings


def _redis_url(settings: Settings, role: str) -> str | None:
    """The configured Redis URL, else the embedded engine's URL for `role` ("operator" sends
    commands, "readonly" only reads; bus/discovery.py)."""
    url = settings.configured_redis_url()
    if url is None:
        from .bus.discovery import embedded_redis_url

        url = embedded_redis_url(settings.instance, role)
    return url


def live_requested(settings: Settings) -> bool:
    """True when both live switches are on (ARBEES_LIVE naming a venue and the authorization phrase)."""
    from .adapters.live import LIVE_AUTHORIZATION_PHRASE

    return bool(settings.live_venues) and settings.live_authorization == LIVE_AUTHORIZATION_PHRASE


async def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Run the engine until --for elapses or SIGINT/SIGTERM; print the summary; exit 0."""
    from .bus.discovery import forget_embedded_urls, write_embedded_urls
    from .ops.builder import build_engine
    from .ops.services import services
    from .ops.summary import format_summary
    from .store.migrate import migrate
    from .store.store import Store

    if args.mode:
        settings = settings.model_copy(update={"mode": args.mode})
    if args.fresh_book and (args.venue != "sim" or args.replay):
        print("error: --fresh-book is for --venue sim on the embedded database only", file=sys.stderr)
        return 2
    if args.fresh_book and settings.database_url is not None:  # e.g. from config.toml: never dropped
        print("warning: --fresh-book ignored: the database is configured, not embedded", file=sys.stderr)
        args.fresh_book = False
    async with services(settings, fresh_book=args.fresh_book) as svc:
        if live_requested(settings):  # before anything trades: the servers must admit only credentials
            from .ops.server_checks import InsecureServer, check_live_servers

            try:
                await check_live_servers(svc.database_url, svc.redis_url)
            except InsecureServer as exc:
                print(f"error: live trading refused: {exc}", file=sys.stderr)
                return 2
        await migrate(svc.database_url)
        store = await Store.connect(svc.database_url)
        if svc.embedded:
            write_embedded_urls(settings.instance, svc.database_url, svc.redis_url, svc.redis_role_urls)
        try:
            stop = asyncio.Event()  # set by a signal, or by the replay when the recording is done
            engine = build_engine(settings, args, store=store, redis_url=svc.redis_url, stop=stop)
            if not getattr(args, "replay", None) and "polymarket" in args.venue:
                from .adapters.polymarket.live_setup import PolymarketLiveStartError
                from .ops.builder import start_polymarket_live

                try:
                    await start_polymarket_live(engine, settings)
                except PolymarketLiveStartError as exc:
                    print(f"error: live Polymarket trading refused: {exc}", file=sys.stderr)
                    await _close_io(engine)
                    return 2
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            try:
                await engine.run(args.duration, stop=stop)
            finally:
                await _close_io(engine)
            summary = engine.summary()
            summary["store_writer"] = {**engine.writer.figures(), "drain": engine.store_drain}
        finally:
            await store.close()
            if svc.embedded:
                forget_embedded_urls(settings.instance)
    print(json.dumps(summary, indent=2, default=str) if args.json_summary else format_summary(summary))
    return 0


async def _close_io(engine) -> None:
    """Close what the builder opened for real venues: the recording and the live order client."""
    recorder = getattr(engine, "recorder", None)
    if recorder is not None:
        recorder.close()
    live_orders = getattr(engine, "live_orders", None)
    if live_orders is not None:
        await live_orders.aclose()


async def cmd_record(settings: Settings, args: argparse.Namespace) -> int:
    """`record --out FILE`: the normal engine on real venues (paper unless live is authorised)
    with every raw venue/feed message appended to FILE; replay it with `run --replay FILE`."""
    from pathlib import Path

    if "sim" in [v.strip() for v in args.venue.split(",")]:
        print(
            "record needs real venues (--venue kalshi,polymarket); the simulated venue is not recorded", file=sys.stderr
        )
        return 2
    settings = settings.model_copy(update={"record_file": Path(args.out)})
    run_args = argparse.Namespace(**vars(args), replay=None, seed=1, speed=1.0, games=8, fresh_book=False)
    return await cmd_run(settings, run_args)


async def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    """Print the engine's status from Redis; exit 3 when no engine is reachable."""
    from .ops.summary import format_status, status_dict

    url = _redis_url(settings, "readonly")
    if url is None:
        print("no Redis configured (ARBEES_REDIS_URL) and no embedded engine running", file=sys.stderr)
        return 3
    client = BusClient(url, settings.instance)
    try:
        snap = await client.load_snapshot(audit_limit=0)
        heartbeat = await client.heartbeat()
    except (OSError, ConnectionError) as exc:
        print(f"cannot reach Redis at {mask_url(url)}: {exc}", file=sys.stderr)
        return 3
    except Exception as exc:  # noqa: BLE001 - redis.exceptions.ConnectionError is not an OSError
        print(f"cannot reach Redis at {mask_url(url)}: {exc}", file=sys.stderr)
        return 3
    finally:
        await client.close()
    data = status_dict(snap, heartbeat, utcnow())
    print(json.dumps(data, indent=2, default=str) if args.json else format_status(data))
    return 0 if snap.engine is not None else 3


async def _send(settings: Settings, args: argparse.Namespace, action: CommandAction, **fields: object) -> int:
    """Sign the command with the operator's key, send it, print the engine's answer.

    Exit 0 done, 1 refused/failed or no usable key, 3 engine unreachable or the command expired
    unanswered (the engine refuses it from then on)."""
    from .bus.operators import OperatorError, default_key_name, load_key

    url = _redis_url(settings, "operator")  # first: an unsafe password file is a setup error (exit 2)
    if url is None:
        print("no Redis configured (ARBEES_REDIS_URL) and no embedded engine running", file=sys.stderr)
        return 3
    keys = settings.effective_operator_keys_dir()
    name = default_key_name(getattr(args, "operator", None) or os.environ.get("ARBEES_OPERATOR"), keys)
    try:
        if name is None:
            raise OperatorError(f"no operator key in {keys}")
        key = load_key(name, keys)
    except OperatorError as exc:
        print(
            f"{action.value}: {exc}. Create one with `arbees-engine operator add NAME`"
            f" (the kill file {settings.effective_kill_file()} needs no key)",
            file=sys.stderr,
        )
        return 1
    command = key.new_command(
        settings.instance, utcnow(), settings.command_ttl_s, command_id=uuid.uuid4().hex, action=action, **fields
    )
    client = BusClient(url, settings.instance)
    try:
        ack = await client.command_and_wait(command, skew_s=settings.command_clock_skew_s)
    except Exception as exc:  # noqa: BLE001 - any Redis failure is "not reachable"
        print(f"cannot reach Redis at {mask_url(url)}: {exc}", file=sys.stderr)
        return 3
    finally:
        await client.close()
    if ack is None:
        print(
            f"{action.value}: timed out: sent ({command.command_id}) but not acknowledged before it expired at "
            f"{command.expires_at:%H:%M:%S} UTC; the engine will not run it now. Is the engine running?",
            file=sys.stderr,
        )
        return 3
    print(f"{action.value}: {ack.outcome}{': ' + ack.detail if ack.detail else ''}")
    return 0 if ack.ok else 1


async def cmd_kill(settings: Settings, args: argparse.Namespace) -> int:
    """Engage the kill switch and wait for the engine's acknowledgement."""
    return await _send(settings, args, CommandAction.KILL, reason=args.reason)


async def cmd_resume(settings: Settings, args: argparse.Namespace) -> int:
    """Lift the kill switch."""
    return await _send(settings, args, CommandAction.RESUME)


async def cmd_mode(settings: Settings, args: argparse.Namespace) -> int:
    """Switch between auto and manual."""
    return await _send(settings, args, CommandAction.SET_MODE, mode=args.mode)


async def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    """Apply pending migrations to ARBEES_DATABASE_URL."""
    from .store.migrate import migrate

    if not settings.database_url:
        print("ARBEES_DATABASE_URL is not set", file=sys.stderr)
        return 1
    applied = await migrate(settings.configured_database_url())
    print(f"applied {len(applied)} migration(s){': ' + ', '.join(applied) if applied else ''}")
    return 0


def _database_url(settings: Settings) -> str | None:
    """The configured PostgreSQL URL, else the running embedded engine's (bus/discovery.py)."""
    url = settings.configured_database_url()
    if url is None:
        from .bus.discovery import read_embedded_urls

        url = (read_embedded_urls(settings.instance) or {}).get("database_url")
    return url


async def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    """Print fills/orders counts and daily P&L for --from..--to (UTC days) from the store; with
    --csv DIR also write them as CSV. Exit 2 on a bad range, 3 when no store is reachable."""
    import asyncpg

    from .report import format_report, load_report, write_csv

    start = args.start or utcnow().date()
    end = args.end or start
    url = _database_url(settings)
    if url is None:
        print("no PostgreSQL configured (ARBEES_DATABASE_URL) and no embedded engine running", file=sys.stderr)
        return 3
    try:
        report = await load_report(url, start, end)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        print(f"cannot reach PostgreSQL at {mask_url(url)}: {exc}", file=sys.stderr)
        return 3
    print(format_report(report))
    if args.csv is not None:
        for path in write_csv(report, args.csv):
            print(f"wrote {path}")
    return 0


async def cmd_bench(settings: Settings, args: argparse.Namespace) -> int:
    """Run the hot-path benchmark (or with --store the store writer benchmark) and print its figures."""
    from .ops.bench import format_bench, format_store_bench, run_bench, run_store_bench

    if getattr(args, "store", False):
        if not (args.speed > 0 and args.duration > 0 and args.games > 0):
            print("--speed, --for and --games must be > 0", file=sys.stderr)
            return 2
        result = await run_store_bench(args.games, args.speed, args.duration, args.seed)
        print(json.dumps(result, indent=2, default=str) if args.json else format_store_bench(result))
        return 0
    result = await run_bench(args.games, args.sim_seconds, args.seed)
    print(json.dumps(result, indent=2) if args.json else format_bench(result))
    return 0
