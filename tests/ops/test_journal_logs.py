"""ARBEES_LOG_FORMAT=journal: one line per event with journald's "<priority>" prefix, no timestamp."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = (
    "from arbees_engine.logs import configure_logging; import structlog; configure_logging(); "
    "log = structlog.get_logger('t'); log.error('store.down', job='quote'); log.info('engine.ready')"
)


def _run(env: dict) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={**env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return out.stderr.strip().splitlines()


def test_journal_lines_carry_priority_prefix():
    lines = _run({"ARBEES_LOG_FORMAT": "journal", "ARBEES_LOG_LEVEL": "INFO"})
    assert lines == ["<3>level='error' event='store.down' job='quote'", "<6>level='info' event='engine.ready'"]


def test_journal_json_lines():
    lines = _run({"ARBEES_LOG_FORMAT": "journal", "ARBEES_LOG_JSON": "1", "ARBEES_LOG_LEVEL": "INFO"})
    assert lines[0].startswith("<3>{") and json.loads(lines[0][3:])["event"] == "store.down"
