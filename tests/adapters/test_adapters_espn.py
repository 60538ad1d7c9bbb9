"""ESPN scoreboard parsing on the recorded fixtures, and EspnFeed.run against a local server."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest
from fixture_server import RecordingSink, Reply, load_fixture, run_until, start_fixture_server

from arbees_engine.adapters.espn import EspnFeed, league_for_path, parse_display_clock, parse_scoreboard, parse_summary
from arbees_engine.adapters.http import RetryPolicy, make_client
from arbees_engine.adapters.wire import ParseError
from arbees_engine.model import GameStatus, League, Sport

NOW = datetime(2026, 11, 25, tzinfo=UTC)
FAST = RetryPolicy(attempts=4, initial_s=0.001, max_wait_s=0.01, jitter_s=0.001)


def games_by_id(name: str, league: League) -> dict:
    games, rejections = parse_scoreboard(load_fixture("espn", name), league, NOW)
    assert rejections == []
    return {g.game_id: g for g in games}


def test_nfl_in_progress_post_and_pre() -> None:
    games = games_by_id("scoreboard_nfl_2022wk1_in_post_pre.json", League.NFL)
    live = games["espn:nfl:401437650"]
    assert (live.home.abbr, live.away.abbr, live.home.name) == ("ATL", "NO", "Atlanta Falcons")
    assert (live.status, live.home_score, live.away_score, live.period, live.clock_s) == (
        GameStatus.LIVE,
        26,
        24,
        4,
        48.0,
    )
    assert live.seconds_remaining_regulation == 48.0 and live.regulation_seconds == 3600.0
    # "1st & 10 at NO 10" with NO (away, team id 18) in possession: 90 yards to the end zone.
    assert (live.down, live.distance, live.yard_line_100, live.possession) == (1, 10, 90, "away")
    assert (live.home_timeouts, live.away_timeouts) == (3, 0)
    assert live.sport is Sport.FOOTBALL and live.observed_at == NOW
    assert live.start_time == datetime(2022, 9, 11, 17, 0, tzinfo=UTC)
    final = games["espn:nfl:401437630"]
    assert (final.status, final.home.abbr, final.home_score, final.away_score, final.winner) == (
        GameStatus.FINAL,
        "MIA",
        20,
        7,
        "home",
    )
    pre = games["espn:nfl:401437640"]
    assert (pre.status, pre.period, pre.seconds_remaining_regulation, pre.possession) == (
        GameStatus.SCHEDULED,
        0,
        3600.0,
        None,
    )


def test_nfl_yard_line_falls_back_to_home_relative_yardline() -> None:
    payload = load_fixture("espn", "scoreboard_nfl_2022wk1_in_post_pre.json")
    situation = payload["events"][0]["competitions"][0]["situation"]
    del situation["possessionText"]
    situation["possession"] = "1"  # ATL (home) at yardLine 90 from its own goal: 10 to go
    games, _ = parse_scoreboard(payload, League.NFL, NOW)
    assert (games[0].possession, games[0].yard_line_100) == ("home", 10)


def test_nba_final_and_preseason_in_progress() -> None:
    finals = games_by_id("scoreboard_nba_final_20260115.json", League.NBA)
    orl = finals["espn:nba:401810433"]
    assert (orl.status, orl.home.abbr, orl.away.abbr, orl.home_score, orl.away_score) == (
        GameStatus.FINAL,
        "ORL",
        "MEM",
        118,
        111,
    )
    assert orl.seconds_remaining_regulation == 0 and orl.clock_s == 0  # ESPN says 12:00 on finals
    assert finals["espn:nba:401810435"].winner == "away"
    pre = games_by_id("scoreboard_nba_events_in_post_2022pre_extracted.json", League.NBA)
    live = pre["espn:nba:401474846"]
    assert (live.status, live.home.abbr, live.home_score, live.away_score, live.period, live.clock_s) == (
        GameStatus.LIVE,
        "TOR",
        47,
        41,
        2,
        98.0,
    )
    assert live.seconds_remaining_regulation == 2 * 720 + 98
    assert pre["espn:nba:401474845"].home_score == 134


def test_nhl_live_and_final_in_overtime() -> None:
    games = games_by_id("scoreboard_nhl_2022pre_in_post.json", League.NHL)
    ot = games["espn:nhl:401461562"]
    assert (ot.status, ot.period, ot.home.abbr, ot.home_score, ot.away_score, ot.extra["detail"]) == (
        GameStatus.FINAL,
        4,
        "PIT",
        3,
        2,
        "Final/OT",
    )
    live = games["espn:nhl:401461456"]
    assert (live.period, live.clock_s, live.seconds_remaining_regulation, live.regulation_seconds) == (
        3,
        543.0,
        543.0,
        3600.0,
    )
    assert (live.home_score, live.away_score) == (1, 3)


def test_soccer_full_time_and_postponed_is_never_final() -> None:
    games = games_by_id("scoreboard_soccer_eng1_ft_and_postponed_20260321.json", League.EPL)
    ft = games["espn:epl:740898"]
    assert (ft.status, ft.home.abbr, ft.away.abbr, ft.home_score, ft.away_score) == (
        GameStatus.FINAL,
        "BHA",
        "LIV",
        2,
        1,
    )
    assert ft.regulation_seconds == 5400.0 and ft.seconds_remaining_regulation == 0
    postponed = games["espn:epl:740902"]
    assert postponed.status is GameStatus.POSTPONED and not postponed.is_final and postponed.winner is None


def test_soccer_clock_counts_up() -> None:
    payload = load_fixture("espn", "scoreboard_soccer_eng1_ft_and_postponed_20260321.json")
    status = payload["events"][0]["competitions"][0]["status"]
    status.update(clock=4020, displayClock="67'", period=2)
    status["type"].update(state="in", completed=False, name="STATUS_SECOND_HALF")
    game = parse_scoreboard(payload, League.EPL, NOW)[0][0]
    assert (game.status, game.seconds_remaining_regulation, game.clock_s) == (GameStatus.LIVE, 1380.0, 1380.0)
    del status["clock"]
    status.update(displayClock="45'+2'", period=1)
    game = parse_scoreboard(payload, League.EPL, NOW)[0][0]
    assert (game.seconds_remaining_regulation, game.clock_s) == (2700.0, 0.0)


@pytest.mark.parametrize(
    ("text", "counts_up", "seconds"),
    [
        ("1:38", False, 98.0),
        ("0.0", False, 0.0),
        ("12:00", False, 720.0),
        ("9.4", False, 9.4),
        ("90'+8'", True, 5400.0),
    ],
)
def test_display_clock(text: str, counts_up: bool, seconds: float) -> None:
    assert parse_display_clock(text, counts_up) == seconds


def test_summary_parses_header_competition() -> None:
    game = parse_summary(load_fixture("espn", "summary_nba_final_401810433.json"), League.NBA, NOW)
    assert (game.game_id, game.status, game.home.abbr, game.home_score, game.away_score) == (
        "espn:nba:401810433",
        GameStatus.FINAL,
        "ORL",
        118,
        111,
    )


def test_malformed_events_are_rejected_and_the_rest_parse() -> None:
    payload = load_fixture("espn", "scoreboard_nba_final_20260115.json")
    del payload["events"][0]["competitions"][0]["competitors"]
    payload["events"][1]["competitions"][0]["competitors"][0]["score"] = "abc"
    payload["events"].append("not an event")
    games, rejections = parse_scoreboard(payload, League.NBA, NOW)
    assert [g.game_id for g in games] == ["espn:nba:401810435"]
    assert [r.reason for r in rejections] == ["missing_field", "bad_score", "not_object"]
    assert "401810434" in rejections[1].detail


@pytest.mark.parametrize("payload", [[], {"events": "x"}, {"nope": 1}])
def test_payload_without_events_list_raises_parse_error(payload: object) -> None:
    with pytest.raises(ParseError):
        parse_scoreboard(payload, League.NBA, NOW)


def test_league_paths_are_allowlisted() -> None:
    assert league_for_path("soccer/eng.1") is League.EPL
    with pytest.raises(ValueError):
        league_for_path("basketball/nba/../../evil")


SCOREBOARDS = {
    "/basketball/nba/scoreboard": ("scoreboard_nba_final_20260115.json", 3),
    "/football/nfl/scoreboard": ("scoreboard_nfl_2022wk1_in_post_pre.json", 3),
    "/hockey/nhl/scoreboard": ("scoreboard_nhl_2022pre_in_post.json", 2),
    "/soccer/eng.1/scoreboard": ("scoreboard_soccer_eng1_ft_and_postponed_20260321.json", 2),
}


async def test_feed_pushes_fixture_games_and_polls_live_leagues_faster() -> None:
    routes = {path: load_fixture("espn", name) for path, (name, _) in SCOREBOARDS.items()}
    sink = RecordingSink()
    with start_fixture_server(routes) as server:
        async with make_client(5.0) as client:
            feed = EspnFeed(
                ["basketball/nba", "football/nfl", "hockey/nhl", "soccer/eng.1"],
                server.url,
                client,
                poll_live_s=0.01,
                poll_idle_s=3600,
                policy=FAST,
            )
            await run_until(lambda: feed.run(sink), sink, lambda: server.hits("/football/nfl/scoreboard") >= 3)
        ids = {g.game_id for g in sink.games}
        assert len(ids) == sum(n for _, n in SCOREBOARDS.values()) == 10
        assert {"espn:nfl:401437650", "espn:epl:740902", "espn:nhl:401461456"} <= ids
        # NBA and EPL have no live game: polled once, while NFL/NHL (live) repeat.
        assert server.hits("/basketball/nba/scoreboard") == 1
        assert server.hits("/soccer/eng.1/scoreboard") == 1
        assert sink.rejections == []


async def test_feed_survives_bad_json_5xx_429_and_bad_events() -> None:
    bad_events = load_fixture("espn", "scoreboard_nba_final_20260115.json")
    bad_events["events"][0]["competitions"][0]["competitors"][1]["score"] = "NaN"
    sink = RecordingSink()
    with start_fixture_server() as server:
        server.route(
            "/basketball/nba/scoreboard",
            Reply(200, b'{"events": [{"id": "1", "compet'),
            Reply(500, "oops"),
            Reply(429, "slow down", {"Retry-After": "0"}),
            Reply(200, bad_events),
        )
        async with make_client(5.0) as client:
            feed = EspnFeed(["basketball/nba"], server.url, client, poll_live_s=0.01, poll_idle_s=0.01, policy=FAST)
            await run_until(lambda: feed.run(sink), sink, lambda: len(sink.games) >= 4)
        assert sink.reasons("espn")[:2] == ["bad_json", "bad_score"]
        assert {g.game_id for g in sink.games} == {"espn:nba:401810434", "espn:nba:401810435"}
        assert server.hits("/basketball/nba/scoreboard") >= 5


async def test_feed_keeps_going_when_the_server_is_down() -> None:
    with start_fixture_server() as server:
        dead_url = server.url  # closed below: connections are refused
    sink = RecordingSink()
    async with make_client(1.0) as client:
        feed = EspnFeed(["hockey/nhl"], dead_url, client, poll_live_s=0.01, poll_idle_s=0.01, policy=FAST)
        await run_until(lambda: feed.run(sink), sink, lambda: len(sink.rejections) >= 3)
    assert set(sink.reasons("espn")) == {"transport"}


async def test_feed_counts_404() -> None:
    sink = RecordingSink()
    with start_fixture_server() as server:
        async with make_client(5.0) as client:
            feed = EspnFeed(["baseball/mlb"], server.url, client, poll_live_s=0.01, poll_idle_s=0.01, policy=FAST)
            await run_until(lambda: feed.run(sink), sink, lambda: len(sink.rejections) >= 2)
        assert server.hits("/baseball/mlb/scoreboard") == 2  # a 404 is not retried
    assert sink.reasons("espn") == ["http_404", "http_404"]


def test_parse_is_pure_and_does_not_mutate_payload() -> None:
    payload = load_fixture("espn", "scoreboard_nfl_2022wk1_in_post_pre.json")
    before = copy.deepcopy(payload)
    parse_scoreboard(payload, League.NFL, NOW)
    assert payload == before


def test_neutral_site_and_postseason_come_from_the_payload() -> None:
    nba = parse_scoreboard(load_fixture("espn/scoreboard_nba_final_20260115.json"), League.NBA)[0]
    neutral = [g for g in nba if g.neutral_site]
    assert len(neutral) == 1 and not any(g.postseason for g in nba)  # the recorded neutral-site game
    payload = load_fixture("espn/scoreboard_nfl_2022wk1_in_post_pre.json")
    regular = parse_scoreboard(payload, League.NFL)[0]
    assert not any(g.postseason or g.neutral_site for g in regular)
    playoff = copy.deepcopy(payload)
    for event in playoff["events"]:
        event["season"] = {"year": 2022, "type": 3, "slug": "post-season"}
    assert all(g.postseason for g in parse_scoreboard(playoff, League.NFL)[0])


def _mlb_event(short_detail: str, period: int, outs: object) -> dict:
    """The recorded NFL live event reshaped as an MLB one (ESPN uses the same event layout; the
    half-inning is only in `status.type.shortDetail`, outs in `situation.outs`)."""
    payload = copy.deepcopy(load_fixture("espn/scoreboard_nfl_2022wk1_in_post_pre.json"))
    event = next(e for e in payload["events"] if e["status"]["type"]["state"] == "in")
    competition = event["competitions"][0]
    for status in (event["status"], competition.get("status") or event["status"]):
        status.update(period=period, clock=0.0, displayClock="0:00")
        status["type"].update(shortDetail=short_detail, detail=short_detail)
    competition["situation"] = {"outs": outs, "balls": 1, "strikes": 2, "onFirst": True}
    return {"events": [event]}


@pytest.mark.parametrize(
    "detail, period, outs, expected",
    [
        ("Top 5th", 5, 1, (5, "top", 1)),
        ("Bot 9th", 9, 2, (9, "bottom", 2)),
        ("Mid 3rd", 3, 3, (3, "bottom", 0)),  # break before the bottom half: the stale 3 outs are ignored
        ("End 7th", 7, 3, (8, "top", 0)),  # break before the top of the 8th
        ("Rain Delay", 4, 1, (4, None, None)),  # unreadable half: left unknown, never guessed
        ("Top 6th", 6, 3, (6, "bottom", 0)),  # the third out shown before the status moves on
        ("Bot 6th", 6, 3, (7, "top", 0)),
    ],
)
def test_mlb_half_inning_and_outs(detail, period, outs, expected) -> None:
    games, rejections = parse_scoreboard(_mlb_event(detail, period, outs), League.MLB)
    assert rejections == [] and len(games) == 1
    game = games[0]
    assert (game.sport, game.status) == (Sport.BASEBALL, GameStatus.LIVE)
    assert (game.period, game.inning_half, game.outs) == expected


def test_mlb_impossible_outs_are_a_counted_rejection() -> None:
    games, rejections = parse_scoreboard(_mlb_event("Top 2nd", 2, 5), League.MLB)
    assert games == [] and [r.reason for r in rejections] == ["bad_situation"]


@pytest.mark.parametrize(
    "display, clock, period, remaining, added",
    [
        ("90'+8'", 5400, 2, 0.0, 480.0),  # the recorded full-time clock, replayed as still running
        ("67'", 4020, 2, 1380.0, 0.0),
        ("45'+2'", 2700, 1, 2700.0, 120.0),
    ],
)
def test_soccer_added_time_comes_from_the_display_clock(display, clock, period, remaining, added) -> None:
    payload = copy.deepcopy(load_fixture("espn/scoreboard_soccer_eng1_ft_and_postponed_20260321.json"))
    event = payload["events"][0]
    for status in (event["status"], event["competitions"][0]["status"]):
        status.update(clock=clock, displayClock=display, period=period)
        status["type"].update(name="STATUS_SECOND_HALF", state="in", completed=False, shortDetail=display)
    games, rejections = parse_scoreboard({"events": [event]}, League.EPL)
    assert rejections == [] and games[0].status is GameStatus.LIVE
    assert (games[0].seconds_remaining_regulation, games[0].added_time_s) == (remaining, added)


def test_college_scoreboards_ask_for_all_of_division_i_and_fbs() -> None:
    from arbees_engine.adapters.espn.feed import scoreboard_request

    base = "https://site.api.espn.com/apis/site/v2/sports"
    assert scoreboard_request(base, "basketball/mens-college-basketball") == (
        f"{base}/basketball/mens-college-basketball/scoreboard",
        {"groups": "50", "limit": "500"},
    )
    assert scoreboard_request(base + "/", "football/college-football") == (
        f"{base}/football/college-football/scoreboard",
        {"groups": "80", "limit": "500"},
    )
    assert scoreboard_request(base, "basketball/nba") == (f"{base}/basketball/nba/scoreboard", {})
    with pytest.raises(ValueError):
        scoreboard_request(base, "football/college-football?groups=1")


async def test_college_football_feed_gets_the_whole_fbs_slate() -> None:
    """The recorded FBS capture (response `groups: ["80"]`, 25 events) is what `groups=80` answers;
    the bare URL would get ESPN's featured games only (here: its first two events)."""
    fbs = load_fixture("espn", "scoreboard_ncaaf_fbs_week_teamtracker.json")
    assert fbs["groups"] == ["80"]
    featured = {**fbs, "events": fbs["events"][:2]}
    routes = {
        "/football/college-football/scoreboard": featured,
        "/football/college-football/scoreboard?groups=80&limit=500": fbs,
        "/basketball/mens-college-basketball/scoreboard?groups=50&limit=500": {"events": []},
    }
    sink = RecordingSink()
    with start_fixture_server(routes) as server:
        async with make_client(5.0) as client:
            feed = EspnFeed(
                ["football/college-football", "basketball/mens-college-basketball"],
                server.url,
                client,
                poll_live_s=3600,
                poll_idle_s=3600,
                policy=FAST,
            )
            await run_until(
                lambda: feed.run(sink),
                sink,
                lambda: (
                    len({g.game_id for g in sink.games}) >= 25
                    and server.hits("/basketball/mens-college-basketball/scoreboard") == 1
                ),
            )
        assert sorted(server.requests) == [
            "/basketball/mens-college-basketball/scoreboard?groups=50&limit=500",
            "/football/college-football/scoreboard?groups=80&limit=500",
        ]
    games = {g.game_id: g for g in sink.games}
    assert len(games) == 25 and sink.rejections == []
    assert {g.league for g in games.values()} == {League.NCAAF}
    opener = games["espn:ncaaf:401403888"]
    assert (opener.home.name, opener.away.name) == ("South Carolina Gamecocks", "Georgia Bulldogs")
