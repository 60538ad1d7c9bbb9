"""Kalshi RSA-PSS signing and key-file safety."""

from __future__ import annotations

import base64

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization

from arbees_engine.adapters.kalshi.auth import (
    PSS_PADDING,
    KalshiAuthError,
    KalshiSigner,
    load_private_key,
    message_to_sign,
    verify_signature,
)


def _write_key(tmp_path, key, mode: int):
    path = tmp_path / "kalshi.pem"
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(mode)
    return path


def test_signature_verifies_with_public_key_and_strips_query(rsa_key):
    signer = KalshiSigner("key-id-1", rsa_key, clock_ms=lambda: 1_700_000_000_123)
    headers = signer.headers("post", "/trade-api/v2/portfolio/orders?limit=5")
    assert headers["KALSHI-ACCESS-KEY"] == "key-id-1"
    assert headers["KALSHI-ACCESS-TIMESTAMP"] == "1700000000123"
    sig = base64.b64decode(headers["KALSHI-ACCESS-SIGNATURE"])
    expected_msg = b"1700000000123POST/trade-api/v2/portfolio/orders"
    assert message_to_sign(1_700_000_000_123, "post", "/trade-api/v2/portfolio/orders?x=1") == expected_msg
    rsa_key.public_key().verify(sig, expected_msg, PSS_PADDING, hashes.SHA256())  # raises if wrong
    with pytest.raises(InvalidSignature):
        rsa_key.public_key().verify(
            sig, b"1700000000123GET/trade-api/v2/portfolio/orders", PSS_PADDING, hashes.SHA256()
        )
    assert verify_signature(rsa_key.public_key(), headers, "POST", "/trade-api/v2/portfolio/orders")
    assert not verify_signature(rsa_key.public_key(), headers, "GET", "/trade-api/v2/portfolio/orders")


def test_key_file_world_readable_is_refused_without_leaking_key(tmp_path, rsa_key):
    path = _write_key(tmp_path, rsa_key, 0o644)
    with pytest.raises(KalshiAuthError) as info:
        load_private_key(path)
    assert "0644" in str(info.value) and "chmod 600" in str(info.value)
    assert "PRIVATE KEY" not in str(info.value)


def test_key_file_0600_loads_and_repr_redacts(tmp_path, rsa_key):
    path = _write_key(tmp_path, rsa_key, 0o600)
    signer = KalshiSigner.from_file("kid", path)
    assert "redacted" in repr(signer) and "BEGIN" not in repr(signer)
    assert verify_signature(rsa_key.public_key(), signer.headers("GET", "/x"), "GET", "/x")


def test_garbage_and_missing_key_files_give_clear_errors(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----\n")
    bad.chmod(0o600)
    with pytest.raises(KalshiAuthError, match="not an unencrypted PEM"):
        load_private_key(bad)
    with pytest.raises(KalshiAuthError, match="cannot be read"):
        load_private_key(tmp_path / "missing.pem")
