"""The desk's remembered choices: platformdirs user_config_dir("arbees")/desk.toml.

Keys: `theme` (a theme name) and an optional [keymap] table of binding id → keys, handed to
`App.set_keymap` so operators can remap hotkeys. Read with tomllib; written by a tiny writer
(string values only) so no extra dependency is needed.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from platformdirs import user_config_dir

log = structlog.get_logger(__name__)


def default_config_path() -> Path:
    """<user config dir>/arbees/desk.toml."""
    return Path(user_config_dir("arbees")) / "desk.toml"


def screenshot_dir() -> Path:
    """Where the palette's Screenshot writes: $ARBEES_SCREENSHOT_DIR (created if missing), else
    ~/Downloads when it exists, else the working directory when writable, else the temp dir. A
    server has no ~/Downloads: Textual's own screenshot fails there."""
    configured = os.environ.get("ARBEES_SCREENSHOT_DIR")
    if configured:
        path = Path(configured).expanduser()
        path.mkdir(parents=True, exist_ok=True)
        return path
    downloads = Path.home() / "Downloads"
    if downloads.is_dir():
        return downloads
    cwd = Path.cwd()
    return cwd if os.access(cwd, os.W_OK) else Path(tempfile.gettempdir())


@dataclass
class DeskConfig:
    """theme: remembered theme name or None; keymap: binding id → comma-separated keys."""

    theme: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)


def load_config(path: Path) -> DeskConfig:
    """Read `path`; a missing or unreadable file gives defaults (logged, never raised)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return DeskConfig()
    except (OSError, tomllib.TOMLDecodeError) as exc:
        log.warning("desk.config_unreadable", path=str(path), error=str(exc))
        return DeskConfig()
    theme = data.get("theme")
    keymap = {str(k): str(v) for k, v in dict(data.get("keymap", {})).items()}
    return DeskConfig(theme=str(theme) if theme else None, keymap=keymap)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def save_config(path: Path, config: DeskConfig) -> None:
    """Write `config` to `path` (parents created). OSError is logged, not raised."""
    lines = []
    if config.theme:
        lines.append(f"theme = {_quote(config.theme)}")
    if config.keymap:
        lines += ["", "[keymap]"] + [f"{_quote(k)} = {_quote(v)}" for k, v in sorted(config.keymap.items())]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as exc:
        log.warning("desk.config_unwritable", path=str(path), error=str(exc))
