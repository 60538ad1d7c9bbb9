"""A position on a Kalshi market whose `price_ranges` are malformed still settles: the settlement
lookup (GET /markets/{ticker}, recorded finalized payload with a zero-step grid, served on 127.0.0.1)
keeps the listing and its result, and counts the refused grid as `kalshi:bad_tick`."""

from __future__ import annotations

from decimal import Decimal as D

from fixture_server import Reply, start_fixture_server
from test_engine_venue_settlement import GAME, MARKET, NYK, _buy, _engine, _kalshi_market

from arbees_engine.adapters.composite import StreamingVenue
from arbees_engine.adapters.http import make_client
from arbees_engine.adapters.kalshi import KalshiRestVenue
from arbees_engine.model import GameStatus, Side


async def test_a_finalized_market_with_a_broken_grid_still_settles_through_the_lookup(store):
    broken = dict(_kalshi_market(NYK), price_ranges=[{"start": "0.0000", "end": "1.0000", "step": "0.0000"}])
    with start_fixture_server({f"/markets/{NYK}": Reply(200, {"market": broken})}) as server:
        async with make_client(5.0) as client:
            engine = await _engine(store, [StreamingVenue(KalshiRestVenue(server.url, client))])
            try:
                await _buy(engine, MARKET, Side.YES, "0.60", 10)
                engine.on_game_state(GAME.evolve(clock_s=0.0, status=GameStatus.FINAL))
                await engine.settle_queue()
                [lookup] = engine.settlement.request_lookups()
                assert await lookup is True
                await engine.settle_queue()
                position = engine.portfolio.position(MARKET.market_id, Side.YES)
                assert position.settled and position.realized_pnl == D("4.00")
                assert engine.settlement.awaiting() == []
                assert engine.input_rejections["kalshi:bad_tick"] == 1
            finally:
                await engine.shutdown()
