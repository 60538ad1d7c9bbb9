"""Venue-neutral wording rules: titles and rules that are not game-winner markets, team-code splits.

Pure string work on text every venue gives (titles, YES labels, resolution rules).
"""

from __future__ import annotations

import re

# Written in lower case and matched against lower-cased text: re.IGNORECASE over this many
# alternatives costs ~4x as much per title (the matching benchmark runs it twice per listing).
_NOT_MONEYLINE_LOWER = re.compile(
    r"\b(spreads?|o/u|over/under|totals?|points|1h|2h|first half|second half|handicap|advance|both teams|btts|"
    r"double chance|or draw|draw or|or tie|tie or|avoid defeat|not lose|n't lose|exact score|corners|"
    r"series winner|wins the series|props?|mvp|1st half|2nd half|halftime|quarters?|[1-4]q|"
    r"(?:1st|2nd|3rd|first|second|third) period|innings?|f5|first (?:goal|basket|touchdown|to score)|"
    r"to score first|score first|race to)\b"
)
#: The same words as a case-insensitive pattern, for callers that want a `re.Pattern`.
NOT_MONEYLINE = re.compile(_NOT_MONEYLINE_LOWER.pattern, re.I)


def not_moneyline(text: str) -> bool:
    """Whether a title or YES label words a market that is not a game winner (spread, total, a
    half, a quarter, a period, innings, double chance, props, series, first to score...)."""
    return _NOT_MONEYLINE_LOWER.search(text.lower()) is not None


# A resolution text that pays YES on a win OR a draw (double chance), however it is worded.
WIN_OR_DRAW = re.compile(
    r"\b(?:wins?|win the (?:match|game))\b[^.]{0,12}\bor\b[^.]{0,30}\b(?:draws?|ties?|tied|drawn)\b|"
    r"\b(?:draws?|ties?)\b[^.]{0,6}\bor\b[^.]{0,6}\bwins?\b|\bavoids? defeat\b|\b(?:does not|doesn't|not) lose\b",
    re.I,
)


def split_team_codes(blob: str, codes: set[str] | dict[str, object]) -> list[tuple[str, str]]:
    """Every way to cut `blob` ("NYKSAS") into two known codes: [("NYK", "SAS")]."""
    return [(blob[:i], blob[i:]) for i in range(1, len(blob)) if blob[:i] in codes and blob[i:] in codes]
