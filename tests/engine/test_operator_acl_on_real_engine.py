"""The Redis ACL users against a real engine (issue 11 §2): the engine publishes and consumes as
`engine`; `operator` (the desk, `kill/resume/mode`) gets its commands acknowledged; `readonly`
(`status`, `arbees --read-only`) sees the engine but cannot command it."""

from __future__ import annotations

import pytest
from engine_harness import command, sim_engine, sim_settings
from redis.exceptions import NoPermissionError

from arbees_engine.bus.client import BusClient
from arbees_engine.bus.messages import CommandAction
from arbees_engine.ops.drive import drive_sim


async def test_operator_commands_a_real_engine_and_readonly_only_watches(pg_dsn, redis_url, redis_server):
    db = int(redis_url.rsplit("db=", 1)[1])
    settings = sim_settings(pg_dsn, redis_url)
    async with sim_engine(settings, seed=7) as (engine, world, _store):
        await drive_sim(engine, world, 5 * 60)
        operator = BusClient(redis_server.url_for(db, "operator"), settings.instance)
        reader = BusClient(redis_server.url_for(db, "readonly"), settings.instance)
        try:
            ack = await operator.command_and_wait(command(CommandAction.KILL, reason="acl test"), timeout_s=10)
            assert ack is not None and ack.ok and engine.control.kill_engaged
            await engine.publisher.flush()
            snap = await reader.load_snapshot(audit_limit=5)
            assert snap.engine is not None and snap.engine.kill_engaged
            assert await reader.heartbeat() is not None
            with pytest.raises(NoPermissionError):
                await reader.send_command(command(CommandAction.RESUME))
            assert engine.control.kill_engaged  # nothing reached the engine
        finally:
            await operator.close()
            await reader.close()
