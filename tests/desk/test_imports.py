"""Layering: the desk imports only arbees_engine.bus from the engine; the engine never imports Textual."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def modules_after(import_stmt: str) -> list[str]:
    code = f"import sys, json\n{import_stmt}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    assert out.returncode == 0, f"import failed:\n{out.stderr}"
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_desk_imports_only_the_bus_from_the_engine():
    mods = modules_after(
        "import arbees_tui.app, arbees_tui.cli, arbees_tui.bench, arbees_tui.source\n"
        "arbees_tui.source.RedisSource('redis://127.0.0.1:1/0', 'x')\n"
        "arbees_tui.cli.desk_redis_url(arbees_tui.cli.build_parser().parse_args([]))"
    )
    engine = [m for m in mods if m.startswith("arbees_engine")]
    assert "arbees_tui.app" in mods and "arbees_engine.bus.client" in mods
    # Besides the bus, only the stdlib-only security helpers: masking URLs, reading 0600 files.
    allowed = {"arbees_engine", "arbees_engine.redact", "arbees_engine.secret_files"}
    outside_bus = [m for m in engine if m not in allowed and not m.startswith("arbees_engine.bus")]
    assert outside_bus == [], outside_bus
    assert not {"arbees_engine.runtime", "arbees_engine.store", "arbees_engine.strategy"} & set(mods)


def test_engine_never_imports_textual():
    """Import every engine module (an import error fails the test, it is not skipped): no Textual, no desk."""
    stmt = (
        "import importlib, pkgutil\n"
        "for info in pkgutil.walk_packages(arbees_engine.__path__, 'arbees_engine.'):\n"
        "    if not info.name.endswith('.__main__'):\n"
        "        importlib.import_module(info.name)"
    )
    mods = modules_after("import arbees_engine\n" + stmt)
    assert "arbees_engine.bus" in mods and "arbees_engine.node.kernel" in mods
    assert not [m for m in mods if m == "textual" or m.startswith("textual.")]
    assert not [m for m in mods if m.startswith("arbees_tui")]


def test_an_engine_module_that_fails_to_import_fails_the_check():
    """The layering check itself: a broken import is an error, never a pass."""
    with pytest.raises(AssertionError, match="import failed"):
        modules_after("import arbees_engine.no_such_module")
