"""The private PostgreSQL and Redis servers in one import: `from arbees_engine.ops.embedded import ...`.

The base (binaries, sockets, watchdog) is ops/embedded_server.py; each server has its own module
(ops/embedded_postgres.py, ops/embedded_redis.py), each under 400 lines.
"""

from .embedded_postgres import PG_ENGINE_ROLE, PG_SUPERUSER, EmbeddedPostgres
from .embedded_redis import REDIS_USERS, EmbeddedRedis
from .embedded_server import (
    EmbeddedServerError,
    MissingBinaryError,
    _pid_alive,
    _socket_open,
    _start_time,
    find_binary,
    free_port,
    private_socket_dir,
    unprivileged_user,
)

__all__ = [
    "PG_ENGINE_ROLE",
    "PG_SUPERUSER",
    "REDIS_USERS",
    "EmbeddedPostgres",
    "EmbeddedRedis",
    "EmbeddedServerError",
    "MissingBinaryError",
    "_pid_alive",
    "_socket_open",
    "_start_time",
    "find_binary",
    "free_port",
    "private_socket_dir",
    "unprivileged_user",
]
