"""Regenerate the title tables (kalshi_titles.json, polymarket_titles.json) from the alias data.

Run: /work/venv/bin/python tests/matching/make_tables.py
Generated rows: per league, up to 10 games (abbreviations as the feed gives them, start times
on both sides of midnight UTC), with venue-style tickers/slugs/titles/labels and the expected
game + team. Hand-written trap rows (traps.json) are appended unchanged.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from arbees_engine.matching.aliases import default_aliases, normalize
from arbees_engine.matching.wording import split_team_codes
from arbees_engine.model import League, Sport

HERE = Path(__file__).resolve().parent
KALSHI_SERIES = {League.NCAAB: "KXNCAAMBGAME"}
POLY_CODE = {
    League.LALIGA: "lal",
    League.BUNDESLIGA: "bun",
    League.SERIEA: "sea",
    League.LIGUE1: "fl1",
    League.NCAAF: "cfb",
    League.NCAAB: "cbb",
}
EASTERN = timezone(timedelta(hours=-5))  # January: EST, no DST in the generated dates
STARTS = ("23:30", "00:30", "17:00", "01:10", "20:00")


def feed_abbr(la, team) -> str:
    """An ESPN-style abbreviation: the team's last listed code if it is unique in the league."""
    code = team.codes[-1]
    return code if la.codes.get(code.upper()) == {team.key} else team.key


def label(la, team) -> str:
    """Kalshi-style yes_sub_title: the city when unique in the league, else a name/alias."""
    if la.sport is Sport.SOCCER or not team.city:
        return team.name
    if len(la.names.get(normalize(team.city), {})) == 1:
        return team.city
    short = [a for a in team.aliases if a.startswith(team.city) and len(a) == len(team.city) + 2]
    return short[0] if short else team.name


def games_for(index: int, la):
    teams = list(la.teams.values())
    for g in range(min(10, len(teams) // 2)):
        home, away = teams[2 * g], teams[2 * g + 1]
        blob = away.key + home.key
        options = {(frozenset(la.codes[a]), frozenset(la.codes[b])) for a, b in split_team_codes(blob, la.codes)}
        if len(options) != 1:
            continue  # a concatenation two code pairs could explain: not a fair generated row
        hh, mm = STARTS[g % len(STARTS)].split(":")
        day = datetime(2026, 1, 10 + index, tzinfo=UTC)
        start = day.replace(hour=int(hh), minute=int(mm)) + (timedelta(days=1) if hh in ("00", "01") else timedelta())
        yield f"gen:{la.league.value}:{g}", home, away, start


def build():
    book = default_aliases()
    games, kalshi, poly = [], [], []
    leagues = [lg for lg in League if lg is not League.UCL]
    for i, lg in enumerate(leagues):
        la = book.league(lg)
        for gid, home, away, start in games_for(i, la):
            et_day = start.astimezone(EASTERN).date()
            games.append(
                {
                    "game_id": gid,
                    "league": lg.value,
                    "home": [feed_abbr(la, home), home.name],
                    "away": [feed_abbr(la, away), away.name],
                    "start": start.isoformat(),
                }
            )
            event = (
                f"{KALSHI_SERIES.get(lg, f'KX{lg.value.upper()}GAME')}-{et_day:%y%b%d}".upper() + away.key + home.key
            )
            soccer = la.sport is Sport.SOCCER
            title = (
                f"{label(la, home)} vs {label(la, away)} Winner?"
                if soccer
                else f"{label(la, away)} at {label(la, home)} Winner?"
            )
            for team, side in ((home, "home"), (away, "away")):
                kalshi.append(
                    {
                        "id": f"{gid}:{side}",
                        "listing": {
                            "venue_market_id": f"{event}-{team.key}",
                            "event_id": event,
                            "title": title,
                            "yes_label": label(la, team),
                        },
                        "expect": {"game": gid, "team": feed_abbr(la, team), "outcome": side},
                    }
                )
            if soccer:
                kalshi.append(
                    {
                        "id": f"{gid}:tie",
                        "listing": {
                            "venue_market_id": f"{event}-TIE",
                            "event_id": event,
                            "title": title,
                            "yes_label": "Tie",
                        },
                        "expect": {"game": gid, "team": None, "outcome": "draw"},
                    }
                )
            slug = f"{POLY_CODE.get(lg, lg.value)}-{away.key.lower()}-{home.key.lower()}-{et_day.isoformat()}"
            poly.extend(poly_rows(la, gid, slug, home, away, et_day))
    traps = json.loads((HERE / "traps.json").read_text())
    games += traps["games"]
    kalshi += traps["kalshi"]
    poly += traps["polymarket"]
    (HERE / "kalshi_titles.json").write_text(json.dumps({"games": games, "rows": kalshi}, indent=1))
    (HERE / "polymarket_titles.json").write_text(json.dumps({"games": games, "rows": poly}, indent=1))
    print(f"games={len(games)} kalshi={len(kalshi)} polymarket={len(poly)}")


def poly_rows(la, gid, slug, home, away, day):
    sides = ((home, "home"), (away, "away"))
    if la.sport is Sport.SOCCER:
        rows = [
            {
                "id": f"{gid}:win:{side}",
                "listing": {
                    "venue_market_id": f"{gid}-{side}-yes",
                    "slug": f"{slug}-{team.key.lower()}",
                    "title": f"Will {team.name} win on {day.isoformat()}?",
                    "yes_label": "Yes",
                    "no_label": "No",
                },
                "expect": {"game": gid, "team": feed_abbr(la, team), "outcome": side},
            }
            for team, side in sides
        ]
        rows.append(
            {
                "id": f"{gid}:draw",
                "listing": {
                    "venue_market_id": f"{gid}-draw-yes",
                    "slug": f"{slug}-draw",
                    "title": f"Will {home.name} vs. {away.name} end in a draw?",
                    "yes_label": "Yes",
                    "no_label": "No",
                },
                "expect": {"game": gid, "team": None, "outcome": "draw"},
            }
        )
        return rows
    short = (lambda t: t.city) if la.league in (League.NCAAF, League.NCAAB) else (lambda t: t.mascot or t.name)
    rows = []
    for first, second, tag in ((away, home, "a"), (home, away, "b")):
        side = "home" if first is home else "away"
        rows.append(
            {
                "id": f"{gid}:ml:{tag}",
                "listing": {
                    "venue_market_id": f"{gid}-ml-{tag}",
                    "slug": slug,
                    "event_id": slug,
                    "title": f"{short(away)} vs. {short(home)}",
                    "yes_label": short(first),
                    "no_label": short(second),
                    "teams": [home.name, away.name],
                    "extra": {"sports_market_type": "moneyline"},
                },
                "expect": {"game": gid, "team": feed_abbr(la, first), "outcome": side},
            }
        )
    return rows


if __name__ == "__main__":
    build()
