"""Team names in a venue's title or question ("Knicks vs. Spurs", "Will Arsenal beat Chelsea?").

The venues word their titles in English sports phrasing; every venue's evidence builder reads it
the same way. Pure string work. Forms read (Kalshi titles such as "Game 5: New York at San Antonio
Winner?", Polymarket questions such as "Knicks vs. Spurs" and "Will Arsenal win on 2025-10-04?", see
../shared/fixtures/kalshi and ../shared/fixtures/polymarket, plus the phrasing of their market lists):

- a pair: "A vs. B", "A v B", "A @ B", "A at B";
- a pair behind a prefix: "NBA: A vs B", "NBA Finals Game 5: A vs B", "Who will win? A vs B",
  "Who wins: A vs. B", "Who will win the A vs. B game?", "Who will win, A or B?" ("or" only after
  a who-wins phrase);
- a pair before a who-wins tail: "A vs. B: Who wins?", "A vs B - who will win?", "A vs. B Match Winner";
- YES named: "Will A beat/defeat B?", "Will A win against/vs./over B?", "Can A beat B?",
  "Will A win [on YYYY-MM-DD]?", "Will A vs. B end in a draw?".

Anything else reads as no teams (Question(())): the caller then has only the venue's other fields.
A side that itself holds a separator ("A vs B vs C"), a "label:" or a qualifier ("B in regulation",
"B by 5") is not one team, and then the question reads as no teams.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Question:
    """Team names found in a title/question, the team YES names if the wording says, or a draw."""

    teams: tuple[str, ...]
    yes_team: str | None = None
    is_draw: bool = False
    game_number: int | None = None


_WHO_WINS = (
    r"(?:who(?:'ll| will)? win|who wins|which team (?:will )?wins?|(?:match |game )?winner|money ?line|"
    r"pick the winner)"
)
# "Who will win? ", "Who wins: ", "Who will win the " (the pair then ends in "game"/"match"), "Who will win, "
_LEAD = re.compile(rf"^{_WHO_WINS}(?:\s*[?:,\-–—]\s*|\s+(?=the\s))", re.I)
_PREFIX = re.compile(r"^(?:game\s+(?P<g>\d+)\s*:\s*|(?P<label>[^:?]{1,60}):\s+)", re.I)
_GAME_IN_LABEL = re.compile(r"\bgame\s+(?P<g>\d+)\b", re.I)
_SUFFIX = re.compile(
    r"\s*(?:\((?:bo\d|match \d+|game (?P<g>\d)|moneyline)\)|\(\d{4}-\d{2}-\d{2}\)|"
    rf"[:\-–—,]?\s*{_WHO_WINS}(?:\s+(?:the\s+)?(?:game|match))?\s*\??|-\s+.*)\s*$",
    re.I,
)
_SEPARATOR = re.compile(r"\s(?:vs\.?|v\.?|@)\s", re.I)
# Words no team name holds that turn "B" into "B in regulation" / "B by 5": not a plain game winner.
_QUALIFIER = re.compile(
    r"\b(?:in|by|with|without|after|before|if|during|regulation|overtime|ot|extra time|penalties|series)\b", re.I
)
_DATED = r"(?: on \d{4}-\d{2}-\d{2})?"
_PATTERNS = (
    (re.compile(r"^will (?P<a>.+?) vs\.? (?P<b>.+?) end in an? (?:draw|tie)\??$", re.I), "draw"),
    (re.compile(rf"^(?:will|can) (?P<a>.+?) (?:beat|defeat) (?P<b>.+?){_DATED}\??$", re.I), "beat"),
    (
        re.compile(
            rf"^will (?P<a>.+?) win (?:(?:their|the) (?:game|match) )?(?:against|vs\.?|over) (?P<b>.+?){_DATED}\??$",
            re.I,
        ),
        "beat",
    ),
    (re.compile(r"^will (?P<a>.+?) win(?: on \d{4}-\d{2}-\d{2}| their game| the game)?\??$", re.I), "win"),
    (re.compile(rf"^(?P<a>.+?)\s+(?:vs\.?|v\.?|@|at)\s+(?P<b>.+?){_DATED}\??$", re.I), "pair"),
)
_EITHER = re.compile(r"^(?P<a>.+?)\s+or\s+(?P<b>.+?)\??$", re.I)  # only after a who-wins lead
_THE_GAME = re.compile(r"^the\s+(?P<pair>.+?)\s+(?:game|match)\??$", re.I)


def parse_question(text: str) -> Question:
    """Read team names out of a title or question in one of the forms in the module docstring.

    Returns Question(()) when no form fits or a side is not one team. The title's order is never
    used for YES (only "Will A beat B?"-style wording names the YES team).
    """
    text = " ".join(text.split())
    text, asks_winner, game_number = _strip_lead(text)
    text, game_number = _strip_suffixes(text, game_number)
    if asks_winner:
        inner = _THE_GAME.match(text.strip())
        if inner:
            text = inner["pair"]
    found = _match_patterns(text.strip(), asks_winner)
    if found is None:
        return Question((), None, False, game_number)
    teams, yes_team, is_draw = found
    return Question(teams, yes_team, is_draw, game_number)


def _strip_lead(text: str) -> tuple[str, bool, int | None]:
    """Peel a who-wins lead and a "League:"/"Game N:" label (either order, at most one each).

    Returns (rest, whether a who-wins phrase led, game number from the label)."""
    asks_winner, game_number = False, None
    for _ in range(2):
        lead = _LEAD.match(text)
        if lead and not asks_winner:
            asks_winner, text = True, text[lead.end() :]
            continue
        m = _PREFIX.match(text)
        label = m["label"] if m else None
        if m is None or text.lower().startswith("will ") or (label and _SEPARATOR.search(f" {label} ")):
            break  # "A vs. B: Who wins?" keeps its pair; the tail is peeled as a suffix
        in_label = _GAME_IN_LABEL.search(label) if label else None
        g = m["g"] or (in_label["g"] if in_label else None)
        game_number = int(g) if g else game_number
        text = text[m.end() :]
    return text, asks_winner, game_number


def _strip_suffixes(text: str, game_number: int | None) -> tuple[str, int | None]:
    """Peel "(BO3) - HLC Playoffs", "Winner?", ": Who wins?", "(Game 2)", "(2026-03-07)"."""
    for _ in range(3):
        s = _SUFFIX.search(text)
        if not s or s.start() == 0:
            break
        game_number = int(s["g"]) if s["g"] else game_number
        text = text[: s.start()]
    return text, game_number


def _match_patterns(text: str, asks_winner: bool) -> tuple[tuple[str, ...], str | None, bool] | None:
    """(teams, yes_team, is_draw) of the first form that fits with clean sides, else None."""
    patterns = _PATTERNS + (((_EITHER, "pair"),) if asks_winner else ())
    for pattern, kind in patterns:
        p = pattern.match(text)
        if not p:
            continue
        a, b = p["a"].strip(), (p.groupdict().get("b") or "").strip()
        if not _one_team(a) or (kind != "win" and not _one_team(b)):
            return None
        if kind == "draw":
            return (a, b), None, True
        if kind == "win":
            return (a,), a, False
        return (a, b), a if kind == "beat" else None, False
    return None


def _one_team(side: str) -> bool:
    """A side names one team: not empty, no second separator ("B vs. C"), no question or
    "label: tail" left in it ("Celtics: 1st Quarter")."""
    return (
        bool(side)
        and not _SEPARATOR.search(f" {side} ")
        and "?" not in side
        and ":" not in side
        and not _QUALIFIER.search(side)
    )
