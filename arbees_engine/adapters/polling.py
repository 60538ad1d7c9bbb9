"""The one discover-then-poll loop shared by the REST venue adapters."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def discover_and_poll(
    discover: Callable[[], Awaitable[bool]],
    poll_books: Callable[[], Awaitable[None]],
    poll_s: float,
    discover_every_s: float,
) -> None:
    """Forever: discover markets every `discover_every_s` seconds (at the next round again if a
    discovery was incomplete), and poll books every `poll_s` seconds. Runs until cancelled."""
    loop = asyncio.get_running_loop()
    next_discovery = loop.time()
    while True:
        if loop.time() >= next_discovery:
            complete = await discover()
            next_discovery = loop.time() + (discover_every_s if complete else 0.0)
        await poll_books()
        await asyncio.sleep(poll_s)
