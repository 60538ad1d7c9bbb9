"""Where a running engine with embedded servers can be found by `status`/`kill` and the desk.

An engine started without configured URLs writes its embedded Redis/PostgreSQL URLs to
`<user data dir>/<instance>/endpoints.json` and removes the file on exit.
"""

from __future__ import annotations

import json
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    """platformdirs user data dir of Arbees (same as arbees_engine.settings.data_dir)."""
    return Path(platformdirs.user_data_dir("arbees"))


def _path(instance: str) -> Path:
    return data_dir() / instance / "endpoints.json"


def write_embedded_urls(instance: str, database_url: str, redis_url: str) -> None:
    """Record the embedded servers' URLs for other processes of the same user."""
    path = _path(instance)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"database_url": database_url, "redis_url": redis_url}), encoding="utf-8")


def read_embedded_urls(instance: str) -> dict[str, str] | None:
    """The recorded URLs, or None when no embedded engine is running."""
    try:
        return json.loads(_path(instance).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def forget_embedded_urls(instance: str) -> None:
    """Remove the record (engine exit)."""
    _path(instance).unlink(missing_ok=True)
