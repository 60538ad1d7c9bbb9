"""Pre-game P(home wins) from a point spread: final margin ~ Normal(spread, σ_league).

P(home wins) = Φ(m / σ) where m is the home side's expected margin (points) implied by the
spread and σ the standard deviation of results about the spread:
- NFL 13.86 (Stern 1991, "On the probability of winning a football game", The American
  Statistician 45(3), 179–183);
- NBA 12, NCAA basketball 10, college football 16 (Jeff Sagarin's historical figures, quoted in
  W. Winston, "Mathletics" (2009), ch. 43 "From point ratings to probabilities");
- WNBA 10.8: no published figure found; derived from the NBA's 12 scaled by √(possessions per
  game), WNBA ≈ 80 per 40 min against NBA ≈ 99 per 48 min (Basketball-Reference league pace), since
  the margin's variance grows with the number of possessions. Treat WNBA priors as rougher.
Only point-spread sports are listed: hockey, soccer and baseball lines are fixed ±1.5 goal/run
lines that say little about strength, so those leagues get no spread prior (None).
"""

from __future__ import annotations

import math
import re

from arbees_engine.model import League

from .base import phi

SPREAD_SIGMA: dict[League, float] = {
    League.NFL: 13.86,
    League.NCAAF: 16.0,
    League.NBA: 12.0,
    League.WNBA: 10.8,
    League.NCAAB: 10.0,
}
P_FLOOR = 0.01  # a prior is never a certainty: 1 % .. 99 %
_LINE = re.compile(r"^\s*([A-Za-z0-9&.'-]{2,6})\s+([+-]?\d+(?:\.\d+)?)\s*$")
_EVEN = {"EVEN", "PK", "PICK", "PICK'EM", "PICKEM"}


def spread_home_prob(home_margin: float, league: League) -> float | None:
    """P(home wins) in [0.01, 0.99] for the home side's expected margin in points, or None when
    `league` has no spread σ (see module docstring). Raises ValueError for a non-finite margin."""
    if not math.isfinite(home_margin):
        raise ValueError(f"home_margin {home_margin!r} is not finite")
    sigma = SPREAD_SIGMA.get(league)
    if sigma is None:
        return None
    return min(1.0 - P_FLOOR, max(P_FLOOR, phi(home_margin / sigma)))


def home_margin_from_line(details: str, home_abbr: str, away_abbr: str) -> float | None:
    """Home expected margin from a line such as "TEN -5.5" (TEN favoured by 5.5) or "EVEN".

    Returns +5.5 if TEN is home, −5.5 if TEN is away, 0.0 for a pick'em; None when the text is
    not a line or names neither team (a line we cannot orient is no prior at all).
    """
    text = details.strip().upper()
    if text in _EVEN:
        return 0.0
    match = _LINE.match(text)
    if match is None:
        return None
    team, line = match.group(1), float(match.group(2))
    if team == home_abbr.upper():
        return -line
    if team == away_abbr.upper():
        return line
    return None
