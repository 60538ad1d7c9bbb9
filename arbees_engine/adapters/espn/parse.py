"""ESPN site API scoreboard/summary JSON → `GameState` (pure functions, no I/O).

Source shape: `GET https://site.api.espn.com/apis/site/v2/sports/{sport}/{league}/scoreboard`
(unofficial, undocumented; field meanings inferred from the recorded fixtures listed in
shared/fixtures/SOURCES.md). Each `events[]` element holds `competitions[0]` with
`competitors[]` (`homeAway`, `score` as a string, `team.abbreviation/displayName`), `status`
(`clock` seconds, `displayClock`, `period`, `type.state` pre/in/post, `type.name`,
`type.completed`) and, in football, `situation` (`down`, `distance`, `yardLine`, `possession`
= team id, `possessionText` "NO 10", timeouts). Also read: `event.season` (playoffs),
`competitions[0].neutralSite` and, before the start, `competitions[0].odds[].details` (the line).
"""

from __future__ import annotations

from datetime import datetime

from ...model import LEAGUE_SPORT, GameState, GameStateError, GameStatus, League, Sport, Team
from ...pricing.spread import home_margin_from_line, spread_home_prob
from ..wire import (
    MAX_ID_CHARS,
    ParseError,
    Rejection,
    dig,
    need,
    need_dict,
    need_list,
    need_str,
    short,
    text,
    timestamp,
    to_float,
    to_int,
)
from .clock import added_time_seconds, clock_rules, game_clock
from .innings import inning_state

#: Highest score accepted (cricket aside, no supported sport comes near it).
MAX_SCORE = 10_000
_CANCELED_NAMES = {"STATUS_CANCELED", "STATUS_CANCELLED", "STATUS_ABANDONED", "STATUS_FORFEIT"}
_POSTPONED_NAMES = {"STATUS_POSTPONED", "STATUS_SUSPENDED", "STATUS_DELAYED_POSTPONED"}


def map_status(status_type: dict) -> GameStatus:
    """ESPN `status.type` → GameStatus.

    FINAL only when `state` is "post" AND `completed` is true: a postponed match also reports
    state "post" (with completed false) and must never settle as a result.
    """
    name = str(status_type.get("name") or "").upper()
    state = str(status_type.get("state") or "").lower()
    completed = status_type.get("completed") is True
    if name in _CANCELED_NAMES:
        return GameStatus.CANCELED
    if name in _POSTPONED_NAMES:
        return GameStatus.POSTPONED
    if state == "pre":
        return GameStatus.SCHEDULED
    if state == "in":
        return GameStatus.LIVE
    if state == "post":
        return GameStatus.FINAL if completed else GameStatus.POSTPONED
    raise ParseError("bad_status", f"status.type state={short(state)} name={short(name)}")


def parse_score(value: object, field: str) -> int:
    """A score from "26", 26, or {"value": 26.0, "displayValue": "26"}; ParseError("bad_score")."""
    if isinstance(value, dict):
        value = value.get("value", value.get("displayValue"))
    try:
        score = to_int(value, field)
    except ParseError:
        try:
            as_float = to_float(value, field)
        except ParseError:
            raise ParseError("bad_score", f"{field}={short(value)} is not a number") from None
        if not as_float.is_integer():
            raise ParseError("bad_score", f"{field}={short(value)}") from None
        score = int(as_float)
    if not 0 <= score <= MAX_SCORE:
        raise ParseError("bad_score", f"{field}={score:.6g} is outside 0..{MAX_SCORE}")
    return score


def _team(competitor: dict, where: str) -> Team:
    team = need_dict(need(competitor, "team", where), f"{where}.team")
    abbr = team.get("abbreviation") or team.get("shortDisplayName") or team.get("name")
    name = team.get("displayName") or team.get("name") or abbr
    if not abbr or not name:
        raise ParseError("missing_field", f"{where}.team has no abbreviation/displayName")
    return Team(
        abbr=text(abbr, f"{where}.team.abbreviation", MAX_ID_CHARS),
        name=text(name, f"{where}.team.displayName", MAX_ID_CHARS),
    )


def _sides(competition: dict) -> dict[str, dict]:
    competitors = need_list(need(competition, "competitors", "competition"), "competitors")
    sides: dict[str, dict] = {}
    for competitor in competitors:
        competitor = need_dict(competitor, "competitor")
        side = competitor.get("homeAway")
        if side not in ("home", "away") or side in sides:
            raise ParseError("bad_competitors", f"homeAway={short(side)} missing or repeated")
        sides[side] = competitor
    if set(sides) != {"home", "away"}:
        raise ParseError("bad_competitors", f"need one home and one away, got {sorted(sides)}")
    return sides


def _team_id(competitor: dict) -> str:
    return str(competitor.get("id") or (competitor.get("team") or {}).get("id") or "")


def _yard_line_100(situation: dict, offence: str, teams: dict[str, Team]) -> int | None:
    """Yards the offence needs to the opponent's end zone (nflscrapR `yardline_100`).

    Preferred from `possessionText` ("NO 10": the ball on NO's 10). Otherwise from `yardLine`,
    which the fixtures show is measured from the HOME goal line (NO ball at its own 10 →
    yardLine 90; an ATL drive from "ATL 25" → 25; "NO 47" → 53).
    """
    text = str(situation.get("possessionText") or "").split()
    if len(text) == 2 and text[1].isdigit():
        owner, yards = text[0], int(text[1])
        if owner == teams[offence].abbr:
            return 100 - yards
        defence = "away" if offence == "home" else "home"
        if owner == teams[defence].abbr:
            return yards
    if len(text) == 1 and text[0] == "50":
        return 50
    raw = situation.get("yardLine")
    if raw is None:
        return None
    yard_line = to_int(raw, "situation.yardLine")
    if not 0 <= yard_line <= 100:
        raise ParseError("bad_situation", f"yardLine={yard_line}")
    return 100 - yard_line if offence == "home" else yard_line


def _situation(situation: dict, sides: dict[str, dict], teams: dict[str, Team]) -> dict:
    out: dict = {}
    for key, field in (("home_timeouts", "homeTimeouts"), ("away_timeouts", "awayTimeouts")):
        if situation.get(field) is not None:
            out[key] = to_int(situation[field], f"situation.{field}")
    holder = str(situation.get("possession") or "")
    offence = next((side for side, c in sides.items() if holder and _team_id(c) == holder), None)
    if offence is None:
        return out
    out["possession"] = offence
    down = situation.get("down")
    if down is not None and to_int(down, "situation.down") > 0:
        out["down"] = to_int(down, "situation.down")
        out["distance"] = to_int(need(situation, "distance", "situation"), "situation.distance")
    out["yard_line_100"] = _yard_line_100(situation, offence, teams)
    return out


def _extra(status_type: dict, situation: dict) -> dict[str, str]:
    extra = {
        "espn_status": text(status_type.get("name"), "status.type.name", MAX_ID_CHARS),
        "detail": text(status_type.get("shortDetail"), "status.type.shortDetail", MAX_ID_CHARS),
    }
    home_pct = dig(situation, "lastPlay", "probability", "homeWinPercentage")
    if home_pct is not None:
        extra["espn_home_win_pct"] = str(home_pct)
    return extra


def _spread_prior(competition: dict, league: League, teams: dict[str, Team]) -> tuple[float | None, str]:
    """(P(home wins) from the first `odds[].details` line such as "TEN -5.5", that line) or (None, "").

    ESPN puts the sportsbook line on pre-game events (`competitions[0].odds`, recorded in the NFL
    scoreboard fixture); conversion in pricing/spread.py. A line naming neither team is ignored.
    """
    odds = competition.get("odds")
    for item in odds if isinstance(odds, list) else ():
        details = item.get("details") if isinstance(item, dict) else None
        if not isinstance(details, str):
            continue
        margin = home_margin_from_line(details, teams["home"].abbr, teams["away"].abbr)
        if margin is not None:
            return spread_home_prob(margin, league), details
    return None, ""


def _is_postseason(event: dict) -> bool:
    """ESPN `event.season`: {"type": 3, "slug": "post-season"} for playoffs (1 pre, 2 regular).
    Soccer `type` values are competition-season ids, so only the slug counts there."""
    season = event.get("season") if isinstance(event.get("season"), dict) else {}
    return season.get("slug") == "post-season" or (season.get("type") == 3 and not season.get("slug"))


def parse_event(event: dict, league: League, observed_at: datetime | None) -> GameState:
    """One scoreboard `events[]` element → a validated GameState. Raises ParseError."""
    event = need_dict(event, "event")
    event_id = need_str(event, "id", "event")
    competitions = need_list(need(event, "competitions", "event"), "competitions")
    if not competitions:
        raise ParseError("missing_field", "event.competitions is empty")
    competition = need_dict(competitions[0], "competition")
    sides = _sides(competition)
    teams = {side: _team(c, f"competitor[{side}]") for side, c in sides.items()}
    status = need_dict(competition.get("status") or need(event, "status", "event"), "status")
    status_type = need_dict(need(status, "type", "status"), "status.type")
    game_status = map_status(status_type)
    rules = clock_rules(league)
    period, clock, remaining = game_clock(status, game_status, rules)
    scores = {}
    for side, competitor in sides.items():
        raw = competitor.get("score")
        if raw is None and game_status in (GameStatus.LIVE, GameStatus.FINAL):
            raise ParseError("missing_field", f"competitor[{side}].score missing")
        scores[side] = 0 if raw is None else parse_score(raw, f"competitor[{side}].score")
    situation = competition.get("situation") if isinstance(competition.get("situation"), dict) else {}
    state_fields = _situation(situation, sides, teams) if game_status is GameStatus.LIVE else {}
    if game_status is GameStatus.LIVE and LEAGUE_SPORT[league] is Sport.SOCCER:
        state_fields["added_time_s"] = added_time_seconds(status.get("displayClock"))
    if game_status is GameStatus.LIVE and LEAGUE_SPORT[league] is Sport.BASEBALL:
        state_fields.update(inning_state(period, status_type, situation))
        period = state_fields.pop("period", period)
    extra = _extra(status_type, situation)
    if game_status is GameStatus.SCHEDULED:  # a line is a pre-game view only; the engine freezes it
        prior, line = _spread_prior(competition, league, teams)
        if prior is not None:
            state_fields["pregame_home_prob"] = prior
            extra["prior_line"] = line
    state = GameState(
        game_id=f"espn:{league.value}:{event_id}",
        sport=LEAGUE_SPORT[league],
        league=league,
        home=teams["home"],
        away=teams["away"],
        status=game_status,
        home_score=scores["home"],
        away_score=scores["away"],
        period=period,
        clock_s=clock,
        seconds_remaining_regulation=remaining,
        regulation_seconds=float(rules.regulation_s),
        start_time=timestamp(event.get("date") or competition.get("date"), "event.date"),
        observed_at=observed_at,
        postseason=_is_postseason(event),
        neutral_site=competition.get("neutralSite") is True,
        extra=extra,
        **state_fields,
    )
    try:
        return state.validate()
    except GameStateError as exc:
        raise ParseError("bad_state", str(exc)) from None


def parse_scoreboard(
    payload: object, league: League, observed_at: datetime | None = None
) -> tuple[list[GameState], list[Rejection]]:
    """A scoreboard payload → (games, rejections): a bad event is rejected, the rest parse.

    Raises ParseError only when the payload itself is not an object with an `events` list.
    """
    events = need_list(need(need_dict(payload, "scoreboard"), "events", "scoreboard"), "events")
    games: list[GameState] = []
    rejections: list[Rejection] = []
    for index, event in enumerate(events):
        try:
            games.append(parse_event(event, league, observed_at))
        except ParseError as exc:
            where = short(event.get("id")) if isinstance(event, dict) and event.get("id") else None
            rejections.append(Rejection.of(exc, f"event {where or '#' + str(index)}"))
    return games, rejections


def parse_summary(payload: object, league: League, observed_at: datetime | None = None) -> GameState:
    """`GET …/{sport}/{league}/summary?event=ID` → GameState of that game. Raises ParseError.

    Uses `header.competitions[0]`; when its status lacks period/clock (as in finished games),
    the last `plays[]` entry supplies them.
    """
    header = need_dict(need(need_dict(payload, "summary"), "header", "summary"), "header")
    competitions = need_list(need(header, "competitions", "header"), "competitions")
    if not competitions:
        raise ParseError("missing_field", "header.competitions is empty")
    competition = need_dict(competitions[0], "competition")
    status = dict(need_dict(need(competition, "status", "competition"), "status"))
    plays = payload.get("plays") if isinstance(payload, dict) else None
    if "period" not in status and isinstance(plays, list) and plays and isinstance(plays[-1], dict):
        last = plays[-1]
        status["period"] = dig(last, "period", "number") or 0
        status["displayClock"] = dig(last, "clock", "displayValue") or "0:00"
    competition["status"] = status
    event = {"id": header.get("id"), "date": competition.get("date"), "competitions": [competition]}
    return parse_event(event, league, observed_at)
