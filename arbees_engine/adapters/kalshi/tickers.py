"""Venue identifier and title parsing: Kalshi tickers, Polymarket slugs, question text.

Pure string work; no alias lookups except `split_team_codes`, which takes the league's code set.

Kalshi event tickers are `SERIES-YYMONDD[HHMM]AWAYHOME`, e.g. `KXNBAGAME-26JUN13NYKSAS`
(date in US Eastern time; MLB adds the ET start `1905` for doubleheaders, e.g.
`KXMLBGAME-25JUN271905NYYBOS`); a market ticker appends `-<YES team code>` (or `-TIE`).
See https://docs.kalshi.com/api-reference/market/get-event (event_ticker, series_ticker).
Polymarket sports slugs are `<league>-<code>-<code>-YYYY-MM-DD[-suffix]`, e.g.
`nba-nyk-sas-2026-06-13` (https://docs.polymarket.com/developers/gamma-markets-api/get-markets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache

from ..model import League

MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}

#: Venue league codes → League. Kalshi series carry the code between "KX" and the market kind.
LEAGUE_CODES: dict[str, League] = {
    "nba": League.NBA, "wnba": League.WNBA, "nfl": League.NFL, "nhl": League.NHL, "mlb": League.MLB,
    "mls": League.MLS, "epl": League.EPL, "laliga": League.LALIGA, "lal": League.LALIGA,
    "bundesliga": League.BUNDESLIGA, "bun": League.BUNDESLIGA, "seriea": League.SERIEA,
    "serie-a": League.SERIEA, "sea": League.SERIEA, "ligue1": League.LIGUE1, "ligue-1": League.LIGUE1,
    "fl1": League.LIGUE1, "ucl": League.UCL, "ncaaf": League.NCAAF, "cfb": League.NCAAF,
    "ncaab": League.NCAAB, "ncaamb": League.NCAAB, "cbb": League.NCAAB,
}
_KALSHI_EVENT = re.compile(
    r"^(?P<series>[A-Z0-9]+)-(?P<yy>\d{2})(?P<mon>[A-Z]{3})(?P<dd>\d{2})(?P<hhmm>\d{4})?(?P<teams>[A-Z][A-Z0-9]*)$")
_SLUG = re.compile(r"^(?P<lg>[a-z0-9]+)-(?P<a>[a-z0-9]+)-(?P<b>[a-z0-9]+)-(?P<d>\d{4}-\d{2}-\d{2})(?:-(?P<suffix>.+))?$")
NOT_MONEYLINE = re.compile(
    r"\b(spreads?|o/u|over/under|totals?|points|1h|2h|first half|second half|handicap|advance|both teams|btts|"
    r"double chance|or draw|draw or|or tie|tie or|avoid defeat|not lose|n't lose|exact score|corners|"
    r"series winner|wins the series|props?|mvp)\b", re.I)
# A resolution text that pays YES on a win OR a draw (double chance), however it is worded.
WIN_OR_DRAW = re.compile(
    r"\b(?:wins?|win the (?:match|game))\b[^.]{0,12}\bor\b[^.]{0,30}\b(?:draws?|ties?|tied|drawn)\b|"
    r"\b(?:draws?|ties?)\b[^.]{0,6}\bor\b[^.]{0,6}\bwins?\b|\bavoids? defeat\b|\b(?:does not|doesn't|not) lose\b", re.I)


class TickerError(ValueError):
    """Raised when a venue identifier does not have the expected shape."""


@dataclass(frozen=True, slots=True)
class KalshiEvent:
    """Parsed Kalshi event ticker. `league` is None when the series code is unknown."""

    series: str
    league: League | None
    kind: str  # "GAME" for moneyline series
    day: date  # US Eastern date
    start_et: time | None
    team_blob: str


def parse_kalshi_event(event_ticker: str) -> KalshiEvent:
    """Parse `KXNBAGAME-26JUN13NYKSAS`. Raises TickerError for another shape or an impossible date."""
    m = _KALSHI_EVENT.match(event_ticker.strip().upper())
    if not m:
        raise TickerError(f"not a Kalshi game event ticker: {event_ticker!r}")
    series = m["series"]
    league, kind = kalshi_series_league(series)
    try:
        day = date(2000 + int(m["yy"]), MONTHS[m["mon"]], int(m["dd"]))
        start = time(int(m["hhmm"][:2]), int(m["hhmm"][2:])) if m["hhmm"] else None
    except (KeyError, ValueError) as exc:
        raise TickerError(f"bad date in {event_ticker!r}") from exc
    return KalshiEvent(series, league, kind, day, start, m["teams"])


@lru_cache(maxsize=1024)
def kalshi_series_league(series: str) -> tuple[League | None, str]:
    """Split a series ticker into (league, market kind): "KXNBAGAME" → (NBA, "GAME"),
    "KXNFLSPREAD" → (NFL, "SPREAD"); (None, "") when no known league code starts it."""
    body = series.upper().removeprefix("KX")
    best = max((c for c in LEAGUE_CODES if body.startswith(c.upper()) and len(body) > len(c)), key=len, default=None)
    if best is None:
        return None, ""
    return LEAGUE_CODES[best], body[len(best):]


def kalshi_yes_code(market_ticker: str, event_ticker: str) -> str:
    """The YES-team code a market ticker appends to its event ticker ("…-SAS" → "SAS")."""
    prefix = event_ticker.strip().upper() + "-"
    ticker = market_ticker.strip().upper()
    if not ticker.startswith(prefix) or len(ticker) == len(prefix):
        raise TickerError(f"market ticker {market_ticker!r} does not extend event {event_ticker!r}")
    return ticker[len(prefix):]


def split_team_codes(blob: str, codes: set[str] | dict[str, object]) -> list[tuple[str, str]]:
    """Every way to cut `blob` ("NYKSAS") into two known codes: [("NYK", "SAS")]."""
    return [(blob[:i], blob[i:]) for i in range(1, len(blob)) if blob[:i] in codes and blob[i:] in codes]


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
        text = text[m.end():]
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
