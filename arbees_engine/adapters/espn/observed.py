"""The ESPN feed as the real-venue engine runs it: polls recorded, and a first-round event.

Venues discover markets once `first_round` is set, so listings meet their games on the first match.
"""

from __future__ import annotations

import asyncio

from ..capture import record_op
from ..recording import Recorder
from .feed import EspnFeed


class ObservedEspnFeed(EspnFeed):
    """EspnFeed whose scoreboard polls are recorded as "espn.poll" operations (when `recorder` is
    set) and whose `first_round` event is set once every league has been polled (so venues can
    discover markets after the games are known and match them on the first round)."""

    recorder: Recorder | None = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.first_round = asyncio.Event()
        self._polled: set[str] = set()
        if not self.leagues:
            self.first_round.set()  # nothing to wait for

    async def poll_once(self, path, league, sink):  # noqa: ANN001 - see EspnFeed.poll_once
        """`EspnFeed.poll_once`, recorded when `recorder` is set."""
        try:
            return await record_op(
                self.recorder, "espn.poll", {"league": path}, lambda: EspnFeed.poll_once(self, path, league, sink)
            )
        finally:
            self._polled.add(path)
            if self._polled >= set(self.leagues):
                self.first_round.set()
