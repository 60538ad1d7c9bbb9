"""FeedWatchdog's escalation and counters on the test clock (its callbacks are its ports)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from arbees_engine.adapters.watchdog import FeedWatchdog, WatchdogConfig


class Steps:
    """The watchdog's ports, recording what it asked for."""

    def __init__(self, top=None, fail: bool = False) -> None:
        self.now = datetime(2026, 12, 7, tzinfo=UTC)
        self.top, self.fail = top, fail
        self.calls: list[tuple] = []

    def clock(self) -> datetime:
        return self.now

    async def fetch_top(self, market):
        self.calls.append(("rest", market))
        if self.fail:
            raise OSError("connection refused")
        return self.top

    async def resubscribe(self, markets) -> None:
        self.calls.append(("resubscribe", tuple(markets)))

    async def reconnect(self) -> None:
        self.calls.append(("reconnect",))


def _watchdog(steps: Steps, ours=(D("0.40"), D("0.45"))) -> FeedWatchdog:
    dog = FeedWatchdog(
        "venue",
        WatchdogConfig(silence_s=10, pong_timeout_s=3, ping_interval_s=5),
        fetch_top=steps.fetch_top,
        local_top=lambda market: ours,
        resubscribe=steps.resubscribe,
        reconnect=steps.reconnect,
        clock=steps.clock,
    )
    dog.track(["m"])
    dog.connected()
    return dog


async def test_a_failed_rest_check_resubscribes_then_reconnects():
    steps = Steps(fail=True)
    dog = _watchdog(steps)
    steps.now += timedelta(seconds=9.9)
    assert await dog.tick() == "ok" and steps.calls == []  # inside the bound: nothing
    steps.now += timedelta(seconds=0.1)
    await dog.tick()
    assert steps.calls == [("rest", "m"), ("resubscribe", ("m",))]
    assert dog.counts["rest_check_failed"] == 1 and dog.counts["resubscribes"] == 1
    steps.now += timedelta(seconds=10)
    assert await dog.tick() == "reconnect" and steps.calls[-1] == ("reconnect",)
    assert dog.status().state == "down" and dog.counts["reconnects"] == 1
    assert await dog.tick() == "down"  # nothing is timed until the stream connects again


async def test_same_rest_top_is_quiet_and_a_message_after_resubscribe_recovers():
    steps = Steps(top=(D("0.40"), D("0.45")))
    dog = _watchdog(steps)
    steps.now += timedelta(seconds=10)
    await dog.tick()
    assert dog.counts["quiet_ok"] == 1 and ("resubscribe", ("m",)) not in steps.calls
    steps.top = (D("0.41"), D("0.45"))  # the venue moved: ours is behind
    steps.now += timedelta(seconds=10)
    await dog.tick()
    assert dog.counts["book_moved"] == 1 and dog.status().state == "live"
    dog.touch("m")
    assert dog.counts["recovered"] == 1 and dog.status().market_age_s == {"venue:m": 0.0}


async def test_ping_due_and_pong_timeout():
    steps = Steps(top=(D("0.40"), D("0.45")))
    dog = _watchdog(steps)
    assert not dog.ping_due()
    steps.now += timedelta(seconds=5)
    assert dog.ping_due()
    dog.ping_sent()
    assert not dog.ping_due()  # one outstanding at a time
    steps.now += timedelta(seconds=2.9)
    assert await dog.tick() == "ok"
    dog.pong()
    steps.now += timedelta(seconds=5)
    dog.ping_sent()
    steps.now += timedelta(seconds=3)
    assert await dog.tick() == "reconnect" and dog.counts["pong_timeouts"] == 1
