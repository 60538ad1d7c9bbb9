"""Where a running engine with embedded servers can be found by `status`/`kill` and the desk.

An engine started without configured URLs writes its embedded servers' URLs to
`<user data dir>/<instance>/endpoints.json` and removes the file on exit. The URLs carry
passwords, so the file is 0600 in a 0700 directory (arbees_engine.secret_files) and a record that
another user could have read or written (wrong owner, group/other bits) is ignored with a warning.

Record: {"database_url": engine DSN, "redis_url": engine URL,
         "redis_urls": {"engine": URL, "operator": URL, "readonly": URL}}.
Roles: `operator` may send commands and read the view (the desk, kill/resume/mode), `readonly`
only reads it (`arbees --read-only`, `status`); see ops/embedded_redis.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import platformdirs
import structlog

from ..secret_files import UnsafeSecretFile, check_secret_file, write_secret_file

log = structlog.get_logger(__name__)

ROLES = ("engine", "operator", "readonly")


def data_dir() -> Path:
    """platformdirs user data dir of Arbees (same as arbees_engine.settings.data_dir)."""
    return Path(platformdirs.user_data_dir("arbees"))


def _path(instance: str) -> Path:
    return data_dir() / instance / "endpoints.json"


def write_embedded_urls(
    instance: str, database_url: str, redis_url: str, redis_role_urls: dict[str, str] | None = None
) -> None:
    """Record the embedded servers' URLs for other processes of the same user (0600 file, 0700 dir).

    redis_role_urls: {"engine"|"operator"|"readonly": URL}; a missing role gets `redis_url`
    (a configured Redis has one URL for everyone)."""
    roles = {role: (redis_role_urls or {}).get(role, redis_url) for role in ROLES}
    record = {"database_url": database_url, "redis_url": redis_url, "redis_urls": roles}
    write_secret_file(_path(instance), json.dumps(record))


def read_embedded_urls(instance: str) -> dict | None:
    """The recorded URLs, or None when no embedded engine is running (or the record is unsafe:
    then a warning says why)."""
    path = _path(instance)
    if not path.exists():
        return None
    try:
        check_secret_file(path, "endpoints file")
        return json.loads(path.read_text(encoding="utf-8"))
    except UnsafeSecretFile as exc:
        log.warning("discovery.unsafe_record", reason=str(exc))
        return None
    except (OSError, ValueError):
        return None


def embedded_redis_url(instance: str, role: str) -> str | None:
    """The recorded Redis URL for `role` (one of ROLES), or None without a usable record."""
    record = read_embedded_urls(instance)
    if not record:
        return None
    return (record.get("redis_urls") or {}).get(role) or record.get("redis_url")


def running_instances() -> list[str]:
    """Instances with a usable endpoints record (engines with embedded servers running now, or
    killed without cleaning up), sorted by name."""
    base = data_dir()
    if not base.is_dir():
        return []
    return sorted(path.parent.name for path in base.glob("*/endpoints.json") if read_embedded_urls(path.parent.name))


def resolve_instance(requested: str, explicit: bool) -> str:
    """The instance to attach to: `requested` when it was named explicitly or has a record; else
    the only running instance (e.g. `arbees` or `arbees-engine status` next to `./dev demo`, whose
    instance is "demo"); else `requested`."""
    if explicit or read_embedded_urls(requested):
        return requested
    running = running_instances()
    return running[0] if len(running) == 1 else requested


def forget_embedded_urls(instance: str) -> None:
    """Remove the record (engine exit)."""
    _path(instance).unlink(missing_ok=True)
