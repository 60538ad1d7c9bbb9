"""Built-in simulated world: games (NBA, NFL, NHL, EPL) and two simulated venues, no network.

Usage: `world = SimWorld(seed=1, speed=20.0)`; run it as an adapter (`await world.run(sink)`),
read time from `world.clock.now()`, and let the paper broker call `world.consume(...)` after
a fill. `world.step()` advances one sim second synchronously (tests, benchmarks).
"""

from .clock import SimClock, default_start
from .venues import POLYMARKET_SPORTS_FEES
from .world import DEFAULT_LEAGUES, SimEvent, SimWorld

__all__ = ["DEFAULT_LEAGUES", "POLYMARKET_SPORTS_FEES", "SimClock", "SimEvent", "SimWorld", "default_start"]
