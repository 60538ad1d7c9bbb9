"""Implementations of the `arbees-engine` subcommands (parsing lives in cli.py)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import signal
import sys
import uuid

from .bus.client import BusClient
from .bus.messages import Command, CommandAction, utcnow
from .settings import Settings


def _operator(args: argparse.Namespace) -> str:
    return getattr(args, "operator", None) or os.environ.get("ARBEES_OPERATOR") or getpass.getuser()


def _redis_url(settings: Settings) -> str | None:
    url = settings.redis_url
    if url is None:
        from .bus.discovery import read_embedded_urls

        url = (read_embedded_urls(settings.instance) or {}).get("redis_url")
    return url


async def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Run the engine until --for elapses or SIGINT/SIGTERM; print the summary; exit 0."""
    from .runtime.builder import build_engine
    from .bus.discovery import forget_embedded_urls, write_embedded_urls
    from .runtime.services import services
    from .runtime.summary import format_summary
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
        await migrate(svc.database_url)
        store = await Store.connect(svc.database_url)
        if svc.embedded:
            write_embedded_urls(settings.instance, svc.database_url, svc.redis_url)
        try:
            stop = asyncio.Event()  # set by a signal, or by the replay when the recording is done
            engine = build_engine(settings, args, store=store, redis_url=svc.redis_url, stop=stop)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            try:
                await engine.run(args.duration, stop=stop)
            finally:
                await _close_io(engine)
            summary = engine.desk.summary()
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
        print("record needs real venues (--venue kalshi,polymarket); the simulated venue is not recorded",
              file=sys.stderr)
        return 2
    settings = settings.model_copy(update={"record_file": Path(args.out)})
    run_args = argparse.Namespace(**vars(args), replay=None, seed=1, speed=1.0, games=8, fresh_book=False)
    return await cmd_run(settings, run_args)


async def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    """Print the engine's status from Redis; exit 3 when no engine is reachable."""
    from .runtime.summary import format_status, status_dict

    url = _redis_url(settings)
    if url is None:
        print("no Redis configured (ARBEES_REDIS_URL) and no embedded engine running", file=sys.stderr)
        return 3
    client = BusClient(url, settings.instance)
    try:
        snap = await client.load_snapshot(audit_limit=0)
        heartbeat = await client.heartbeat()
    except (OSError, ConnectionError) as exc:
        print(f"cannot reach Redis at {url}: {exc}", file=sys.stderr)
        return 3
    except Exception as exc:  # redis.exceptions.ConnectionError is not an OSError
        print(f"cannot reach Redis at {url}: {exc}", file=sys.stderr)
        return 3
    finally:
        await client.close()
    data = status_dict(snap, heartbeat, utcnow())
    print(json.dumps(data, indent=2, default=str) if args.json else format_status(data))
    return 0 if snap.engine is not None else 3


async def _send(settings: Settings, command: Command) -> int:
    url = _redis_url(settings)
    if url is None:
        print("no Redis configured (ARBEES_REDIS_URL) and no embedded engine running", file=sys.stderr)
        return 3
    client = BusClient(url, settings.instance)
    try:
        ack = await client.command_and_wait(command, timeout_s=10.0)
    except Exception as exc:  # noqa: BLE001 - any Redis failure is "not reachable"
        print(f"cannot reach Redis at {url}: {exc}", file=sys.stderr)
        return 3
    finally:
        await client.close()
    if ack is None:
        print(f"{command.action.value}: sent ({command.command_id}) but not acknowledged within 10 s: is the engine running?", file=sys.stderr)
        return 3
    print(f"{command.action.value}: {ack.outcome}{': ' + ack.detail if ack.detail else ''}")
    return 0 if ack.ok else 1


def _command(args: argparse.Namespace, action: CommandAction, **fields: object) -> Command:
    return Command(command_id=uuid.uuid4().hex, operator=_operator(args), issued_at=utcnow(), action=action, **fields)


async def cmd_kill(settings: Settings, args: argparse.Namespace) -> int:
    """Engage the kill switch and wait for the engine's acknowledgement."""
    return await _send(settings, _command(args, CommandAction.KILL, reason=args.reason))


async def cmd_resume(settings: Settings, args: argparse.Namespace) -> int:
    """Lift the kill switch."""
    return await _send(settings, _command(args, CommandAction.RESUME))


async def cmd_mode(settings: Settings, args: argparse.Namespace) -> int:
    """Switch between auto and manual."""
    return await _send(settings, _command(args, CommandAction.SET_MODE, mode=args.mode))


async def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    """Apply pending migrations to ARBEES_DATABASE_URL."""
    from .store.migrate import migrate

    if not settings.database_url:
        print("ARBEES_DATABASE_URL is not set", file=sys.stderr)
        return 1
    applied = await migrate(settings.database_url)
    print(f"applied {len(applied)} migration(s){': ' + ', '.join(applied) if applied else ''}")
    return 0


async def cmd_bench(settings: Settings, args: argparse.Namespace) -> int:
    """Run the hot-path benchmark and print its figures."""
    from .runtime.bench import format_bench, run_bench

    result = await run_bench(args.games, args.sim_seconds, args.seed)
    print(json.dumps(result, indent=2) if args.json else format_bench(result))
    return 0
