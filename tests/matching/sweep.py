"""The informal-names sweep: every name in informal_names.json put to the matcher in two listings.

- "label": a Polymarket moneyline whose slug names the league, date and both teams by code, whose
  question is "<name> vs. <opponent>" and whose outcome[0] (YES) is the informal name. Refused
  when the YES label does not resolve.
- "question": the same listing without a slug, dated by a date-only start and led by the series
  hint: the teams come from the question's names alone.

A name counts as refused when either listing is refused, and as wrong when either matches another
game or another YES team (which must never happen). An ambiguous name is put as the YES label of a
game between two teams it could name (slug given) and must be refused.

`python tests/matching/sweep.py` prints the per-league table the closing note reports.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from arbees_engine.adapters.registry import with_evidence
from arbees_engine.matching import Match, Matcher
from arbees_engine.matching.aliases import AliasBook, TeamEntry, default_aliases
from arbees_engine.model import LEAGUE_SPORT, GameState, GameStatus, League, MarketListing, Team, Venue

HERE = Path(__file__).resolve().parent
#: Polymarket slug/series league codes (as `ops/bench_matching.py` writes them).
POLY_CODE = {League.LALIGA: "lal", League.BUNDESLIGA: "bun", League.SERIEA: "sea", League.LIGUE1: "fl1"}
DAY = date(2026, 3, 7)
START = datetime(2026, 3, 8, 0, 30, tzinfo=UTC)  # 19:30 US Eastern on DAY
_ALNUM = re.compile(r"^[A-Za-z0-9]+$")


def load_table() -> dict:
    """The parsed informal_names.json."""
    return json.loads((HERE / "informal_names.json").read_text(encoding="utf-8"))


def _abbr(team: TeamEntry) -> str:
    """A code the slug grammar can carry (letters and digits), else the key."""
    return next((c for c in team.codes if _ALNUM.match(c)), team.key)


def _state(league: League, home: TeamEntry, away: TeamEntry) -> GameState:
    return GameState(
        f"sweep:{league.value}:{home.key}-{away.key}",
        LEAGUE_SPORT[league],
        league,
        Team(_abbr(home), home.name),
        Team(_abbr(away), away.name),
        GameStatus.SCHEDULED,
        start_time=START,
    )


def _listing(league: League, title: str, yes: str, no: str, codes: tuple[str, str] | None) -> MarketListing:
    series = POLY_CODE.get(league, league.value)
    slug = f"{series}-{codes[0].lower()}-{codes[1].lower()}-{DAY.isoformat()}" if codes else ""
    return with_evidence(
        MarketListing(
            Venue.POLYMARKET,
            f"sweep-{slug or title}",
            slug,
            title,
            yes,
            no,
            slug=slug,
            league_hint="" if codes else series,
            start_date=None if codes else DAY,
            extra={"sports_market_type": "moneyline"},
        )
    )


def _opponent(book: AliasBook, league: League, key: str) -> TeamEntry:
    """The first team of the league that is not `key` and whose full name names it alone."""
    la = book.league(league)
    assert la is not None
    for team in la.teams.values():
        res = la.resolve_name(team.name, fuzzy=False)
        if team.key != key and res is not None and res.keys == {team.key}:
            return team
    raise LookupError(f"{league}: no opponent for {key}")


@dataclass
class LeagueCount:
    """Sweep counts of one league: names tried / refused / wrongly matched; ambiguous kept refused."""

    tried: int = 0
    refused: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    ambiguous: int = 0
    ambiguous_matched: list[str] = field(default_factory=list)


def probe_name(book: AliasBook, league: League, name: str, key: str) -> str:
    """'ok', 'refused:<why>' or 'wrong:<what>' for one informal name (both listings)."""
    la = book.league(league)
    if la is None or key not in la.teams:
        return f"refused:no team {key} in the {league.value} alias data"
    team, opp = la.teams[key], _opponent(book, league, key)
    state = _state(league, team, opp)
    matcher = Matcher([state], aliases=book)
    title = f"{name} vs. {opp.name}"
    for how, codes in (("label", (_abbr(opp), _abbr(team))), ("question", None)):
        result = matcher.match(_listing(league, title, name, opp.name, codes))
        if not isinstance(result, Match):
            return f"refused:{how}:{result.reason_code}"
        if result.game_id != state.game_id or result.yes_team != state.home.abbr:
            return f"wrong:{how}:{result}"
    return "ok"


def probe_ambiguous(book: AliasBook, league: League, name: str, key_a: str, key_b: str) -> str:
    """'refused' or 'matched:<result>' for an ambiguous name as YES of the game key_a vs key_b."""
    la = book.league(league)
    if la is None or key_a not in la.teams or key_b not in la.teams:
        return "refused"  # a team the data does not know cannot be matched either
    a, b = la.teams[key_a], la.teams[key_b]
    matcher = Matcher([_state(league, a, b)], aliases=book)
    result = matcher.match(_listing(league, f"{a.name} vs. {b.name}", name, b.name, (_abbr(b), _abbr(a))))
    return f"matched:{result}" if isinstance(result, Match) else "refused"


def run_sweep(book: AliasBook | None = None) -> dict[str, LeagueCount]:
    """Counts per league code of informal_names.json."""
    book = book or default_aliases()
    out: dict[str, LeagueCount] = {}
    for code, spec in load_table()["leagues"].items():
        league, count = League(code), out.setdefault(code, LeagueCount())
        for name, key in spec["names"]:
            count.tried += 1
            verdict = probe_name(book, league, name, key)
            if verdict.startswith("refused"):
                count.refused.append(f"{name} ({verdict})")
            elif verdict.startswith("wrong"):
                count.wrong.append(f"{name} ({verdict})")
        for name, key_a, key_b in spec["ambiguous"]:
            count.ambiguous += 1
            verdict = probe_ambiguous(book, league, name, key_a, key_b)
            if verdict != "refused":
                count.ambiguous_matched.append(f"{name} ({verdict})")
    return out


def main() -> None:
    """Print the sweep table."""
    counts = run_sweep()
    print(f"{'league':<11}{'tried':>6}{'refused':>8}{'wrong':>6}{'ambig':>6}{'ambig matched':>14}")
    for code, c in counts.items():
        print(
            f"{code:<11}{c.tried:>6}{len(c.refused):>8}{len(c.wrong):>6}{c.ambiguous:>6}{len(c.ambiguous_matched):>14}"
        )
    total = [sum(x) for x in zip(*((c.tried, len(c.refused), len(c.wrong)) for c in counts.values()), strict=True)]
    print(f"{'total':<11}{total[0]:>6}{total[1]:>8}{total[2]:>6}")
    for code, c in counts.items():
        for line in c.refused + c.wrong + c.ambiguous_matched:
            print(f"  {code}: {line}")


if __name__ == "__main__":
    main()
