"""Venue listings → markets: match each to a game or watch it with the refusal, match the watched
again when new games arrive, and decide whether two venues' markets are the same contract.

Owned by the engine (one per engine, engine loop only); the engine's Sink method `on_listing`
and `equivalent` delegate here. Matching rules live in arbees_engine/matching.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..cache import Registry
from ..matching.equivalence import equivalent as contract_equivalence
from ..matching.matcher import GAME_DEPENDENT_REFUSALS, Match, Refusal
from ..model import Market, MarketListing, OrderBook
from ..portfolio.settlement import Settlement
from ..ports import Clock, Outbox
from ..settings import StrategySettings
from ..views import watched_quote_view

WATCH_PREFIX = "unmatched: "


class ListingIntake:
    """Listing matching, watched markets and the cached contract-equivalence verdicts of one engine.

    Handed its ports (`out`, `clock`, the `cache`), the strategy settings (equivalence options), the
    `matcher` (None: listings are refused, counted), settlement (a listing may carry a venue
    result) and `on_market(market)`, where a matched market is registered (the data engine)."""

    def __init__(
        self,
        out: Outbox,
        clock: Clock,
        cache: Registry,
        strategy: StrategySettings,
        matcher: Any,
        settlement: Settlement,
        on_market: Callable[[Market], None],
    ) -> None:
        self.out, self.clock, self.cache, self.strategy, self.matcher = out, clock, cache, strategy, matcher
        self.settlement, self.on_market = settlement, on_market
        self.rematch_due = False  # set when a new game arrives: refused markets may now match
        self._equivalence: dict[tuple[str, str], bool] = {}

    def take(self, listing: MarketListing) -> None:
        """Match `listing` and register its market, or watch it (counted once per market); a
        venue result on it also goes to settlement (portfolio/settlement.py)."""
        settlement = self.settlement
        if (
            settlement.on_listing(listing)
            and settlement.looked_up(listing)
            and listing.market_id not in self.cache.markets
        ):
            return  # our lookup of a market this run never listed: settle it, do not show it as unmatched
        matcher = self.matcher
        if matcher is None:
            self.out.reject(listing.venue.value, "no_matcher", listing.venue_market_id)
            return
        result = matcher.match(listing)
        if isinstance(result, Match):
            self._register(listing, result)
        else:
            self._watch(listing, result)

    def rematch_watched(self) -> int:
        """Match again the watched markets whose refusal depends on the known games (a game added
        since may be the one they wait for). Returns how many now match; run from housekeeping."""
        self.rematch_due = False
        matcher, taken = self.matcher, 0
        for listing, note in list(self.cache.watched.values()):
            if matcher is None or note.removeprefix(WATCH_PREFIX) not in GAME_DEPENDENT_REFUSALS:
                continue
            result = matcher.match(listing)
            if isinstance(result, Match):
                self._register(listing, result)
                taken += 1
        self.out.count("rematched", taken)
        return taken

    def _register(self, listing: MarketListing, match: Match) -> None:
        market = self.matcher.to_market(listing, match)
        registry = self.cache
        registry.watched.pop(market.market_id, None)
        registry.listings[market.market_id] = listing
        self.on_market(market)

    def _watch(self, listing: MarketListing, refusal: Refusal) -> None:
        """Show a refused market (with its reason) without ever trading it."""
        registry = self.cache
        market_id = listing.market_id
        note = f"{WATCH_PREFIX}{refusal.reason_code}"
        if market_id not in registry.watched:
            self.out.reject("match", refusal.reason_code, f"{listing.venue_market_id}: {refusal.detail}")
        registry.watched[market_id] = (listing, note)
        book = registry.books.setdefault(market_id, OrderBook(market_id))
        self.out.publish(watched_quote_view(market_id, listing, book if not book.stale else None, note, self.clock()))

    def equivalent(self, a: Market, b: Market) -> bool:
        """True when `a` and `b` (different venues) pay on the same outcome under the same terms.

        Simulated markets are equivalent by construction; real ones must pass the matcher's
        contract-equivalence check (issue 5 §8); a refusal is counted once per pair and cached.
        """
        if a.simulated and b.simulated:
            return a.game_id == b.game_id and a.outcome is b.outcome
        key = (a.market_id, b.market_id) if a.market_id < b.market_id else (b.market_id, a.market_id)
        cached = self._equivalence.get(key)
        if cached is None:
            listings = self.cache.listings
            la, lb = listings.get(a.market_id), listings.get(b.market_id)
            cached = False
            if la is not None and lb is not None:
                strategy = self.strategy
                verdict = contract_equivalence(
                    a,
                    la,
                    b,
                    lb,
                    accept_unknown_postponement=strategy.arb_accept_unknown_postponement,
                    accept_unknown_cancellation=strategy.arb_accept_unknown_cancellation,
                )
                cached = bool(verdict.ok)
                if not cached:
                    code, _, why = verdict.reason.partition(":")  # count by code; the detail names the pair
                    self.out.reject("equivalence", code, f"{a.market_id} vs {b.market_id}:{why}")
            self._equivalence[key] = cached
        return cached
