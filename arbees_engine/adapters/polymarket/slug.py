"""Polymarket sports slug grammar: `<league>-<code>-<code>-YYYY-MM-DD[-suffix]`.

E.g. `nba-nyk-sas-2026-06-13` (https://docs.polymarket.com/developers/gamma-markets-api/get-markets);
the suffix names the YES team's code or `draw` on a market of a multi-market event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_SLUG = re.compile(
    r"^(?P<lg>[a-z0-9]+)-(?P<a>[a-z0-9]+)-(?P<b>[a-z0-9]+)-(?P<d>\d{4}-\d{2}-\d{2})(?:-(?P<suffix>.+))?$"
)


@dataclass(frozen=True, slots=True)
class Slug:
    """Parsed Polymarket sports slug."""

    league_code: str
    codes: tuple[str, str]
    day: date
    suffix: str


def parse_slug(slug: str) -> Slug | None:
    """Parse `nba-nyk-sas-2026-06-13[-suffix]`; None when the slug has another shape."""
    m = _SLUG.match(slug.strip().lower())
    if not m:
        return None
    try:
        day = date.fromisoformat(m["d"])
    except ValueError:
        return None
    return Slug(m["lg"], (m["a"], m["b"]), day, m["suffix"] or "")
