"""Polymarket's dead-man switch, kept by the engine and tied to its kill switch.

The CLOB cancels every open order of an account whose heartbeats stop (POST /v1/heartbeats,
https://docs.polymarket.com/api-reference/trade/send-heartbeat; the official client's
`post_heartbeat(heartbeat_id)` chains each beat to the id the previous one returned). The keeper
sends one every `interval_s` seconds while the engine may trade. When the kill switch is engaged
(`may_trade()` false) it stops sending and asks the venue to cancel all open orders at once (the
venue would after its timeout anyway), and starts a new chain when trading resumes.

A failed heartbeat (refused, timed out, unreachable) sets `halted` to the reason, which stops new
Polymarket orders (`PolymarketLiveBroker`) and shows on the desk; the next successful beat clears it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)

DEFAULT_INTERVAL_S = 5.0  # the venue's window is ~10 s (docs above): two beats per window


class HeartbeatKeeper:
    """Sends heartbeats through `send(previous_id) -> next_id`; `cancel_all()` on the kill switch.

    interval_s: seconds between beats; may_trade: the engine's kill switch (True = trading allowed).
    State: `halted` ("" while healthy), `beats`, `failures`, `stopped_by_kill_switch`; `changed` is
    set after every beat or failure (tests and the status read it; never used as a sleep).
    """

    def __init__(
        self,
        send: Callable[[str], Awaitable[str]],
        cancel_all: Callable[[], Awaitable[None]],
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        may_trade: Callable[[], bool] = lambda: True,
    ) -> None:
        self.send, self.cancel_all, self.interval_s, self.may_trade = send, cancel_all, interval_s, may_trade
        self.halted = "not started: no heartbeat sent yet"
        self.beats = self.failures = 0
        self.stopped_by_kill_switch = False
        self.changed = asyncio.Event()
        self._heartbeat_id = ""
        self._stop = asyncio.Event()

    async def beat(self) -> bool:
        """One step: a heartbeat (or, under the kill switch, the stop and cancel-all). True if healthy."""
        if not self.may_trade():
            if not self.stopped_by_kill_switch:
                self.stopped_by_kill_switch, self._heartbeat_id = True, ""
                self.halted = "kill switch engaged: heartbeats stopped, open orders cancelled"
                log.warning("polymarket.heartbeat_stopped", reason="kill switch")
                try:
                    await self.cancel_all()
                except Exception as exc:  # noqa: BLE001 - the venue cancels on its own once beats stop
                    log.warning("polymarket.cancel_all_failed", error=str(exc)[:200])
            self.changed.set()
            return False
        self.stopped_by_kill_switch = False
        try:
            self._heartbeat_id = await self.send(self._heartbeat_id)
        except Exception as exc:  # noqa: BLE001 - any failure halts orders until the next good beat
            self.failures += 1
            self._heartbeat_id = ""
            self.halted = f"heartbeat failed: {str(exc)[:160]}"
            log.error("polymarket.heartbeat_failed", error=str(exc)[:200], failures=self.failures)
            self.changed.set()
            return False
        if self.halted:
            log.info("polymarket.heartbeat_ok", after=self.halted)
        self.beats += 1
        self.halted = ""
        self.changed.set()
        return True

    async def run(self) -> None:
        """Beat every `interval_s` until `stop()`; never raises (failures are state, see `halted`)."""
        while not self._stop.is_set():
            await self.beat()
            try:
                await asyncio.wait_for(self._stop.wait(), self.interval_s)
            except TimeoutError:
                pass
        self.halted = "stopped: the engine is shutting down"

    def stop(self) -> None:
        """End `run` after the current step (the venue then cancels open orders after its timeout)."""
        self._stop.set()

    async def wait_changed(self, timeout: float) -> None:
        """Wait (≤ `timeout` s) for the next beat or failure; raises TimeoutError."""
        self.changed.clear()
        await asyncio.wait_for(self.changed.wait(), timeout)
