"""Polymarket live credentials: the wallet's private key and the CLOB API key, each in a 0600 file.

The private key (hex, "0x…") signs orders (EIP-712) and the L1 request that creates or derives the
CLOB API key; the API key (key, secret, passphrase) signs every L2 request (HMAC-SHA256). Both are
read through `secret_files.read_secret_file` (0600 or stricter, owned by the current user, in
directories nobody else can write). A missing API-key file is created once from the venue
(`ClobClient.create_or_derive_api_key`, py-clob-client-v2 1.2.1: POST /auth/api-key, falling back
to GET /auth/derive-api-key) and written 0600 with `secret_files.write_secret_file`.

`ApiCredentials.__repr__` hides the secret and passphrase, so a credential that reaches a log line
or a traceback shows only the key's first 4 characters.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from py_clob_client_v2.clob_types import ApiCreds

from ...secret_files import UnsafeSecretFile, read_secret_file, write_secret_file

API_KEY_FIELDS = ("api_key", "api_secret", "api_passphrase")


class PolymarketCredentialError(ValueError):
    """A credential file is unsafe, unreadable or malformed; the message never holds the secret."""


@dataclass(frozen=True, slots=True)
class ApiCredentials:
    """A CLOB API key: `api_key` (uuid), `api_secret` (url-safe base64), `api_passphrase`."""

    api_key: str
    api_secret: str
    api_passphrase: str

    def __repr__(self) -> str:
        return f"ApiCredentials(api_key={self.api_key[:4]}…, api_secret=***, api_passphrase=***)"

    __str__ = __repr__

    def to_client(self) -> ApiCreds:
        """The official client's `ApiCreds` (py_clob_client_v2.clob_types)."""
        return ApiCreds(api_key=self.api_key, api_secret=self.api_secret, api_passphrase=self.api_passphrase)


def read_private_key(path: str | Path) -> str:
    """The wallet's private key (0x-prefixed hex, 32 bytes) from the 0600 file `path`.

    Raises PolymarketCredentialError for an unsafe file or text that is not a 32-byte hex key.
    """
    try:
        text = read_secret_file(path, "Polymarket private key file")
    except UnsafeSecretFile as exc:
        raise PolymarketCredentialError(str(exc)) from None
    key = text if text.startswith("0x") else "0x" + text
    if len(key) != 66 or any(c not in "0123456789abcdefABCDEF" for c in key[2:]):
        raise PolymarketCredentialError(f"Polymarket private key file {path} does not hold a 32-byte hex key")
    return key


def load_api_credentials(path: str | Path) -> ApiCredentials:
    """The API key stored in the 0600 JSON file `path` ({"api_key", "api_secret", "api_passphrase"}).

    Raises PolymarketCredentialError for an unsafe file, bad JSON or a missing field.
    """
    try:
        raw = json.loads(read_secret_file(path, "Polymarket API key file"))
    except UnsafeSecretFile as exc:
        raise PolymarketCredentialError(str(exc)) from None
    except ValueError:
        raise PolymarketCredentialError(f"Polymarket API key file {path} is not JSON") from None
    if not isinstance(raw, dict) or not all(isinstance(raw.get(f), str) and raw.get(f) for f in API_KEY_FIELDS):
        raise PolymarketCredentialError(f"Polymarket API key file {path} needs {', '.join(API_KEY_FIELDS)}")
    return ApiCredentials(raw["api_key"], raw["api_secret"], raw["api_passphrase"])


def api_credentials(path: str | Path, create: Callable[[], ApiCreds]) -> ApiCredentials:
    """The API key in `path`, or (when the file does not exist) the one `create()` returns from the
    venue (blocking; `ClobClient.create_or_derive_api_key`), written 0600 to `path` first.

    Raises PolymarketCredentialError for an unsafe or malformed existing file; what `create` raises.
    """
    path = Path(path)
    if path.exists():
        return load_api_credentials(path)
    made = create()
    creds = ApiCredentials(made.api_key, made.api_secret, made.api_passphrase)
    write_secret_file(path, json.dumps({f: getattr(creds, f) for f in API_KEY_FIELDS}))
    return load_api_credentials(path)
