"""`arbees-engine bench-reconnect`: forced drops of a local websocket server, percentiles printed."""

from __future__ import annotations

import asyncio
import json
import sys


async def test_bench_reconnect_prints_percentiles_within_target():
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "arbees_engine",
        "bench-reconnect",
        "--n",
        "20",
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, err.decode()[-2000:]
    lines = out.decode().strip().splitlines()
    assert lines[0].startswith("reconnect over 20 forced drops: p50=") and "p95=" in lines[0] and "max=" in lines[0]
    result = json.loads(lines[-1])
    print(lines[0])
    assert result["count"] == 20
    assert 0 < result["p50"] < 1.0 and result["p95"] < 5.0  # issue 4 §4 targets, seconds
    assert result["p50"] <= result["p95"] <= result["max"]


async def test_bench_reconnect_rejects_a_bad_count():
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "arbees_engine",
        "bench-reconnect",
        "--n",
        "0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert proc.returncode == 2 and b"--n must be at least 1" in err
