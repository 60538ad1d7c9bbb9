"""Build the simulated world (games, feed and both simulated venues in one adapter)."""

from __future__ import annotations

from .config import SimConfig
from .world import SimWorld

NAME = "sim"


def build_world(cfg: SimConfig) -> SimWorld:
    """A SimWorld; the engine runs on its clock and hands it every fill (`SimWorld.consume`)."""
    return SimWorld(seed=cfg.seed, speed=cfg.speed, n_games=cfg.games, session=cfg.session)
