"""Files that hold secrets (Kalshi PEM keys, server passwords): written 0600, read only when safe.

A secret file is safe to read when it is a regular file owned by the current user, with mode
0600 or stricter (0400; no group/other bits, no execute bit), and no other user can replace it: every directory from
the filesystem root down to it is owned by the current user or root and is not group- or
other-writable, unless it has the sticky bit (like /tmp, where others cannot rename or delete
our entries; see chmod(1) "restricted deletion flag"). Both the path as given and the path its
symlinks resolve to are checked, so a symlink in an unsafe directory is refused too.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit


class UnsafeSecretFile(ValueError):
    """A secret file is missing, unreadable, or could be read or replaced by another user.

    The message names the path, the offending mode or owner and the fix, never the content."""


def new_password() -> str:
    """A fresh random password: 43 URL-safe characters (256 bits from `secrets.token_urlsafe`),
    safe inside a URL's userinfo without quoting."""
    return secrets.token_urlsafe(32)


def _check_directories(path: Path, what: str) -> None:
    uid = os.geteuid()
    for directory in path.parents:
        st = directory.stat()
        if st.st_uid not in (uid, 0):
            raise UnsafeSecretFile(
                f"{what} {path}: directory {directory} is owned by uid {st.st_uid}, "
                f"not by you (uid {uid}) or root; move the file to a directory of your own"
            )
        writable_by_others = st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        if writable_by_others and not st.st_mode & stat.S_ISVTX:
            raise UnsafeSecretFile(
                f"{what} {path}: directory {directory} has mode {stat.S_IMODE(st.st_mode):04o}; "
                f"another user could replace the file (run: chmod go-w {directory})"
            )


def check_secret_file(path: str | os.PathLike[str], what: str = "secret file") -> Path:
    """Return `path` (absolute) if it is safe to read as a secret (module docstring), else raise
    UnsafeSecretFile. `what` names the file in messages ("Kalshi key file")."""
    given = Path(os.path.abspath(path))
    try:
        st = given.stat()
        resolved = given.resolve(strict=True)
    except OSError as exc:
        raise UnsafeSecretFile(f"{what} {given} cannot be read: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeSecretFile(f"{what} {given} is not a regular file")
    if st.st_uid != os.geteuid():
        raise UnsafeSecretFile(
            f"{what} {given} is owned by uid {st.st_uid}, not by you (uid {os.geteuid()}); "
            f"run: chown {os.geteuid()} {given}"
        )
    if stat.S_IMODE(st.st_mode) & ~0o600:
        raise UnsafeSecretFile(
            f"{what} {given} has mode {stat.S_IMODE(st.st_mode):04o}; it must be 0600 or stricter, "
            f"never group- or world-accessible (run: chmod 600 {given})"
        )
    for candidate in {given, resolved}:
        _check_directories(candidate, what)
    return given


def read_secret_file(path: str | os.PathLike[str], what: str = "secret file") -> str:
    """The stripped text of a safe secret file (see `check_secret_file`). Raises UnsafeSecretFile."""
    checked = check_secret_file(path, what)
    text = checked.read_text(encoding="utf-8").strip()
    if not text:
        raise UnsafeSecretFile(f"{what} {checked} is empty")
    return text


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) if needed and make it 0700: a directory only its owner enters."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


def write_secret_file(path: Path, text: str) -> Path:
    """Write `text` to `path` as a 0600 file in a 0700 directory, atomically (temp file + rename),
    never following a symlink planted at the temp name. Returns `path`."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return path


def secret(path: Path, what: str) -> str:
    """The secret kept in `path`, generating and storing a new password (`new_password`) the first
    time. Raises UnsafeSecretFile if an existing file is not safe."""
    if not path.exists():
        write_secret_file(path, new_password())
    return read_secret_file(path, what)


def with_password(url: str, password: str) -> str:
    """`url` with its userinfo password set to `password` (quoted); the user name is kept
    ("rediss://engine@h:6380/0" → "rediss://engine:<password>@h:6380/0")."""
    parts = urlsplit(url)
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"))


def url_with_password_file(url: str, path: str | os.PathLike[str] | None, what: str) -> str:
    """`url` with the password read from secret file `path` (unchanged when `path` is None).
    Raises UnsafeSecretFile for an unsafe or unreadable file."""
    return url if path is None else with_password(url, read_secret_file(path, what))
