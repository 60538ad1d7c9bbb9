"""Read-only access to the shared recorded venue payloads (/work/shared/fixtures)."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"


def load_fixture(rel: str):
    """Parse the JSON fixture at `rel` (e.g. "kalshi/ws_ticker_prod_capture_legacy_fields.json")."""
    return json.loads((FIXTURES / rel).read_text())
