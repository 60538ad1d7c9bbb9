"""Venue-neutral wording rules: titles and rules that are not game-winner markets, team-code splits.

Pure string work on text every venue gives (titles, YES labels, resolution rules).
"""

from __future__ import annotations

import re

NOT_MONEYLINE = re.compile(
    r"\b(spreads?|o/u|over/under|totals?|points|1h|2h|first half|second half|handicap|advance|both teams|btts|"
    r"double chance|or draw|draw or|or tie|tie or|avoid defeat|not lose|n't lose|exact score|corners|"
    r"series winner|wins the series|props?|mvp)\b",
    re.I,
)
# A resolution text that pays YES on a win OR a draw (double chance), however it is worded.
WIN_OR_DRAW = re.compile(
    r"\b(?:wins?|win the (?:match|game))\b[^.]{0,12}\bor\b[^.]{0,30}\b(?:draws?|ties?|tied|drawn)\b|"
    r"\b(?:draws?|ties?)\b[^.]{0,6}\bor\b[^.]{0,6}\bwins?\b|\bavoids? defeat\b|\b(?:does not|doesn't|not) lose\b",
    re.I,
)


def split_team_codes(blob: str, codes: set[str] | dict[str, object]) -> list[tuple[str, str]]:
    """Every way to cut `blob` ("NYKSAS") into two known codes: [("NYK", "SAS")]."""
    return [(blob[:i], blob[i:]) for i in range(1, len(blob)) if blob[:i] in codes and blob[i:] in codes]
