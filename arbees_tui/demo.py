"""`arbees demo`: run a simulated engine in a child process and attach the desk to it.

The engine runs as `python -m arbees_engine run --venue sim` (its own process, so the desk keeps
importing nothing of the engine but its bus), with embedded PostgreSQL and Redis unless
ARBEES_DATABASE_URL / ARBEES_REDIS_URL are set. The desk finds the embedded Redis through the
endpoints file the engine writes (arbees_engine.bus.discovery). Quitting the desk stops the
engine (SIGTERM), whose run summary is then printed. If the desk dies instead (an SSH drop sends it
SIGHUP), Linux delivers SIGTERM to the engine too (prctl PR_SET_PDEATHSIG, see prctl(2)), so no
orphaned engine keeps trading a demo nobody watches.
Commands are signed (bus/signing.py): unless ARBEES_OPERATORS_FILE is set, the demo uses its own
operator set under the user data dir (`<data dir>/arbees/<instance>/operators.toml` and
`operators/`) with one key named after the login user, created on the first demo.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from arbees_engine.bus.discovery import embedded_redis_url, forget_embedded_urls

START_TIMEOUT_S = 90.0
DEMO_INSTANCE = "demo"  # the demo's own instance: the only one whose book a demo empties
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def engine_command(args: argparse.Namespace, instance: str) -> list[str]:
    """argv of the child engine."""
    cmd = [
        sys.executable,
        "-m",
        "arbees_engine",
        "--instance",
        instance,
        "run",
        "--venue",
        "sim",
        "--seed",
        str(args.seed),
        "--speed",
        str(args.speed),
        "--games",
        str(args.games),
    ]
    if instance == DEMO_INSTANCE and not args.keep_book and "ARBEES_DATABASE_URL" not in os.environ:
        cmd.append("--fresh-book")  # a new simulated world each run: its book starts empty (never another instance's)
    if args.duration is not None:
        cmd += ["--for", str(args.duration)]
    if args.mode:
        cmd += ["--mode", args.mode]
    return cmd


def spawn_child(argv: list[str], log) -> subprocess.Popen:
    """Start `argv` in its own session (the terminal's ^C goes to the desk only), writing to `log`;
    on Linux the child gets SIGTERM when this process dies, however it dies."""
    parent = os.getpid()
    linux = sys.platform.startswith("linux")
    return subprocess.Popen(
        argv,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=(lambda: _die_with_parent(parent)) if linux else None,
    )


def _die_with_parent(parent: int) -> None:
    """Runs in the child between fork and exec: ask the kernel for SIGTERM when the parent exits."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0 or os.getppid() != parent:
        os._exit(1)  # could not arm it, or the parent is already gone: do not run unattended


def _wait_for_redis(proc: subprocess.Popen, instance: str, log_path: Path, role: str = "operator") -> str:
    """The engine's Redis URL for `role` ("operator", or "readonly" for a watch-only desk) once it
    is up; raises SystemExit if the engine dies or times out."""
    configured = os.environ.get("ARBEES_REDIS_URL")
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(
                f"the engine exited with {proc.returncode} before the desk could attach:\n{_tail(log_path)}"
            )
        url = configured or embedded_redis_url(instance, role)
        if url:
            return url
        time.sleep(0.2)  # polling a child process's start-up: no event to wait on
    proc.terminate()
    raise SystemExit(f"the engine did not start within {START_TIMEOUT_S:.0f} s:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def demo_operators(instance: str) -> None:
    """Point this process (and the engine it spawns) at the demo's own operator set, and create the
    login user's key in it if missing. Does nothing when ARBEES_OPERATORS_FILE is already set."""
    if "ARBEES_OPERATORS_FILE" in os.environ:
        return
    import platformdirs

    from arbees_engine.bus import operators

    base = Path(platformdirs.user_data_dir("arbees")) / instance
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.environ["ARBEES_OPERATORS_FILE"] = str(base / "operators.toml")
    os.environ.setdefault("ARBEES_OPERATOR_KEYS_DIR", str(base / "operators"))
    name = operators.default_key_name(None) or _login_name()
    if name not in operators.key_names():
        key = operators.create_key(name)
        operators.deauthorize(name)
        operators.authorize(name, key.public_text)


def _login_name() -> str:
    import getpass

    try:
        return operators_name(getpass.getuser())
    except (KeyError, OSError):
        return "demo"


def operators_name(user: str) -> str:
    """`user` if it is a valid operator name, else "demo"."""
    from arbees_engine.bus.operators import NAME_RE

    return user if NAME_RE.match(user) else "demo"


def run_demo(args: argparse.Namespace, run_desk) -> int:
    """Start the simulated engine; with --headless just wait for it, else attach the desk."""
    instance = args.instance if args.instance != "default" else DEMO_INSTANCE
    demo_operators(instance)
    forget_embedded_urls(instance)  # a stale file from a killed run must not mislead us
    if args.headless:
        return subprocess.call(engine_command(args, instance))
    log_path = Path(tempfile.gettempdir()) / f"arbees-demo-{instance}-{os.getpid()}.log"
    with open(log_path, "wb") as log:
        proc = spawn_child(engine_command(args, instance), log)
        try:
            role = "readonly" if getattr(args, "read_only", False) else "operator"
            args.redis = _wait_for_redis(proc, instance, log_path, role)
            # found in the engine's record (not configured): follow the record after a restart
            args.follow_record = "ARBEES_REDIS_URL" not in os.environ
            args.instance = instance
            run_desk(args)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
    print(_tail(log_path, 20))
    print(f"(engine log: {log_path})")
    return 0
