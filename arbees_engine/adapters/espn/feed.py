"""ESPN scoreboard poller: adaptive interval per league, never dies on HTTP or parse errors.

Polls `{base_url}/{sport}/{league}/scoreboard` (e.g. `basketball/nba`) with conditional GETs
(ETag / Last-Modified, RFC 9110 §13.1) for each configured
league: every `poll_live_s` seconds while any game of that league is LIVE, else `poll_idle_s`.

College scoreboards without `groups` list ESPN's featured games only, so college markets never
found their game: men's basketball is asked for `groups=50` (all of Division I) and college
football for `groups=80` (all of FBS; the recorded FBS capture answers `"groups": ["80"]`,
../shared/fixtures/espn/scoreboard_ncaaf_fbs_week_teamtracker.json), each with `limit=500` so a
full slate is not cut to ESPN's default page (common use of ESPN's undocumented site API, e.g.
`.../mens-college-basketball/scoreboard?groups=50&limit=...`; see SCOREBOARD_QUERY).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import structlog

from ...model import GameStatus, League
from ..base import Sink
from ..http import DEFAULT_POLICY, NOT_MODIFIED, ConditionalCache, FetchError, RetryPolicy, get_json
from ..wire import ParseError
from .parse import parse_scoreboard

log = structlog.get_logger(__name__)

SOURCE = "espn"

#: ESPN URL path → League. Only these strings ever enter a URL (allowlist).
ESPN_LEAGUE_PATHS: dict[str, League] = {
    "basketball/nba": League.NBA,
    "basketball/wnba": League.WNBA,
    "basketball/mens-college-basketball": League.NCAAB,
    "football/nfl": League.NFL,
    "football/college-football": League.NCAAF,
    "hockey/nhl": League.NHL,
    "baseball/mlb": League.MLB,
    "soccer/eng.1": League.EPL,
    "soccer/usa.1": League.MLS,
    "soccer/esp.1": League.LALIGA,
    "soccer/ger.1": League.BUNDESLIGA,
    "soccer/ita.1": League.SERIEA,
    "soccer/fra.1": League.LIGUE1,
    "soccer/uefa.champions": League.UCL,
}


#: Extra scoreboard query parameters per league path (see the module docstring).
SCOREBOARD_QUERY: dict[str, dict[str, str]] = {
    "basketball/mens-college-basketball": {"groups": "50", "limit": "500"},  # all of Division I
    "football/college-football": {"groups": "80", "limit": "500"},  # all of FBS
}


def scoreboard_request(base_url: str, path: str) -> tuple[str, dict[str, str]]:
    """(URL, query parameters) of league `path`'s scoreboard: `{base_url}/{path}/scoreboard` plus
    SCOREBOARD_QUERY's parameters. Raises ValueError for a path outside ESPN_LEAGUE_PATHS."""
    league_for_path(path)
    return f"{base_url.rstrip('/')}/{path}/scoreboard", dict(SCOREBOARD_QUERY.get(path, {}))


def league_for_path(path: str) -> League:
    """Validate an ESPN league path ("basketball/nba") against the allowlist → League.

    Raises ValueError for anything else (so no configured string can reshape a URL).
    """
    league = ESPN_LEAGUE_PATHS.get(path)
    if league is None:
        raise ValueError(f"unknown ESPN league path {path!r}; allowed: {sorted(ESPN_LEAGUE_PATHS)}")
    return league


class EspnFeed:
    """Polls ESPN scoreboards and pushes every game as a `GameState` into the sink.

    leagues: ESPN paths from `ESPN_LEAGUE_PATHS` (ValueError at construction otherwise).
    base_url: e.g. settings `endpoints.espn_base_url`; client: an httpx.AsyncClient
    (see `adapters.http.make_client`); poll_live_s / poll_idle_s: seconds between polls of a
    league with / without a LIVE game. HTTP failures (after retries) and bad payloads are counted
    via `sink.reject("espn", reason, detail)` and the loop carries on.
    """

    name = SOURCE

    def __init__(
        self,
        leagues: list[str],
        base_url: str,
        client: httpx.AsyncClient,
        poll_live_s: float = 5.0,
        poll_idle_s: float = 120.0,
        *,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        self.leagues = {path: league_for_path(path) for path in leagues}
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.poll_live_s = poll_live_s
        self.poll_idle_s = poll_idle_s
        self.policy = policy
        self.cache = ConditionalCache()  # ETag / Last-Modified per scoreboard URL
        self._live: dict[str, bool] = {}

    async def run(self, sink: Sink) -> None:
        """Poll every league concurrently until cancelled. Never raises on bad input."""
        async with asyncio.TaskGroup() as group:
            for path, league in self.leagues.items():
                group.create_task(self._run_league(path, league, sink))

    async def _run_league(self, path: str, league: League, sink: Sink) -> None:
        while True:
            any_live = await self.poll_once(path, league, sink)
            await asyncio.sleep(self.poll_live_s if any_live else self.poll_idle_s)

    async def poll_once(self, path: str, league: League, sink: Sink) -> bool:
        """Fetch one scoreboard and push its games; True when a game is LIVE.

        Every failure is counted and logged and returns True (poll again at the live pace), since
        the league's state is then unknown and a live game must not wait `poll_idle_s`.
        """
        url, params = scoreboard_request(self.base_url, path)
        try:  # the conditional cache is keyed by URL: one fixed query per league path
            payload = await get_json(self.client, url, params or None, policy=self.policy, cache=self.cache)
        except (FetchError, ParseError) as exc:  # ParseError: the body failed wire.decode_json
            log.warning("espn_poll_failed", league=path, reason=exc.reason, detail=exc.detail)
            sink.reject(SOURCE, exc.reason, f"{path}: {exc.detail}")
            return True
        except Exception as exc:  # noqa: BLE001 - the feed must survive anything the wire sends
            log.exception("espn_poll_error", league=path)
            sink.reject(SOURCE, f"bad_frame:{type(exc).__name__}", f"{path}: {exc}"[:300])
            return True
        if payload is NOT_MODIFIED:  # conditional GET: nothing changed since the last poll
            return self._live.get(path, True)
        return self.take(payload, path, league, sink)

    def take(self, payload: object, path: str, league: League, sink: Sink) -> bool:
        """Parse one decoded scoreboard of `league` and push its games; True when a game is LIVE
        or the payload failed. The feed's boundary: a bad payload or event is counted (its
        ParseError reason, or "bad_frame:<ExceptionType>" for anything else), never raised."""
        try:
            games, rejections = parse_scoreboard(payload, league, datetime.now(UTC))
        except ParseError as exc:
            log.warning("espn_poll_failed", league=path, reason=exc.reason, detail=exc.detail[:300])
            sink.reject(SOURCE, exc.reason, f"{path}: {exc.detail[:300]}")
            return True
        except Exception as exc:  # noqa: BLE001 - the feed must survive anything the wire sends
            log.exception("espn_poll_error", league=path)
            sink.reject(SOURCE, f"bad_frame:{type(exc).__name__}", f"{path}: {exc}"[:300])
            return True
        for rejection in rejections:
            detail = rejection.detail[:300]  # a rejected value can be a megabyte long
            log.warning("espn_event_rejected", league=path, reason=rejection.reason, detail=detail)
            sink.reject(SOURCE, rejection.reason, f"{path}: {detail}")
        for game in games:
            sink.on_game_state(game)
        self._live[path] = any(game.status is GameStatus.LIVE for game in games)
        return self._live[path]
