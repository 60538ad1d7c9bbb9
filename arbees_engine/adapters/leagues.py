"""League codes the venues write in their identifiers (Kalshi series, Polymarket slugs, hints)."""

from __future__ import annotations

from ..model import League

#: Venue league codes → League. Kalshi series carry the code between "KX" and the market kind.
LEAGUE_CODES: dict[str, League] = {
    "nba": League.NBA,
    "wnba": League.WNBA,
    "nfl": League.NFL,
    "nhl": League.NHL,
    "mlb": League.MLB,
    "mls": League.MLS,
    "epl": League.EPL,
    "laliga": League.LALIGA,
    "lal": League.LALIGA,
    "bundesliga": League.BUNDESLIGA,
    "bun": League.BUNDESLIGA,
    "seriea": League.SERIEA,
    "serie-a": League.SERIEA,
    "sea": League.SERIEA,
    "ligue1": League.LIGUE1,
    "ligue-1": League.LIGUE1,
    "fl1": League.LIGUE1,
    "ucl": League.UCL,
    "ncaaf": League.NCAAF,
    "cfb": League.NCAAF,
    "ncaab": League.NCAAB,
    "ncaamb": League.NCAAB,
    "cbb": League.NCAAB,
}
