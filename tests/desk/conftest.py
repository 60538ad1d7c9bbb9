"""Desk fixtures (helpers live in deskkit.py). `private_redis`: a redis-server this test owns."""

from __future__ import annotations

import shutil

import pytest

from .deskkit import PrivateRedis


@pytest.fixture
def private_redis():
    """A redis-server on a free 127.0.0.1 port that the test may stop and restart."""
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.dir, ignore_errors=True)
