from datetime import timedelta
from decimal import Decimal as D

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from trading_helpers import NOW, POLY_SPORTS, book, market

from arbees_engine.execution import PaperBroker, client_order_ids, taker_fee
from arbees_engine.execution.ids import IdFactory
from arbees_engine.model import KALSHI_FEES, Order, OrderStatus, Side, Venue
from arbees_engine.model.fees import order_fill_fees

M = market()
P = market("polymarket:tok", venue=Venue.POLYMARKET, fees=POLY_SPORTS)


def order(side=Side.YES, limit="0.55", contracts=100, coid="arb-x-1", mid=M.market_id, venue=Venue.KALSHI):
    return Order(coid, "sig", mid, venue, side, D(limit), contracts, NOW)


def test_ioc_partial_fill_across_levels_with_fees_per_fill():
    broker = PaperBroker({M.market_id: M})
    b = book(M.market_id, bids=[("0.40", 10)], asks=[("0.50", 30), ("0.52", "20.9"), ("0.56", 100)])
    o = order(limit="0.55", contracts=100)
    fills = broker.execute(o, b, NOW)
    assert [(f.price, f.contracts) for f in fills] == [(D("0.50"), 30), (D("0.52"), 20)]
    assert [f.fee for f in fills] == [D("0.53"), D("0.35")]  # 0.525 ↑, 0.3494 ↑
    assert [f.fill_id for f in fills] == ["arb-x-1-1", "arb-x-1-2"]
    assert all(f.filled_at == NOW and f.side is Side.YES for f in fills)
    assert o.status is OrderStatus.PARTIAL and o.filled_contracts == 50


def test_full_fill_and_no_side():
    broker = PaperBroker({M.market_id: M})
    b = book(M.market_id, bids=[("0.45", 5), ("0.44", 100)], asks=[("0.50", 10)])
    o = order(side=Side.NO, limit="0.56", contracts=8)
    fills = broker.execute(o, b, NOW)
    assert [(f.price, f.contracts) for f in fills] == [(D("0.55"), 5), (D("0.56"), 3)]
    assert o.status is OrderStatus.FILLED and o.filled_contracts == 8


def test_empty_book_cancels_without_fills():
    broker = PaperBroker({M.market_id: M})
    o = order()
    assert broker.execute(o, book(M.market_id), NOW) == []
    assert o.status is OrderStatus.CANCELLED and o.filled_contracts == 0


def test_limit_below_best_ask_cancels():
    broker = PaperBroker({M.market_id: M})
    o = order(limit="0.49")
    assert broker.execute(o, book(M.market_id, asks=[("0.50", 100)]), NOW) == []
    assert o.status is OrderStatus.CANCELLED


def test_rejects_bad_orders_and_stale_books():
    broker = PaperBroker({M.market_id: M})
    b = book(M.market_id, asks=[("0.50", 100)])
    unknown = order(mid="kalshi:NOPE")
    assert broker.execute(unknown, b, NOW) == [] and unknown.status is OrderStatus.REJECTED
    zero = order(contracts=0)
    assert broker.execute(zero, b, NOW) == [] and zero.reason == "non_positive_contracts"
    b.stale = True
    stale = order()
    assert broker.execute(stale, b, NOW) == [] and stale.status is OrderStatus.CANCELLED


def test_second_order_cannot_take_the_same_liquidity_until_the_book_changes():
    broker = PaperBroker({M.market_id: M})
    b = book(M.market_id, asks=[("0.50", 30)])
    first = broker.execute(order(contracts=20, coid="a"), b, NOW)
    second = broker.execute(order(contracts=20, coid="b"), b, NOW)
    assert sum(f.contracts for f in first) == 20 and sum(f.contracts for f in second) == 10
    fresh = book(M.market_id, asks=[("0.50", 30)], at=NOW + timedelta(seconds=1), seq=2)
    assert sum(f.contracts for f in broker.execute(order(contracts=20, coid="c"), fresh, NOW)) == 20


def test_polymarket_fees_on_fills():
    broker = PaperBroker({P.market_id: P})
    b = book(P.market_id, asks=[("0.40", 100)])
    (fill,) = broker.execute(order(mid=P.market_id, venue=Venue.POLYMARKET, contracts=100), b, NOW)
    assert fill.fee == D("1.2")  # 100 × 0.05 × 0.24


cents = st.integers(1, 99).map(lambda c: D(c) / 100)


@hsettings(max_examples=150, deadline=None)
@given(
    asks=st.lists(st.tuples(cents, st.decimals(min_value=0, max_value=50, places=2)), max_size=6),
    limit=cents,
    contracts=st.integers(1, 120),
)
def test_ioc_properties(asks, limit, contracts):
    broker = PaperBroker({M.market_id: M})
    b = book(M.market_id, asks=asks)
    o = order(limit=str(limit), contracts=contracts)
    fills = broker.execute(o, b, NOW)
    assert o.filled_contracts == sum(f.contracts for f in fills) <= contracts
    assert all(f.price <= limit and f.contracts > 0 for f in fills)
    # One order's fills share Kalshi's rounding rebate: each fill is at most its own one-fill fee.
    assert [f.fee for f in fills] == order_fill_fees(KALSHI_FEES, [(f.price, f.contracts) for f in fills])
    assert all(f.fee <= taker_fee(KALSHI_FEES, f.price, f.contracts) for f in fills)
    assert len({f.fill_id for f in fills}) == len(fills)
    assert [f.price for f in fills] == sorted(f.price for f in fills)
    expected = {0: OrderStatus.CANCELLED, contracts: OrderStatus.FILLED}.get(o.filled_contracts, OrderStatus.PARTIAL)
    assert o.status is expected
    for f in fills:  # never more than the level offered, in whole contracts
        assert f.contracts <= b.asks[f.price]


def test_client_order_ids_unique_sortable_and_session_scoped():
    ids = client_order_ids("desk-1", start_ms=1_750_000_000_000)
    made = [ids() for _ in range(1000)]
    assert made[0] == "arb-desk_1-01977420dc00-00000001"
    assert len(set(made)) == 1000 and made == sorted(made)
    restarted = client_order_ids("desk-1", start_ms=1_750_000_000_001)
    assert restarted() not in made and restarted.session > ids.session
    again = client_order_ids("desk-1", start_ms=1_750_000_000_000)
    assert [again() for _ in range(3)] == made[:3]  # deterministic when the session is fixed
    assert IdFactory("x").session.startswith("arb-x-")


def test_only_a_snapshot_makes_a_stale_book_trustworthy_again():
    from arbees_engine.model import BookLevel, BookUpdate, BookUpdateKind

    b = book("kalshi:HOME", bids=[("0.40", 10)], asks=[("0.45", 10)])
    b.stale = True
    b.apply(BookUpdate("kalshi:HOME", (BookLevel(D("0.41"), D("5")),), (), BookUpdateKind.SET_LEVELS, 2, NOW))
    assert b.stale and b.best_bid.price == D("0.41")  # applied, but still not tradeable
    b.apply(
        BookUpdate(
            "kalshi:HOME",
            (BookLevel(D("0.41"), D("5")),),
            (BookLevel(D("0.45"), D("9")),),
            BookUpdateKind.SNAPSHOT,
            3,
            NOW,
        )
    )
    assert not b.stale
