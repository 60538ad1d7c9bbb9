"""The simulated world's clock: whole seconds of sim time since a fixed UTC start.

The engine should read time from `SimWorld.clock.now()` while it runs on the sim, so staleness
checks and cooldowns follow sim time and a sped-up run (`--speed 20`) behaves like a real one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def default_start(seed: int) -> datetime:
    """A fixed start time derived from `seed`: an evening (19:00 UTC) in 2026, one day per seed."""
    return datetime(2026, 1, 1, 19, 0, tzinfo=UTC) + timedelta(days=seed % 365)


class SimClock:
    """Sim time. `now()` → aware UTC datetime; `elapsed_s` → integer seconds since start.

    Only `SimWorld` advances it (`advance`), so wall-clock pacing never changes what happens.
    Raises ValueError for a naive `start` or a negative advance.
    """

    __slots__ = ("elapsed_s", "start")

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("SimClock start must be timezone-aware (UTC)")
        self.start = start.astimezone(UTC)
        self.elapsed_s = 0

    def now(self) -> datetime:
        """Current sim time as an aware UTC datetime."""
        return self.start + timedelta(seconds=self.elapsed_s)

    def at(self, elapsed_s: float) -> datetime:
        """The datetime `elapsed_s` seconds after the start."""
        return self.start + timedelta(seconds=elapsed_s)

    def advance(self, seconds: int = 1) -> None:
        """Move the clock forward by `seconds` (whole seconds, ≥ 0)."""
        if seconds < 0:
            raise ValueError(f"cannot move the sim clock back ({seconds} s)")
        self.elapsed_s += seconds
