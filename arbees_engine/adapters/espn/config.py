"""The ESPN feed's settings, read from the operator's `endpoints` settings (ARBEES_ENDPOINTS__ESPN_*)."""

from __future__ import annotations

from dataclasses import dataclass

from ...settings import Settings


@dataclass(frozen=True, slots=True)
class EspnConfig:
    """leagues: scoreboard paths polled ("basketball/nba"); base_url: the site API root;
    poll_live_s / poll_idle_s: seconds between polls while a game is live / while none is."""

    leagues: tuple[str, ...]
    base_url: str
    poll_live_s: float
    poll_idle_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> EspnConfig:
        """ESPN's part of `settings.endpoints`."""
        ep = settings.endpoints
        return cls(tuple(ep.espn_leagues), ep.espn_base_url, ep.poll_live_s, ep.poll_idle_s)
