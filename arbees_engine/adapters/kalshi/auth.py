"""Kalshi API-key request signing (RSA-PSS / SHA-256).

Protocol (https://docs.kalshi.com/getting_started/api_keys and
https://docs.kalshi.com/getting_started/quick_start_websockets): the message is
`timestamp_ms + METHOD + path`, where `path` is the URL path WITHOUT the query string
(e.g. "/trade-api/v2/portfolio/orders", or "/trade-api/ws/v2" for the websocket handshake).
It is signed with RSA-PSS, MGF1(SHA-256), salt length = digest length (32 bytes), and sent as
headers KALSHI-ACCESS-KEY, KALSHI-ACCESS-SIGNATURE (base64) and KALSHI-ACCESS-TIMESTAMP.

The private key never appears in logs, reprs or exception messages.
"""

from __future__ import annotations

import base64
import os
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ...secret_files import UnsafeSecretFile, check_secret_file

#: PSS parameters Kalshi requires: MGF1(SHA-256), salt length = SHA-256 digest length.
PSS_PADDING = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)


class KalshiAuthError(RuntimeError):
    """The key file cannot be used (missing, unsafe permissions, not an RSA private key)."""


def message_to_sign(timestamp_ms: int, method: str, path: str) -> bytes:
    """Return `f"{timestamp_ms}{METHOD}{path-without-query}"` as bytes (Kalshi signing rule)."""
    return f"{timestamp_ms}{method.upper()}{path.split('?', 1)[0]}".encode()


def load_private_key(path: str | os.PathLike[str]) -> rsa.RSAPrivateKey:
    """Load an unencrypted RSA private key from a PEM file only its owner can read or replace.

    Raises KalshiAuthError if the file is missing, not owned by the current user, group/world-
    accessible (mode & 0o077), in a directory another user could write (not sticky), or does not
    hold an RSA private key (arbees_engine.secret_files.check_secret_file). Messages name the
    path, mode or owner, never the content.
    """
    try:
        p = check_secret_file(path, "Kalshi key file")
    except UnsafeSecretFile as exc:
        raise KalshiAuthError(str(exc)) from None
    try:
        key = serialization.load_pem_private_key(p.read_bytes(), password=None)
    except (ValueError, TypeError):
        raise KalshiAuthError(f"Kalshi key file {p} is not an unencrypted PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise KalshiAuthError(f"Kalshi key file {p} does not hold an RSA key")
    return key


class KalshiSigner:
    """Signs Kalshi requests with one API key.

    key_id: the API key id (public, sent as KALSHI-ACCESS-KEY).
    private_key: an RSA private key (use `from_file` to load it safely).
    clock_ms: injectable clock returning Unix milliseconds (tests use it to forge old timestamps).
    """

    __slots__ = ("_clock_ms", "_key", "key_id")

    def __init__(self, key_id: str, private_key: rsa.RSAPrivateKey, clock_ms=None) -> None:
        self.key_id = key_id
        self._key = private_key
        self._clock_ms = clock_ms or (lambda: int(time.time() * 1000))

    @classmethod
    def from_file(cls, key_id: str, pem_path: str | os.PathLike[str]) -> KalshiSigner:
        """Build a signer from a PEM file (permission-checked, see `load_private_key`)."""
        return cls(key_id, load_private_key(pem_path))

    def __repr__(self) -> str:
        return f"KalshiSigner(key_id={self.key_id!r}, private_key=<redacted>)"

    def sign(self, timestamp_ms: int, method: str, path: str) -> str:
        """Return the base64 RSA-PSS signature of `message_to_sign(timestamp_ms, method, path)`."""
        sig = self._key.sign(message_to_sign(timestamp_ms, method, path), PSS_PADDING, hashes.SHA256())
        return base64.b64encode(sig).decode()

    def headers(self, method: str, path: str) -> dict[str, str]:
        """Return the three KALSHI-ACCESS-* headers for a request made now."""
        ts = self._clock_ms()
        return {
            "KALSHI-ACCESS-KEY": self.key_id,
            "KALSHI-ACCESS-SIGNATURE": self.sign(ts, method, path),
            "KALSHI-ACCESS-TIMESTAMP": str(ts),
        }


def verify_signature(public_key: rsa.RSAPublicKey, headers: dict[str, str], method: str, path: str) -> bool:
    """Check KALSHI-ACCESS-* headers against `public_key` (what Kalshi's server does; used by tests).

    Header lookup is case-insensitive. Returns False on any mismatch; never raises.
    """
    h = {k.lower(): v for k, v in headers.items()}
    try:
        ts = int(h["kalshi-access-timestamp"])
        sig = base64.b64decode(h["kalshi-access-signature"], validate=True)
        public_key.verify(sig, message_to_sign(ts, method, path), PSS_PADDING, hashes.SHA256())
        return True
    except Exception:  # noqa: BLE001 - any failure means "not verified"
        return False
