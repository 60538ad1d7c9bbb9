"""Venue listings → markets: match each to a game or watch it with the refusal, match the watched
again when new games arrive, and decide whether two venues' markets are the same contract.

Owned by the engine (one per engine, engine loop only); the engine's Sink method `on_listing`
and `equivalent` delegate here. Matching rules live in arbees_engine/matching.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..matching.equivalence import equivalent as contract_equivalence
from ..matching.matcher import GAME_DEPENDENT_REFUSALS, Match, Refusal
from ..model import Market, MarketListing, OrderBook
from .views import watched_quote_view

if TYPE_CHECKING:
    from .engine import Engine

WATCH_PREFIX = "unmatched: "


class ListingIntake:
    """Listing matching, watched markets and the cached contract-equivalence verdicts of one engine."""

    def __init__(self, engine: "Engine") -> None:
        self.engine = engine
        self.out = engine.out
        self.rematch_due = False  # set when a new game arrives: refused markets may now match
        self._equivalence: dict[tuple[str, str], bool] = {}

    def take(self, listing: MarketListing) -> None:
        """Match `listing` and register its market, or watch it (counted once per market); a
        venue result on it also goes to settlement (runtime/settlement.py)."""
        settlement = self.engine.desk.settlement
        if settlement.on_listing(listing) and settlement.looked_up(listing) \
                and listing.market_id not in self.engine.registry.markets:
            return  # our lookup of a market this run never listed: settle it, do not show it as unmatched
        matcher = self.engine.matcher
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
        matcher, taken = self.engine.matcher, 0
        for listing, note in list(self.engine.registry.watched.values()):
            if matcher is None or note.removeprefix(WATCH_PREFIX) not in GAME_DEPENDENT_REFUSALS:
                continue
            result = matcher.match(listing)
            if isinstance(result, Match):
                self._register(listing, result)
                taken += 1
        self.out.count("rematched", taken)
        return taken

    def _register(self, listing: MarketListing, match: Match) -> None:
        market = self.engine.matcher.to_market(listing, match)
        registry = self.engine.registry
        registry.watched.pop(market.market_id, None)
        registry.listings[market.market_id] = listing
        self.engine.on_market(market)

    def _watch(self, listing: MarketListing, refusal: Refusal) -> None:
        """Show a refused market (with its reason) without ever trading it."""
        engine, registry = self.engine, self.engine.registry
        market_id = listing.market_id
        note = f"{WATCH_PREFIX}{refusal.reason_code}"
        if market_id not in registry.watched:
            self.out.reject("match", refusal.reason_code, f"{listing.venue_market_id}: {refusal.detail}")
        registry.watched[market_id] = (listing, note)
        book = registry.books.setdefault(market_id, OrderBook(market_id))
        self.out.publish(watched_quote_view(market_id, listing, book if not book.stale else None, note, engine.clock()))

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
            listings = self.engine.registry.listings
            la, lb = listings.get(a.market_id), listings.get(b.market_id)
            cached = False
            if la is not None and lb is not None:
                strategy = self.engine.settings.strategy
                verdict = contract_equivalence(
                    a, la, b, lb, accept_unknown_postponement=strategy.arb_accept_unknown_postponement,
                    accept_unknown_cancellation=strategy.arb_accept_unknown_cancellation)
                cached = bool(verdict.ok)
                if not cached:
                    code, _, why = verdict.reason.partition(":")  # count by code; the detail names the pair
                    self.out.reject("equivalence", code, f"{a.market_id} vs {b.market_id}:{why}")
            self._equivalence[key] = cached
        return cached
