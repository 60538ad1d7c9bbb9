"""Process runtime helpers: private PostgreSQL/Redis servers for tests and `arbees demo`."""

from .embedded import (
    PG_ENGINE_ROLE,
    PG_SUPERUSER,
    EmbeddedPostgres,
    EmbeddedRedis,
    EmbeddedServerError,
    MissingBinaryError,
    find_binary,
    free_port,
)

__all__ = [
    "PG_ENGINE_ROLE",
    "PG_SUPERUSER",
    "EmbeddedPostgres",
    "EmbeddedRedis",
    "EmbeddedServerError",
    "MissingBinaryError",
    "find_binary",
    "free_port",
]
