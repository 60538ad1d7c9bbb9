"""Desk themes: TOML files in the repo's themes/ folder, loaded and registered at start.

A theme file holds the fields of `textual.theme.Theme` (name, primary, secondary, accent,
warning, error, success, foreground, background, surface, panel, dark, …) and an optional
[variables] table. Colours are picked from the xterm 256-colour palette so they look the same
when SSH drops COLORTERM and Textual falls back to 256 colours.
Docs: https://textual.textualize.io/guide/design/#themes
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

from textual.theme import Theme

DEFAULT_THEME = "arbees-dark"
_FIELDS = {
    "name",
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
    "dark",
    "luminosity_spread",
    "text_alpha",
    "variables",
}


def themes_dir() -> Path:
    """$ARBEES_THEMES_DIR, else the repo's themes/ folder in a checkout, else
    `<sys.prefix>/share/arbees/themes` where a wheel installs them."""
    env = os.environ.get("ARBEES_THEMES_DIR")
    checkout = Path(__file__).resolve().parents[1] / "themes"
    return Path(env) if env else checkout if checkout.is_dir() else Path(sys.prefix) / "share" / "arbees" / "themes"


def load_theme(path: Path) -> Theme:
    """Parse one theme TOML file. Raises ValueError on unknown keys or a missing name/primary."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown = set(data) - _FIELDS
    if unknown:
        raise ValueError(f"{path.name}: unknown theme keys {sorted(unknown)}")
    if "name" not in data or "primary" not in data:
        raise ValueError(f"{path.name}: a theme needs 'name' and 'primary'")
    return Theme(**data)


def load_themes(directory: Path | None = None) -> list[Theme]:
    """Every *.toml theme in `directory` (default `themes_dir()`), sorted by file name."""
    folder = directory or themes_dir()
    if not folder.is_dir():
        return []
    return [load_theme(p) for p in sorted(folder.glob("*.toml"))]
