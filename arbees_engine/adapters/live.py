"""Which venues trade live: the per-venue double authorisation (kalshi/orders.py, polymarket/clob.py).

Live orders need BOTH switches in the environment: `ARBEES_LIVE` naming the venues
("kalshi,polymarket"; "1" is the older spelling of "kalshi" alone) AND `ARBEES_LIVE_AUTHORIZATION`
equal to the documented phrase. A venue not named trades on paper against the live books.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

LIVE_ENV, AUTH_ENV = "ARBEES_LIVE", "ARBEES_LIVE_AUTHORIZATION"
LIVE_AUTHORIZATION_PHRASE = "I-ACCEPT-REAL-MONEY-RISK"


class LiveVenueRefused(RuntimeError):
    """Live trading on a venue was not explicitly authorised (module docstring)."""


def live_venues(env: Mapping[str, str] | None = None) -> frozenset[str]:
    """The venue names authorised to trade live ({"kalshi", "polymarket"} or a subset; empty when the
    authorisation phrase is missing or wrong). `env` defaults to os.environ."""
    env = os.environ if env is None else env
    if env.get(AUTH_ENV) != LIVE_AUTHORIZATION_PHRASE:
        return frozenset()
    raw = env.get(LIVE_ENV, "").strip().lower()
    if raw == "1":
        return frozenset({"kalshi"})
    return frozenset(v.strip() for v in raw.split(",") if v.strip())


def require_live(venue: str, env: Mapping[str, str] | None = None) -> None:
    """Raise LiveVenueRefused unless `venue` is in `live_venues(env)`."""
    if venue not in live_venues(env):
        raise LiveVenueRefused(
            f"live {venue} orders need {LIVE_ENV} naming {venue} (e.g. {LIVE_ENV}=kalshi,{venue}) and "
            f"{AUTH_ENV}={LIVE_AUTHORIZATION_PHRASE} in the environment; use paper execution"
        )
