"""The paper broker behind the one broker interface (`adapters.base.Broker`, re-exported here).

The executor sends an order through its venue's broker (a live one when trading on that venue is
authorised, else `PaperVenueBroker`) without knowing which it is: `execute` sends one IOC order
and returns its fills (adapters/base.py holds the protocol, so venue adapters implement it
without importing execution); `reconcile` looks an order whose outcome is unknown up again by its
client order id. Both set `order.status` (FILLED / PARTIAL / CANCELLED / REJECTED, or SENT while
the outcome is still unknown) and `order.reason`. Implemented by `PaperVenueBroker` (below) and
`adapters/kalshi/broker.py` `KalshiLiveBroker` and `adapters/polymarket/broker.py`
`PolymarketLiveBroker` (which looks an order up by its venue order id, recomputed from the order).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ..adapters.base import Broker
from ..model import Fill, Order, OrderBook, OrderStatus
from .paper import PaperBroker


class PaperVenueBroker(Broker):
    """The paper broker as a `Broker`: fills IOC orders against the engine's current book of the
    order's market (`books`: market_id → OrderBook, read per order). No book: REJECTED "no book"."""

    def __init__(self, paper: PaperBroker, books: Mapping[str, OrderBook]) -> None:
        self.paper, self.books = paper, books

    async def execute(self, order: Order, now: datetime) -> list[Fill]:
        """Fill `order` against its market's book now (execution/paper.py); [] when there is no book."""
        book = self.books.get(order.market_id)
        if book is None:
            order.status, order.reason = OrderStatus.REJECTED, "no book"
            return []
        return self.paper.execute(order, book, now)

    async def reconcile(self, order: Order, now: datetime) -> list[Fill]:
        """A paper order's outcome is always known when `execute` returns: nothing to look up."""
        return []
