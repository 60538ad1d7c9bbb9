"""Simulated venues' books: always valid, lagging the truth, with edges, arbs and consumable size."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sim_helpers import Books, run_steps

from arbees_engine.adapters.sim import SimWorld
from arbees_engine.adapters.sim.venues import OUTCOME_INDEX, PROFILES
from arbees_engine.model import BookUpdate, Market, Side, Venue

LOW, HIGH = Decimal("0.01"), Decimal("0.99")


def test_every_book_update_is_a_valid_snapshot() -> None:
    events = run_steps(SimWorld(seed=11), 3000)
    updates = [e for e in events if isinstance(e, BookUpdate)]
    assert len(updates) > 2000
    last_seq: dict[str, int] = {}
    for u in updates:
        assert u.is_snapshot and u.seq is not None and u.seq > last_seq.get(u.market_id, 0)
        last_seq[u.market_id] = u.seq
        for level in u.bids + u.asks:
            assert LOW <= level.price <= HIGH and level.size > 0
            assert level.price == level.price.quantize(Decimal("0.01"))
        assert [lv.price for lv in u.bids] == sorted((lv.price for lv in u.bids), reverse=True)
        assert [lv.price for lv in u.asks] == sorted(lv.price for lv in u.asks)
        if u.bids and u.asks:
            assert u.bids[0].price < u.asks[0].price
            assert Decimal("0.01") <= u.asks[0].price - u.bids[0].price <= Decimal("0.06")
        sizes = [lv.size for lv in u.bids + u.asks]
        assert not sizes or (min(sizes) >= 1 and max(sizes) <= 2000)


def _truth(world: SimWorld, market: Market) -> float:
    return world.true_probs(market.game_id)[OUTCOME_INDEX[market.outcome]]


def test_quotes_move_only_after_the_makers_lag_following_a_score() -> None:
    """After a goal (a jump in the truth) a market's mid stays put for lag_s seconds, then follows."""
    world, books = SimWorld(seed=21), Books()
    mids: list[dict[str, float | None]] = []  # per sim second
    truths: list[dict[str, float]] = []
    for _ in range(2400):
        for e in world.step():
            books.feed(e)
        quoted = set(world.quoted_market_ids())
        live = {mid: m for mid, m in books.markets.items() if mid in quoted}
        mids.append({mid: books.mid(mid) for mid in live})
        truths.append({mid: _truth(world, m) for mid, m in live.items()})
    checked = 0
    for mid, market in books.markets.items():
        if mid not in mids[-1]:
            continue
        lag, requote = world.quote_lag_s(mid), PROFILES[market.venue].requote_s
        for t in range(1, len(truths) - lag - requote - 1):
            before, after = truths[t - 1].get(mid), truths[t].get(mid)
            if before is None or after is None or abs(after - before) < 0.12:
                continue
            window = [truths[k][mid] for k in range(t, t + lag + requote)]
            if max(window) - min(window) > 0.03 or not 0.1 < before < 0.9:
                continue  # another score inside the window; skip
            pre_mid = mids[t - 1][mid]
            assert pre_mid is not None
            for k in range(t, t + lag):  # still quoting the old truth
                assert abs(mids[k][mid] - pre_mid) <= 0.03, (mid, t, k, lag)
            moved = mids[t + lag + requote - 1][mid]
            assert abs(moved - after) < abs(pre_mid - after) - 0.05, (mid, t, lag)
            checked += 1
    print("lag checks", checked)
    assert checked >= 5


def test_edges_and_cross_venue_arbs_appear_over_a_long_run() -> None:
    world, books = SimWorld(seed=31), Books()
    edges = arbs = 0
    for _ in range(3600):
        for e in world.step():
            books.feed(e)
        pairs: dict[tuple[str, str], dict[Venue, str]] = {}
        for mid in world.quoted_market_ids():
            m = books.markets[mid]
            pairs.setdefault((m.game_id, m.outcome), {})[m.venue] = mid
            mid_price = books.mid(mid)
            if mid_price is not None and abs(_truth(world, m) - mid_price) > 0.05:
                edges += 1
        for venues in pairs.values():
            if len(venues) < 2:
                continue
            k, p = books.books[venues[Venue.KALSHI]], books.books[venues[Venue.POLYMARKET]]
            for a, b in ((k, p), (p, k)):  # YES on a at its ask + NO on b at 1 − its bid < $1
                if a.best_ask and b.best_bid and a.best_ask.price + (1 - b.best_bid.price) < 1:
                    arbs += 1
    print("edges", edges, "arbs", arbs)
    assert edges >= 50
    assert arbs >= 3


def _quoted_market(world: SimWorld, books: Books) -> str:
    for mid in world.quoted_market_ids():
        book = books.books.get(mid)
        if book and book.mid is not None and Decimal("0.2") < book.mid < Decimal("0.8") and len(book.asks) >= 3:
            return mid
    raise AssertionError("no two-sided book")


def test_consume_removes_liquidity_until_the_maker_refills() -> None:
    world, books = SimWorld(seed=41), Books()
    run_steps(world, 5, books)
    mid = _quoted_market(world, books)
    book = books.books[mid]
    full_depth = sum(book.asks.values())
    best = book.best_ask
    assert best is not None
    taken = world.consume(mid, Side.YES, best.price, int(best.size) + 1_000)
    assert taken == int(best.size)  # only what was there at or under the limit
    update = next(e for e in world.step() if isinstance(e, BookUpdate) and e.market_id == mid)
    books.feed(update)
    assert sum(books.books[mid].asks.values()) == full_depth - taken
    assert best.price not in books.books[mid].asks or books.books[mid].asks[best.price] < best.size
    refill = PROFILES[books.markets[mid].venue].refill_s
    run_steps(world, refill + 1, books)
    assert sum(books.books[mid].asks.values()) == full_depth


def test_consume_no_side_hits_yes_bids() -> None:
    world, books = SimWorld(seed=42), Books()
    run_steps(world, 5, books)
    mid = _quoted_market(world, books)
    bid = books.books[mid].best_bid
    assert bid is not None
    no_price = Decimal(1) - bid.price
    assert world.consume(mid, Side.NO, no_price - Decimal("0.01"), 5) == 0  # limit below the best NO ask
    assert world.consume(mid, Side.NO, no_price, 5) == min(5, int(bid.size))
    update = next(e for e in world.step() if isinstance(e, BookUpdate) and e.market_id == mid)
    books.feed(update)
    assert sum(books.books[mid].bids.values()) == sum(lv.size for lv in update.bids)


@pytest.mark.parametrize("bad", [{"contracts": -1}, {"contracts": 1.5}, {"price": Decimal("1.5")}, {"price": 0.5}])
def test_consume_rejects_bad_arguments(bad: dict) -> None:
    world, books = SimWorld(seed=43), Books()
    run_steps(world, 3, books)
    args = {
        "market_id": next(iter(world.quoted_market_ids())),
        "side": Side.YES,
        "price": Decimal("0.5"),
        "contracts": 1,
    } | bad
    with pytest.raises(ValueError):
        world.consume(**args)
    with pytest.raises(KeyError):
        world.consume("sim-kalshi:nope", Side.YES, Decimal("0.5"), 1)
