"""The one place a venue, feed or simulated world is registered: name → its folder's factory.

`ops/builder.py` (the `run` command) and `ops/replay.py` look venues up here instead of
branching on their names; a listing's evidence is read by its venue's `listing_evidence`. A new
venue adds `adapters/<venue>/` (config, factory, rest, ws, parse, evidence and its grammar) and one
`VenueEntry` line below.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import structlog

from ..model import ListingEvidence, MarketListing, Venue
from ..settings import Settings
from .capture import attach_capture
from .composite import StreamingVenue
from .espn import factory as espn
from .evidence import with_evidence as _attach
from .http import make_client
from .kalshi import factory as kalshi
from .polymarket import factory as polymarket
from .recording import Recorder
from .sim import factory as sim

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class VenueEntry:
    """A real venue: its `Venue`, how to build it (REST discovery + book stream) from settings, the
    stream a replay parses its recorded frames through, how its listings' evidence is read, the
    endpoints `doctor` probes and the endpoint settings a recording keeps."""

    venue: Venue
    build: Callable[..., StreamingVenue]
    replay_stream: Callable[[StreamingVenue], Any]
    listing_evidence: Callable[[MarketListing], ListingEvidence]
    probes: Callable[[Settings], list[tuple[str, str]]]
    recorded_endpoints: tuple[str, ...]

    @classmethod
    def of(cls, venue: Venue, factory: Any) -> VenueEntry:
        """The entry of a venue folder's `factory` module (names as in `adapters/kalshi/factory.py`)."""
        return cls(
            venue,
            factory.build_venue,
            factory.replay_stream,
            factory.listing_evidence,
            factory.probes,
            factory.RECORDED_ENDPOINTS,
        )


VENUES: dict[str, VenueEntry] = {
    kalshi.NAME: VenueEntry.of(Venue.KALSHI, kalshi),
    polymarket.NAME: VenueEntry.of(Venue.POLYMARKET, polymarket),
}
#: Game-state feeds that go with real venues.
FEEDS = {espn.NAME: espn.build_feed}
#: Simulated worlds: one adapter that is feed and venues at once (`--venue sim`).
WORLDS = {sim.NAME: sim.build_world}
_BY_VENUE = {entry.venue: entry for entry in VENUES.values()}


def venue_entry(name: str) -> VenueEntry:
    """The registered venue called `name`. Raises ValueError naming the known ones."""
    entry = VENUES.get(name)
    if entry is None:
        raise ValueError(f"unknown venue {name!r} (expected {', '.join([*WORLDS, *VENUES])})")
    return entry


def probes(settings: Settings, names: list[str]) -> list[tuple[str, str]]:
    """(label, URL) endpoints of the named venues and feeds, for `arbees-engine doctor`; unknown names
    are skipped."""
    out: list[tuple[str, str]] = []
    for name in names:
        if name in VENUES:
            out += VENUES[name].probes(settings)
        elif name == espn.NAME:
            out += espn.probes(settings)
    return out


def recorded_endpoints(settings: Settings) -> dict[str, Any]:
    """The endpoint settings a recording keeps (feed and every registered venue), by field name."""
    ep = settings.endpoints
    fields = [*espn.RECORDED_ENDPOINTS, *(f for entry in VENUES.values() for f in entry.recorded_endpoints)]
    return {name: getattr(ep, name) for name in fields}


def with_evidence(listing: MarketListing) -> MarketListing:
    """`listing` carrying the evidence its venue's adapter reads (as the parsers attach it), for
    listings built by hand (benchmarks, tests). A venue with no entry gets none."""
    entry = _BY_VENUE.get(listing.venue)
    return listing if entry is None else _attach(listing, entry.listing_evidence(listing))


def build_real_adapters(
    settings: Settings,
    venues: list[str],
    *,
    signer=None,
    recorder: Recorder | None = None,
    client: httpx.AsyncClient | None = None,
    start_streams: bool = True,
) -> list:
    """[the ESPN feed, one StreamingVenue per venue name] for real (or replayed) venues.

    client: the httpx client every REST call goes through (default: `make_client`, with the
    response-capturing hook when recording). Raises ValueError for an unknown venue.
    """
    entries = [(name, venue_entry(name)) for name in venues]
    if client is None:
        client = make_client(timeout_s=settings.endpoints.http_timeout_s)
        if recorder is not None:
            attach_capture(client)
    feed = espn.build_feed(settings, client, recorder=recorder)
    adapters: list = [feed]
    for name, entry in entries:
        composite = entry.build(settings, client, signer=signer, recorder=recorder, streaming=start_streams)
        composite.after = feed.first_round  # discover markets once the games are known
        log.info("venue.books", venue=name, mode=composite.mode)
        adapters.append(composite)
    return adapters
