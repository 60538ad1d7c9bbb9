"""Operator keys on disk and the engine's authorized-operators file.

Private keys: `<keys dir>/<NAME>.key`, an unencrypted PKCS#8 PEM Ed25519 key, mode 0600 in a
0700 directory (default `<user config dir>/arbees/operators/`, or ARBEES_OPERATOR_KEYS_DIR).
Authorized operators: a TOML file (default `<user config dir>/arbees/operators.toml`, or
ARBEES_OPERATORS_FILE) with one table, `[operators]`, mapping NAME to the base64 raw public key.
The engine refuses a file (or its directory) that a user other than itself (or root) owns or
that group/others can write: whoever can write it could authorise their own key.
Names are 1-64 characters of letters, digits, "_", "-" and "." (no leading dot).
"""

from __future__ import annotations

import getpass
import os
import re
import stat
import tempfile
import tomllib
from pathlib import Path

import platformdirs
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .signing import OperatorKey, parse_public_key

NAME_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")


class OperatorError(ValueError):
    """A key or operators file that cannot be used (missing, unsafe permissions, malformed)."""


def keys_dir() -> Path:
    """Directory of this user's private operator keys."""
    env = os.environ.get("ARBEES_OPERATOR_KEYS_DIR")
    return Path(env) if env else Path(platformdirs.user_config_dir("arbees")) / "operators"


def operators_file() -> Path:
    """The authorized-operators file the engine reads."""
    env = os.environ.get("ARBEES_OPERATORS_FILE")
    return Path(env) if env else Path(platformdirs.user_config_dir("arbees")) / "operators.toml"


def check_name(name: str) -> str:
    """`name` if it is a valid operator name; raises OperatorError otherwise."""
    if not NAME_RE.match(name or ""):
        raise OperatorError(f"operator name {name!r} must be 1-64 of A-Z a-z 0-9 _ - . (no leading dot)")
    return name


# --- private keys ----------------------------------------------------------------------------


def create_key(name: str, directory: Path | None = None) -> OperatorKey:
    """Generate and write `<dir>/<name>.key` (0600, dir 0700). Raises OperatorError if it exists."""
    directory = directory or keys_dir()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    path = directory / f"{check_name(name)}.key"
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:  # O_EXCL: never overwrite a key, even one created at the same moment
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise OperatorError(f"{path} already exists; refusing to overwrite an operator key") from exc
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return OperatorKey(name, private)


def load_key(name: str, directory: Path | None = None) -> OperatorKey:
    """Read `<dir>/<name>.key`. Raises OperatorError if missing, readable by others, or not Ed25519."""
    path = (directory or keys_dir()) / f"{check_name(name)}.key"
    try:
        info = path.stat()
        data = path.read_bytes()
    except OSError as exc:
        raise OperatorError(f"no operator key {path}: {exc.strerror}") from exc
    if info.st_mode & 0o077:
        raise OperatorError(f"{path} is readable by others (mode {stat.S_IMODE(info.st_mode):04o}); chmod 600 it")
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise OperatorError(f"{path} is not an unencrypted PEM key: {exc}") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise OperatorError(f"{path} is not an Ed25519 key")
    return OperatorKey(name, private)


def key_names(directory: Path | None = None) -> list[str]:
    """Names of the private keys in the directory, sorted ([] if it does not exist)."""
    directory = directory or keys_dir()
    if not directory.is_dir():
        return []
    return sorted(p.stem for p in directory.glob("*.key") if NAME_RE.match(p.stem))


def default_key_name(requested: str | None, directory: Path | None = None) -> str | None:
    """The key a sender uses: `requested` if given; else the only key; else the login user's key
    if it exists; else None (no key: the sender cannot command the engine)."""
    if requested:
        return requested
    names = key_names(directory)
    if len(names) == 1:
        return names[0]
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return None
    return user if user in names else None


def delete_key(name: str, directory: Path | None = None) -> bool:
    """Remove `<dir>/<name>.key`; False if there was none."""
    path = (directory or keys_dir()) / f"{check_name(name)}.key"
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


# --- authorized operators --------------------------------------------------------------------


def _check_not_writable_by_others(path: Path) -> None:
    info = path.stat()
    if info.st_uid not in (os.geteuid(), 0):
        raise OperatorError(f"{path} is owned by uid {info.st_uid}, not by this user ({os.geteuid()}) or root")
    if info.st_mode & 0o022:
        raise OperatorError(f"{path} is writable by group or others (mode {stat.S_IMODE(info.st_mode):04o})")


def load_authorized(path: Path | None = None) -> dict[str, Ed25519PublicKey]:
    """name → public key from the authorized-operators file ({} if it does not exist).

    Raises OperatorError when the file or its directory can be written by another user, or
    when the file is not valid TOML of names to base64 Ed25519 public keys."""
    path = path or operators_file()
    if not path.exists():
        return {}
    _check_not_writable_by_others(path.parent)
    _check_not_writable_by_others(path)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("operators", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise OperatorError(f"{path}: {exc}") from exc
    if not isinstance(table, dict):
        raise OperatorError(f'{path}: [operators] must be a table of name = "base64 public key"')
    keys = {}
    for name, text in table.items():
        try:
            keys[check_name(name)] = parse_public_key(str(text))
        except ValueError as exc:
            raise OperatorError(f"{path}: operator {name!r}: {exc}") from exc
    return keys


def _read_table(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    table = tomllib.loads(path.read_text(encoding="utf-8")).get("operators", {})
    return {str(k): str(v) for k, v in table.items()}


def _write_table(path: Path, table: dict[str, str]) -> None:
    """Atomically replace the file (0600; a new directory is 0700)."""
    if not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True)
    lines = [
        "# Arbees authorized operators: name = base64 Ed25519 public key (arbees-engine operator add)",
        "[operators]",
    ] + [f'{check_name(n)} = "{table[n]}"' for n in sorted(table)]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".operators-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def authorize(name: str, public_text: str, path: Path | None = None) -> None:
    """Register `name` → base64 public key. Raises OperatorError if the name is already there."""
    path = path or operators_file()
    parse_public_key(public_text)
    table = _read_table(path)
    if check_name(name) in table:
        raise OperatorError(f"operator {name!r} is already authorized in {path}; remove it first")
    table[name] = public_text
    _write_table(path, table)


def deauthorize(name: str, path: Path | None = None) -> bool:
    """Remove `name` from the file; False if it was not there."""
    path = path or operators_file()
    table = _read_table(path)
    if table.pop(check_name(name), None) is None:
        return False
    _write_table(path, table)
    return True


def authorized_names(path: Path | None = None) -> dict[str, str]:
    """name → base64 public key as written in the file (no permission check; for listing)."""
    return _read_table(path or operators_file())


__all__ = [
    "Ed25519PublicKey",
    "OperatorError",
    "OperatorKey",
    "authorize",
    "authorized_names",
    "check_name",
    "create_key",
    "deauthorize",
    "default_key_name",
    "delete_key",
    "key_names",
    "keys_dir",
    "load_authorized",
    "load_key",
    "operators_file",
]
