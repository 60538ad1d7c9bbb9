"""Arbees engine: a headless asyncio daemon that trades sports prediction markets.

The engine never imports Textual; the desk (`arbees_tui`) imports only
`arbees_engine.bus.messages` and the bus client.
"""

__version__ = "0.1.0"
