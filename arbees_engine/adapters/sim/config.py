"""The simulated world's settings, from `arbees-engine run --venue sim` arguments."""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SimConfig:
    """seed: the world's random seed; speed: simulated seconds per wall second (`--speed max`, as fast as
    the engine keeps up: None); games: how many games; session: a tag keeping this run's market ids apart
    from earlier runs in the same database."""

    seed: int
    speed: float | None
    games: int
    session: str

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> SimConfig:
        """From parsed `run` arguments (`--seed`, `--speed`, `--games`); a fresh session tag
        (milliseconds: an engine restarted within the same second must not reuse it)."""
        session = format(time.time_ns() // 1_000_000, "x")
        return cls(args.seed, args.speed, args.games, session)
