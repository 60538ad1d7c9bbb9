"""Team pools per league for the simulated slate (real abbreviations, so the desk reads naturally)."""

from __future__ import annotations

from ...model import League, Team

_POOLS: dict[League, tuple[tuple[str, str], ...]] = {
    League.NBA: (
        ("BOS", "Boston Celtics"),
        ("NYK", "New York Knicks"),
        ("MIL", "Milwaukee Bucks"),
        ("DEN", "Denver Nuggets"),
        ("LAL", "Los Angeles Lakers"),
        ("GSW", "Golden State Warriors"),
        ("PHX", "Phoenix Suns"),
        ("MIA", "Miami Heat"),
        ("OKC", "Oklahoma City Thunder"),
        ("SAS", "San Antonio Spurs"),
        ("DAL", "Dallas Mavericks"),
        ("CLE", "Cleveland Cavaliers"),
        ("MIN", "Minnesota Timberwolves"),
        ("IND", "Indiana Pacers"),
        ("ORL", "Orlando Magic"),
        ("HOU", "Houston Rockets"),
    ),
    League.NFL: (
        ("KC", "Kansas City Chiefs"),
        ("BUF", "Buffalo Bills"),
        ("PHI", "Philadelphia Eagles"),
        ("SF", "San Francisco 49ers"),
        ("DAL", "Dallas Cowboys"),
        ("BAL", "Baltimore Ravens"),
        ("DET", "Detroit Lions"),
        ("GB", "Green Bay Packers"),
        ("CIN", "Cincinnati Bengals"),
        ("MIA", "Miami Dolphins"),
        ("LAR", "Los Angeles Rams"),
        ("PIT", "Pittsburgh Steelers"),
        ("SEA", "Seattle Seahawks"),
        ("MIN", "Minnesota Vikings"),
    ),
    League.NHL: (
        ("BOS", "Boston Bruins"),
        ("TOR", "Toronto Maple Leafs"),
        ("NYR", "New York Rangers"),
        ("EDM", "Edmonton Oilers"),
        ("COL", "Colorado Avalanche"),
        ("VGK", "Vegas Golden Knights"),
        ("FLA", "Florida Panthers"),
        ("DAL", "Dallas Stars"),
        ("CAR", "Carolina Hurricanes"),
        ("TBL", "Tampa Bay Lightning"),
        ("WPG", "Winnipeg Jets"),
        ("MTL", "Montreal Canadiens"),
        ("VAN", "Vancouver Canucks"),
        ("PIT", "Pittsburgh Penguins"),
    ),
    League.EPL: (
        ("ARS", "Arsenal"),
        ("MCI", "Manchester City"),
        ("LIV", "Liverpool"),
        ("CHE", "Chelsea"),
        ("MUN", "Manchester United"),
        ("TOT", "Tottenham Hotspur"),
        ("NEW", "Newcastle United"),
        ("AVL", "Aston Villa"),
        ("BHA", "Brighton & Hove Albion"),
        ("WHU", "West Ham United"),
        ("EVE", "Everton"),
        ("FUL", "Fulham"),
        ("BRE", "Brentford"),
        ("CRY", "Crystal Palace"),
    ),
}


def supported_leagues() -> tuple[League, ...]:
    """Leagues the simulator can play."""
    return tuple(_POOLS)


def team_pool(league: League) -> tuple[Team, ...]:
    """All teams of `league`. Raises KeyError for a league the simulator does not play."""
    return tuple(Team(abbr, name) for abbr, name in _POOLS[league])
