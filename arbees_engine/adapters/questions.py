"""Team names in a venue's title or question ("Knicks vs. Spurs", "Will Arsenal beat Chelsea?").

The venues word their titles in English sports phrasing; every venue's evidence builder reads it
the same way. Pure string work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Question:
    """Team names found in a title/question, the team YES names if the wording says, or a draw."""

    teams: tuple[str, ...]
    yes_team: str | None = None
    is_draw: bool = False
    game_number: int | None = None


_PREFIX = re.compile(r"^(?:game\s+(?P<g>\d+)\s*:\s*|[^:?]{1,60}:\s+)", re.I)
_SUFFIX = re.compile(r"\s*(?:\((?:bo\d|match \d+|game (?P<g>\d))\)|winner\??|-\s+.*)\s*$", re.I)
_PATTERNS = (
    (re.compile(r"^will (?P<a>.+?) vs\.? (?P<b>.+?) end in an? (?:draw|tie)\??$", re.I), "draw"),
    (re.compile(r"^will (?P<a>.+?) (?:beat|defeat) (?P<b>.+?)(?: on \d{4}-\d{2}-\d{2})?\??$", re.I), "beat"),
    (re.compile(r"^will (?P<a>.+?) win(?: on \d{4}-\d{2}-\d{2}| their game| the game)?\??$", re.I), "win"),
    (re.compile(r"^(?P<a>.+?)\s+(?:vs\.?|v\.?|@|at)\s+(?P<b>.+?)\??$", re.I), "pair"),
)


def parse_question(text: str) -> Question:
    """Read team names out of "Knicks vs. Spurs", "Game 5: New York at San Antonio Winner?",
    "Will Arsenal beat Chelsea?", "Will Arsenal win on 2025-10-04?", "Will A vs. B end in a draw?".

    Returns Question(()) when no pattern fits. The title's order is never used for YES.
    """
    text = " ".join(text.split())
    game_number = None
    m = _PREFIX.match(text)
    if m and not text.lower().startswith("will "):
        game_number = int(m["g"]) if m["g"] else None
        text = text[m.end() :]
    for _ in range(3):  # peel "(BO3) - HLC Playoffs", "Winner?", "(Game 2)"
        s = _SUFFIX.search(text)
        if not s or s.start() == 0:
            break
        game_number = int(s["g"]) if s["g"] else game_number
        text = text[: s.start()]
    for pattern, kind in _PATTERNS:
        p = pattern.match(text.strip())
        if p:
            a, b = p["a"].strip(), (p.groupdict().get("b") or "").strip()
            if kind == "draw":
                return Question((a, b), None, True, game_number)
            if kind == "win":
                return Question((a,), a, False, game_number)
            return Question((a, b), a if kind == "beat" else None, False, game_number)
    return Question((), None, False, game_number)
