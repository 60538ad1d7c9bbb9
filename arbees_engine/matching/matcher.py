"""Tie each venue market to one game and one outcome, or refuse with a stable reason code.

Layers: (1) venue parsing (`evidence.extract`), (2) exact per-league alias lookup, (3) strict
rapidfuzz fallback inside `LeagueAliases.resolve_name`. Refuse rather than guess:
reason codes are unknown_league, league_mismatch, not_moneyline, unknown_team, ambiguous_team,
shared_mascot_only, team_sources_disagree, opponent_mismatch, date_mismatch, no_game,
ambiguous_game, ambiguous_doubleheader, game_postponed, yes_label_mismatch, draw_not_possible.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import structlog

from ..model import GameState, GameStatus, League, Market, MarketListing, Outcome, Sport
from .aliases import AliasBook, LeagueAliases, default_aliases
from .evidence import EASTERN, Evidence, Refuse, eastern_date, extract
from .resolve import resolve_pair, resolve_yes

log = structlog.get_logger(__name__)
REASON_CODES = frozenset(
    {
        "unknown_league",
        "league_mismatch",
        "not_moneyline",
        "unknown_team",
        "ambiguous_team",
        "shared_mascot_only",
        "team_sources_disagree",
        "opponent_mismatch",
        "date_mismatch",
        "no_game",
        "ambiguous_game",
        "ambiguous_doubleheader",
        "game_postponed",
        "yes_label_mismatch",
        "draw_not_possible",
        "unknown_venue",
        "start_mismatch",
    }
)
# Refusals that depend on which games the matcher knows: a game added later may resolve them.
GAME_DEPENDENT_REFUSALS = frozenset(
    {
        "no_game",
        "date_mismatch",
        "opponent_mismatch",
        "ambiguous_game",
        "ambiguous_doubleheader",
        "game_postponed",
        "start_mismatch",
    }
)
DOUBLEHEADER_TOLERANCE = timedelta(minutes=45)
START_TOLERANCE = timedelta(hours=3)  # a Polymarket gameStartTime this far from the game's start: another game


@dataclass(frozen=True, slots=True)
class Match:
    """A listing tied to `game_id`; YES pays on `outcome`; `yes_team` is the game's team abbr
    (None for DRAW); `confidence` 0..1; `method` names the evidence used."""

    game_id: str
    outcome: Outcome
    yes_team: str | None
    confidence: float
    method: str


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a listing was not matched: stable `reason_code`, human `detail` for the desk."""

    reason_code: str
    detail: str


MatchResult = Match | Refusal


@dataclass(frozen=True, slots=True)
class _Indexed:
    state: GameState
    home_key: str
    away_key: str
    day: date | None


class Matcher:
    """Holds the games the feed knows and matches listings against them.

    `Matcher(games)` indexes an initial iterable of GameStates (optional); `aliases` defaults
    to the packaged alias book.

    `add_game` replaces an earlier state of the same game_id; `match` is O(1) dict work per
    listing plus a scan of the handful of games sharing the listing's two teams.
    """

    def __init__(self, games: Iterable[GameState] = (), aliases: AliasBook | None = None) -> None:
        self.aliases = aliases or default_aliases()
        self._games: dict[str, _Indexed] = {}
        self._by_pair: dict[tuple[League, frozenset[str]], set[str]] = {}
        self._by_team: dict[tuple[League, str], set[str]] = {}
        for state in games:
            self.add_game(state)

    # ---- games -------------------------------------------------------------------------
    def add_game(self, state: GameState) -> None:
        """Index (or re-index) a game under its league, its two team keys and Eastern date."""
        self.remove_game(state.game_id)
        la = self.aliases.league(state.league)
        home, away = _game_key(la, state.home), _game_key(la, state.away)
        day = eastern_date(state.start_time) if state.start_time else None
        self._games[state.game_id] = _Indexed(state, home, away, day)
        self._by_pair.setdefault((state.league, frozenset((home, away))), set()).add(state.game_id)
        for key in (home, away):
            self._by_team.setdefault((state.league, key), set()).add(state.game_id)

    def remove_game(self, game_id: str) -> None:
        """Forget a game; unknown ids are ignored."""
        old = self._games.pop(game_id, None)
        if old is None:
            return
        self._by_pair.get((old.state.league, frozenset((old.home_key, old.away_key))), set()).discard(game_id)
        for key in (old.home_key, old.away_key):
            self._by_team.get((old.state.league, key), set()).discard(game_id)

    # ---- matching ----------------------------------------------------------------------
    def match(self, listing: MarketListing) -> MatchResult:
        """Match one listing. Never raises for bad listing content: returns a Refusal instead."""
        try:
            return self._match(listing)
        except Refuse as r:
            return Refusal(r.reason_code, r.detail)

    def _match(self, listing: MarketListing) -> Match:
        ev = extract(listing)
        league = _league_of(ev)
        la = self.aliases.league(league)
        if la is None:
            raise Refuse("unknown_league", f"no team aliases for league {league}")
        side_a, side_b, method, fuzzy = resolve_pair(ev, la)
        game = self._find_game(ev, league, la, side_a, side_b)
        if game.state.status in (GameStatus.POSTPONED, GameStatus.CANCELED):
            raise Refuse("game_postponed", f"{game.state.game_id} is {game.state.status.value}")
        outcome, yes_key = resolve_yes(ev, la, game.home_key, game.away_key)
        if outcome is Outcome.DRAW and la.sport is not Sport.SOCCER:
            raise Refuse("draw_not_possible", f"draw market on a {la.sport.value} game")
        yes_team = None
        if outcome is not Outcome.DRAW:
            yes_team = (game.state.home if yes_key == game.home_key else game.state.away).abbr
        return Match(game.state.game_id, outcome, yes_team, 0.9 if fuzzy else 1.0, method)

    def _find_game(
        self, ev: Evidence, league: League, la: LeagueAliases, side_a: frozenset[str], side_b: frozenset[str]
    ) -> _Indexed:
        ids: set[str] = set()
        for a in side_a:
            for b in side_b:
                if a != b:
                    ids |= self._by_pair.get((league, frozenset((a, b))), set())
        games = [self._games[i] for i in ids]
        if not games:
            raise self._diagnose_missing(ev, league, side_a, side_b)
        dated = [g for g in games if ev.day is None or g.day == ev.day]
        if not dated:
            days = ", ".join(sorted(str(g.day) for g in games))
            raise Refuse("date_mismatch", f"market date {ev.day} (US Eastern) but these teams play on {days}")
        if len({frozenset((g.home_key, g.away_key)) for g in dated}) > 1:
            raise Refuse("ambiguous_team", f"teams {sorted(side_a)} / {sorted(side_b)} fit several pairings")
        if ev.day is None:
            raise Refuse("ambiguous_game", f"{len(dated)} game(s) between these teams and the market gives no date")
        if len(dated) == 1:
            return _check_single(ev, dated[0], la.sport)
        return _pick_doubleheader(ev, dated)

    def _diagnose_missing(self, ev: Evidence, league: League, side_a: frozenset[str], side_b: frozenset[str]) -> Refuse:
        for side, other in ((side_a, side_b), (side_b, side_a)):
            for key in side:
                for gid in self._by_team.get((league, key), set()):
                    g = self._games[gid]
                    if ev.day is None or g.day == ev.day:
                        opp = g.away_key if g.home_key == key else g.home_key
                        return Refuse(
                            "opponent_mismatch", f"{key} plays {opp} in {gid}, market names {'/'.join(sorted(other))}"
                        )
        names = self._other_league_game(ev, league)
        if names:
            return Refuse("league_mismatch", f"market league {league} but the teams play in {names}")
        return Refuse(
            "no_game", f"no {league} game for {'/'.join(sorted(side_a))} vs {'/'.join(sorted(side_b))} on {ev.day}"
        )

    def _other_league_game(self, ev: Evidence, league: League) -> str | None:
        for other in {g.state.league for g in self._games.values()} - {league}:
            la = self.aliases.league(other)
            if la is None:
                continue
            try:
                a, b, _, _ = resolve_pair(ev, la)
            except Refuse:
                continue
            for x in a:
                for y in b:
                    ids = self._by_pair.get((other, frozenset((x, y))), set())
                    same_day = [i for i in ids if ev.day is None or self._games[i].day == ev.day]
                    if same_day:
                        return f"{other.value} ({same_day[0]})"
        return None

    # ---- domain market -----------------------------------------------------------------
    def to_market(self, listing: MarketListing, match: Match) -> Market:
        """Build the domain Market for a matched listing (market_id "<venue>:<venue_market_id>")."""
        return Market(
            market_id=listing.market_id,
            venue=listing.venue,
            venue_market_id=listing.venue_market_id,
            game_id=match.game_id,
            outcome=match.outcome,
            yes_team=match.yes_team,
            title=listing.title,
            tick=listing.tick,
            fees=listing.fees,
            no_token_id=listing.no_token_id,
            min_order_contracts=listing.min_order_contracts,
            contract_step=listing.contract_step,
            extra={"match_method": match.method},
            tick_schedule=listing.tick_schedule,
            tick_refused=listing.tick_refused,
        )


def _league_of(ev: Evidence) -> League:
    leagues = set(ev.leagues.values())
    if len(leagues) > 1:
        detail = ", ".join(f"{src}={lg}" for src, lg in sorted(ev.leagues.items()))
        raise Refuse("league_mismatch", f"listing sources disagree on the league: {detail}")
    if not leagues:
        raise Refuse("unknown_league", f"no known league in {ev.unknown_codes or 'the listing'}")
    return leagues.pop()


def _game_key(la: LeagueAliases | None, team) -> str:
    """A feed team's alias key: its abbreviation first, then its full name; '?ABBR' if unknown."""
    if la is not None:
        for res in (la.resolve_code(team.abbr), la.resolve_name(team.name, fuzzy=False)):
            if res is not None and len(res.keys) == 1:
                return next(iter(res.keys))
        log.warning("matching.unknown_feed_team", league=la.league.value, abbr=team.abbr, name=team.name)
    return f"?{team.abbr.upper()}"


def _check_single(ev: Evidence, game: _Indexed, sport: Sport) -> _Indexed:
    """The only known game of these teams that day, if the listing's own start and game number
    agree with it: game 2 of a doubleheader must not match game 1 because game 2 is not known yet.
    Raises Refuse("start_mismatch" / "ambiguous_doubleheader"), both retried when games arrive."""
    start = _utc(game.state.start_time)
    if ev.start_et is not None and start is not None and _et_minutes_apart(start, ev.start_et) > 45:
        raise Refuse("start_mismatch", f"the market's {ev.start_et:%H:%M} ET start is not {game.state.game_id}'s")
    # a doubleheader with one game known; in the postseason "Game N" is the series game, never a doubleheader
    if sport is Sport.BASEBALL and ev.game_number in (1, 2) and not game.state.postseason:
        raise Refuse(
            "ambiguous_doubleheader",
            f"market names game {ev.game_number} of a doubleheader; only {game.state.game_id} is known",
        )
    # Kalshi's starts_at is the expected END of play, not the start: only Polymarket's is compared
    if (
        ev.start_is_scheduled
        and ev.starts_at is not None
        and start is not None
        and abs(start - ev.starts_at) > START_TOLERANCE
    ):
        raise Refuse(
            "start_mismatch",
            f"the market starts {ev.starts_at:%Y-%m-%d %H:%M}Z, {game.state.game_id} at {start:%Y-%m-%d %H:%M}Z",
        )
    return game


def _utc(moment: datetime | None) -> datetime | None:
    """`moment` as an aware datetime (naive ones are UTC), or None."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _pick_doubleheader(ev: Evidence, games: list[_Indexed]) -> _Indexed:
    """Choose among same-day games of the same teams by ET start, game number or start time."""
    ordered = sorted(games, key=lambda g: _utc(g.state.start_time) or datetime.max.replace(tzinfo=EASTERN))
    if ev.start_et is not None:
        hits = [
            g for g in ordered if g.state.start_time and _et_minutes_apart(_utc(g.state.start_time), ev.start_et) <= 45
        ]
        if len(hits) == 1:
            return hits[0]
    elif ev.game_number in (1, 2) and len(ordered) == 2:
        return ordered[ev.game_number - 1]
    elif ev.starts_at is not None and ev.start_is_scheduled:  # Kalshi's is the expected end
        hits = [
            g
            for g in ordered
            if g.state.start_time and abs(_utc(g.state.start_time) - ev.starts_at) <= DOUBLEHEADER_TOLERANCE
        ]
        if len(hits) == 1:
            return hits[0]
    raise Refuse(
        "ambiguous_doubleheader",
        f"{len(games)} games of these teams on {ev.day}; the market gives no usable start time or game number",
    )


def _et_minutes_apart(start: datetime, wall) -> float:
    local = start.astimezone(EASTERN)
    return abs((local.hour * 60 + local.minute) - (wall.hour * 60 + wall.minute))


__all__ = ["GAME_DEPENDENT_REFUSALS", "REASON_CODES", "Match", "MatchResult", "Matcher", "Refusal"]
