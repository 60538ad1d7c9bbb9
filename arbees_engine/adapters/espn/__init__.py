"""ESPN game feed: scoreboard parsing (pure) and the adaptive poller."""

from .clock import ClockRules, clock_rules, game_clock, parse_display_clock
from .feed import ESPN_LEAGUE_PATHS, EspnFeed, league_for_path
from .parse import map_status, parse_event, parse_scoreboard, parse_summary

__all__ = [
    "ESPN_LEAGUE_PATHS",
    "ClockRules",
    "EspnFeed",
    "clock_rules",
    "game_clock",
    "league_for_path",
    "map_status",
    "parse_display_clock",
    "parse_event",
    "parse_scoreboard",
    "parse_summary",
]
