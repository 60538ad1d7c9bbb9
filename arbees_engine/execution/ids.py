"""Client order ids (and other engine ids): unique forever, sortable, reproducible on demand.

Format: "<prefix>-<instance>-<start_ms hex, 12 digits>-<counter, 8 digits>", e.g.
"arb-default-019a4f3c2b10-00000001". The session start in milliseconds makes ids from a
restarted engine differ from every earlier session's; the fixed-width fields make string
order equal creation order within an instance. Pass `start_ms` for deterministic runs.
"""

from __future__ import annotations

import re
import time
from itertools import count

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


class IdFactory:
    """Callable returning a new id string on each call (see module docstring).

    instance: engine instance name (characters other than [A-Za-z0-9_] become "_");
    start_ms: session start, Unix milliseconds (default: now); prefix: "arb" for orders.
    Raises ValueError for a negative start_ms.
    """

    def __init__(self, instance: str = "default", *, start_ms: int | None = None, prefix: str = "arb") -> None:
        if start_ms is None:
            start_ms = time.time_ns() // 1_000_000
        if start_ms < 0:
            raise ValueError(f"start_ms {start_ms} < 0")
        self.session = f"{_UNSAFE.sub('_', prefix)}-{_UNSAFE.sub('_', instance)}-{start_ms:012x}"
        self._counter = count(1)

    def __call__(self) -> str:
        """The next id."""
        return f"{self.session}-{next(self._counter):08d}"


def client_order_ids(instance: str = "default", *, start_ms: int | None = None) -> IdFactory:
    """Order id factory: `client_order_ids("default")()` → "arb-default-<hex>-00000001"."""
    return IdFactory(instance, start_ms=start_ms, prefix="arb")


def signal_ids(instance: str = "default", *, start_ms: int | None = None) -> IdFactory:
    """Signal id factory ("sig-…"), deterministic when start_ms is fixed (simulated runs)."""
    return IdFactory(instance, start_ms=start_ms, prefix="sig")
