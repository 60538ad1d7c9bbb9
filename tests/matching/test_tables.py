"""Title tables: every row of kalshi_titles.json / polymarket_titles.json matched or refused as expected.

Rows are generated from the alias data by make_tables.py plus the hand-written traps in
traps.json (same city two leagues, shared mascots, college vs pro, doubleheaders, YES order
inverted, three-way soccer, US-Eastern dates after midnight UTC, postponed games).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from matching_helpers import HERE, game, listing_from_row

from arbees_engine.matching import REASON_CODES, Match, Matcher, Refusal

TABLES = {"kalshi": "kalshi_titles.json", "polymarket": "polymarket_titles.json"}


def _load(venue: str) -> dict:
    return json.loads((HERE / TABLES[venue]).read_text())


def _matcher(games: list[dict]) -> Matcher:
    matcher = Matcher()
    for g in games:
        matcher.add_game(
            game(
                g["game_id"], g["league"], tuple(g["home"]), tuple(g["away"]), g["start"], g.get("status", "scheduled")
            )
        )
    return matcher


@pytest.fixture(scope="module", params=sorted(TABLES))
def table(request):
    data = _load(request.param)
    return request.param, data, _matcher(data["games"])


def test_tables_are_large_and_include_traps(table):
    venue, data, _ = table
    rows = data["rows"]
    assert len(rows) >= 300
    traps = [r for r in rows if r["id"].startswith("trap:")]
    refusals = Counter(r["expect"]["refusal"] for r in traps if "refusal" in r["expect"])
    assert len(traps) >= 35
    assert {"not_moneyline", "game_postponed", "date_mismatch", "ambiguous_doubleheader"} <= set(refusals)
    assert any(r["expect"].get("outcome") == "draw" for r in rows)


def test_every_row_matches_or_refuses_as_expected(table):
    venue, data, matcher = table
    wrong = []
    for row in data["rows"]:
        result = matcher.match(listing_from_row(venue, row["listing"]))
        expect = row["expect"]
        if "refusal" in expect:
            good = isinstance(result, Refusal) and result.reason_code == expect["refusal"]
        else:
            good = (
                isinstance(result, Match)
                and result.game_id == expect["game"]
                and result.yes_team == expect["team"]
                and result.outcome.value == expect["outcome"]
            )
        if not good:
            wrong.append((row["id"], expect, result))
    assert not wrong, "\n".join(map(str, wrong[:20]))


def test_refusals_carry_a_human_detail(table):
    venue, data, matcher = table
    for row in data["rows"]:
        result = matcher.match(listing_from_row(venue, row["listing"]))
        if isinstance(result, Refusal):
            assert result.reason_code and len(result.detail) > 10, row["id"]


def test_expected_refusals_use_stable_codes(table):
    _, data, _ = table
    codes = {r["expect"]["refusal"] for r in data["rows"] if "refusal" in r["expect"]}
    assert codes <= REASON_CODES
