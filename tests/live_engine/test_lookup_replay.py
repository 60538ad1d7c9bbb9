"""A venue lookup (for settlement) is recorded as a "<venue>.lookup" operation and a replay re-runs
it through the same adapter code from the recorded response, with no network."""

from __future__ import annotations

import json

from fixture_server import RecordingSink, Reply, load_fixture, start_fixture_server

from arbees_engine.adapters.recording import Recorder
from arbees_engine.ops.builder import build_real_adapters, recording_meta
from arbees_engine.ops.replay import ReplayDriver
from arbees_engine.settings import EndpointSettings, Settings

NYK = "KXNBAGAME-26JUN13NYKSAS-NYK"


async def test_a_recorded_lookup_replays_to_the_same_settled_listing(tmp_path):
    market = next(m for m in load_fixture("kalshi", "markets_nba_game_settled.json")["markets"] if m["ticker"] == NYK)
    path = tmp_path / "lookup.rec"
    with start_fixture_server({f"/markets/{NYK}": Reply(200, {"market": market})}) as server:
        settings = Settings(
            endpoints=EndpointSettings(
                kalshi_base_url=server.url, espn_leagues=[], espn_base_url=server.url, kalshi_series=[]
            )
        )
        recorder = Recorder(path)
        recorder.record("meta", json.dumps(recording_meta(settings, ["kalshi"])))
        adapters = build_real_adapters(settings, ["kalshi"], recorder=recorder, start_streams=False)
        live = RecordingSink()
        try:
            assert await adapters[1].lookup_round(NYK, live)
        finally:
            await adapters[1].rest.client.aclose()
            recorder.close()
        assert server.hits(f"/markets/{NYK}") == 1
    replayed = RecordingSink()
    driver = ReplayDriver(path, build_adapters=build_real_adapters)
    await driver.run(replayed)
    assert driver.transport.missing == 0 and driver.skipped == 0
    assert [(listing.venue_market_id, listing.status, listing.result) for listing in replayed.listings] == [
        (NYK, "settled", "yes")
    ]
    assert replayed.listings == live.listings
