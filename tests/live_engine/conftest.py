"""Fixtures for the engine-over-live-venues tests: a Kalshi API key file, second database/Redis.

The fake venue servers live in tests/live (live_fake_kalshi, live_fake_polymarket); that folder is
put on sys.path here so these tests run on their own (`pytest tests/live_engine`).
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from harness import fresh_database, fresh_redis_db

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "live"))

_extra = itertools.count(1)


@pytest.fixture(scope="session")
def kalshi_key() -> rsa.RSAPrivateKey:
    """A throwaway 2048-bit RSA key standing in for a Kalshi API key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def kalshi_key_file(tmp_path: Path, kalshi_key: rsa.RSAPrivateKey) -> Path:
    """The key as an unencrypted PEM file with mode 0600 (what KalshiSigner.from_file demands)."""
    path = tmp_path / "kalshi.pem"
    path.write_bytes(
        kalshi_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    path.chmod(0o600)
    return path


@pytest.fixture
async def second_pg_dsn(pg_server) -> AsyncIterator[str]:
    """A second fresh, migrated database (the replay run's), dropped afterwards."""
    async with fresh_database(pg_server) as dsn:
        yield dsn


@pytest.fixture
def second_redis_url(redis_server, redis_url: str) -> str:
    """Another empty logical Redis database, distinct from `redis_url`'s."""
    url = fresh_redis_db(redis_server)
    assert url != redis_url
    return url
