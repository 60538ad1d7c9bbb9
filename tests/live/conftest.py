"""Shared fixtures for the live-venue tests (all servers bind 127.0.0.1 only)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    """A throwaway 2048-bit RSA key standing in for a Kalshi API key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)
