"""Kalshi ticker grammar: event tickers, series tickers, market tickers.

Kalshi event tickers are `SERIES-YYMONDD[HHMM]AWAYHOME`, e.g. `KXNBAGAME-26JUN13NYKSAS`
(date in US Eastern time; MLB adds the ET start `1905` for doubleheaders, e.g.
`KXMLBGAME-25JUN271905NYYBOS`); a market ticker appends `-<YES team code>` (or `-TIE`).
See https://docs.kalshi.com/api-reference/market/get-event (event_ticker, series_ticker).
Pure string work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache

from ...model import League
from ..leagues import LEAGUE_CODES

MONTHS = {
    m: i
    for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)
}

_KALSHI_EVENT = re.compile(
    r"^(?P<series>[A-Z0-9]+)-(?P<yy>\d{2})(?P<mon>[A-Z]{3})(?P<dd>\d{2})(?P<hhmm>\d{4})?(?P<teams>[A-Z][A-Z0-9]*)$"
)


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
    return LEAGUE_CODES[best], body[len(best) :]


def kalshi_yes_code(market_ticker: str, event_ticker: str) -> str:
    """The YES-team code a market ticker appends to its event ticker ("…-SAS" → "SAS")."""
    prefix = event_ticker.strip().upper() + "-"
    ticker = market_ticker.strip().upper()
    if not ticker.startswith(prefix) or len(ticker) == len(prefix):
        raise TickerError(f"market ticker {market_ticker!r} does not extend event {event_ticker!r}")
    return ticker[len(prefix) :]
