"""Team alias data: one TOML file per league under `aliases/`, loaded once and indexed into dicts.

Each team has a `key` (unique within its league), a full `name`, `city`, `mascot`, `codes`
(abbreviations used by ESPN, Kalshi tickers, Polymarket slugs) and free-form `aliases`.
Lookups are exact on a normalised string (`normalize`); every name with the word "State" is also
indexed with "St" ("Michigan St.", as Kalshi and the press abbreviate it). `resolve_name` falls back
to a strict rapidfuzz ratio (≥ FUZZY_CUTOFF) over full names and aliases only, never over cities or
mascots, and refuses a fuzzy hit when another team's name scores within FUZZY_MARGIN of it
("Eastern Michigan U" is as near Western Michigan as Eastern Michigan).

A mascot used by more than one team anywhere ("Panthers": NFL, NHL, Pitt) is *shared*; a
resolution that rests on a shared mascot alone is flagged so the matcher can refuse it.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from ..model import League, Sport

ALIAS_DIR = Path(__file__).with_name("aliases")
FUZZY_CUTOFF = 92.0
FUZZY_MARGIN = 4.0  # a fuzzy hit must beat every other team's best score by this much (ratio points)
CODE, NAME, CITY, MASCOT, ALIAS, FUZZY = "code", "name", "city", "mascot", "alias", "fuzzy"
#: UEFA Champions League draws clubs from these leagues; keys there are "<league>:<key>".
UCL_MEMBERS = (League.EPL, League.LALIGA, League.BUNDESLIGA, League.SERIEA, League.LIGUE1)
_FILLER = {"fc", "cf", "afc", "sc", "the"}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_STATE = re.compile(r"(?<= )state\b")  # "ohio state" → "ohio st"; a leading "state" is not an abbreviation
_MEMO_LIMIT = 50_000


class AliasDataError(ValueError):
    """Raised when an alias file is malformed (missing key, duplicate key or code)."""


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Lower-case, strip accents and punctuation, '&'→'and', 'saint'→'st', drop 'FC'-style filler.

    "Brighton & Hove Albion" → "brighton and hove albion"; "Atlético Madrid" → "atletico madrid";
    "Miami (OH)" → "miami oh"; "Los Angeles FC" → "los angeles".
    """
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ").replace("'", "").replace(".", "")
    words = _NON_ALNUM.sub(" ", text).split()
    words = ["st" if w == "saint" else w for w in words]
    kept = [w for w in words if w not in _FILLER]
    return " ".join(kept or words)


@dataclass(frozen=True, slots=True)
class TeamEntry:
    """One team of one league as the alias file describes it."""

    key: str
    name: str
    city: str
    mascot: str
    codes: tuple[str, ...]
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Resolution:
    """Result of looking a text up: candidate team `keys` (several for "Los Angeles" in the NBA),
    how it matched (`kind`: code/name/city/mascot/alias/fuzzy), and whether it rests on a shared
    mascot only."""

    keys: frozenset[str]
    kind: str
    text: str
    shared_mascot: bool = False
    score: float = 100.0


class LeagueAliases:
    """Indexed aliases of one league: codes (upper-case) and normalised names → team keys."""

    def __init__(self, league: League, sport: Sport, teams: list[TeamEntry]) -> None:
        self.league, self.sport = league, sport
        self.teams: dict[str, TeamEntry] = {}
        self.codes: dict[str, set[str]] = {}
        self.names: dict[str, dict[str, str]] = {}  # normalised text → {key: kind}
        self.shared_mascots: frozenset[str] = frozenset()
        self._memo: dict[tuple[str, bool], Resolution | None] = {}  # team names repeat across listings
        for team in teams:
            if team.key in self.teams:
                raise AliasDataError(f"{league}: duplicate team key {team.key}")
            self.teams[team.key] = team
            for code in team.codes:
                self.codes.setdefault(code.upper(), set()).add(team.key)
            for text, kind in ((team.name, NAME), (team.city, CITY), (team.mascot, MASCOT)):
                self._add_name(text, team.key, kind)
            for alias in team.aliases:
                self._add_name(alias, team.key, ALIAS)
        self._fuzzy_choices = sorted(
            {n for n, kinds in self.names.items() if len(n) >= 5 and any(k in (NAME, ALIAS) for k in kinds.values())}
        )

    def _add_name(self, text: str, key: str, kind: str) -> None:
        norm = normalize(text) if text else ""
        for variant in (norm, _STATE.sub("st", norm)) if " state" in norm else (norm,):
            if variant:
                slot = self.names.setdefault(variant, {})
                if key not in slot or kind in (NAME, ALIAS):  # a name beats a mascot reading
                    slot[key] = kind

    def resolve_code(self, code: str) -> Resolution | None:
        """Exact abbreviation lookup ("SAS", "sa", "UTAH"); None when unknown."""
        keys = self.codes.get(code.strip().upper())
        return Resolution(frozenset(keys), CODE, code) if keys else None

    def resolve_name(self, text: str, *, fuzzy: bool = True) -> Resolution | None:
        """Exact name/city/mascot/alias lookup, then a short-code lookup, then strict fuzzy.

        Returns None when nothing matches (the caller refuses with `unknown_team`).
        """
        memo_key = (text, fuzzy)
        if memo_key in self._memo:
            return self._memo[memo_key]
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[memo_key] = found = self._resolve_name(text, fuzzy)
        return found

    def _resolve_name(self, text: str, fuzzy: bool) -> Resolution | None:
        norm = normalize(text)
        hit = self.names.get(norm)
        if hit:
            kinds = set(hit.values())
            kind = kinds.pop() if len(kinds) == 1 else ALIAS
            shared = kind == MASCOT and norm in self.shared_mascots
            return Resolution(frozenset(hit), kind, text, shared_mascot=shared)
        if " " not in text.strip() and len(text.strip()) <= 5:
            by_code = self.resolve_code(text)
            if by_code:
                return by_code
        if fuzzy and len(norm) >= 5:
            return self._fuzzy(norm, text)
        return None

    def _fuzzy(self, norm: str, text: str) -> Resolution | None:
        """The one team whose name or alias is nearest `norm` (ratio ≥ FUZZY_CUTOFF), or None when
        nothing is that near or another team's name is within FUZZY_MARGIN of the best."""
        cutoff = FUZZY_CUTOFF - FUZZY_MARGIN
        near = process.extract(norm, self._fuzzy_choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=8)
        if not near or near[0][1] < FUZZY_CUTOFF:
            return None
        best_keys = frozenset(self.names[near[0][0]])
        if any(score > near[0][1] - FUZZY_MARGIN and set(self.names[c]) - best_keys for c, score, _ in near[1:]):
            return None
        return Resolution(best_keys, FUZZY, text, score=float(near[0][1]))


def _load_file(path: Path) -> tuple[League, Sport, list[TeamEntry]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    try:
        league, sport = League(data["league"]), Sport(data["sport"])
        teams = [
            TeamEntry(
                t["key"],
                t["name"],
                t.get("city", ""),
                t.get("mascot", ""),
                tuple(t.get("codes", ())),
                tuple(t.get("aliases", ())),
            )
            for t in data["teams"]
        ]
    except (KeyError, ValueError, TypeError) as exc:
        raise AliasDataError(f"{path.name}: {exc!r}") from exc
    return league, sport, teams


class AliasBook:
    """All leagues' aliases plus the cross-league shared-mascot set.

    `league(l)` returns the LeagueAliases or None for a league without data.
    Raises AliasDataError at construction for a malformed file.
    """

    def __init__(self, directory: Path = ALIAS_DIR) -> None:
        self.leagues: dict[League, LeagueAliases] = {}
        for path in sorted(directory.glob("*.toml")):
            league, sport, teams = _load_file(path)
            self.leagues[league] = LeagueAliases(league, sport, teams)
        if all(m in self.leagues for m in UCL_MEMBERS):
            merged = [
                TeamEntry(f"{m}:{t.key}", t.name, t.city, t.mascot, t.codes, t.aliases)
                for m in UCL_MEMBERS
                for t in self.leagues[m].teams.values()
            ]
            self.leagues[League.UCL] = LeagueAliases(League.UCL, Sport.SOCCER, merged)
        owners: dict[str, set[str]] = {}  # mascot → distinct full names (NCAAF/NCAAB share programs)
        for la in self.leagues.values():
            for team in la.teams.values():
                if team.mascot:
                    owners.setdefault(normalize(team.mascot), set()).add(normalize(team.name))
        shared = frozenset(m for m, names in owners.items() if len(names) > 1)
        for la in self.leagues.values():
            la.shared_mascots = shared
        self.shared_mascots = shared

    def league(self, league: League) -> LeagueAliases | None:
        """Aliases of `league`, or None when no alias file covers it."""
        return self.leagues.get(league)


@lru_cache(maxsize=1)
def default_aliases() -> AliasBook:
    """The packaged alias book, loaded once per process."""
    return AliasBook()
