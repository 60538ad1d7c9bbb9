"""The store writer's local journal: rows the shutdown drain could not write (PostgreSQL down).

One JSON object per line, `{"kind": ..., "key": ..., "row": [...]}` (https://jsonlines.org), in queue
order. Row values keep their exact types: Decimal as {"$dec": "0.55"}, datetime as {"$ts": ISO 8601},
dicts as {"$obj": {...}} (so a row's own dict can never be mistaken for a tag); str, int, float,
bool, None and lists as themselves. The file is created 0600 (it holds operator commands and audit
detail) and replaced atomically (written beside it, then os.replace), so a crash mid-write leaves
the previous journal whole. The next engine start replays it into the store before anything else
(`StoreWriter.replay_journal`).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from .batch import WRITE_SQL, WriteJob


class JournalError(ValueError):
    """A journal line that cannot be read back (names the file and line number)."""


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, datetime):
        return {"$ts": value.isoformat()}
    if isinstance(value, dict):
        return {"$obj": {str(k): _encode(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot journal a {type(value).__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if "$dec" in value:
            return Decimal(value["$dec"])
        if "$ts" in value:
            return datetime.fromisoformat(value["$ts"])
        return {k: _decode(v) for k, v in value["$obj"].items()}
    return value


def journal_line(job: WriteJob) -> str:
    """One job as a JSON line (no newline). Raises TypeError for a job without a typed row
    (an awaitable `call` job) or a value that has no JSON form."""
    if job.call is not None or job.kind not in WRITE_SQL:
        raise TypeError(f"a {job.kind!r} job is not a row")
    return json.dumps({"kind": job.kind, "key": job.key, "row": _encode(list(job.row))}, separators=(",", ":"))


def split_journalable(jobs: list[WriteJob]) -> tuple[list[WriteJob], list[tuple[WriteJob, str]]]:
    """(jobs `journal_line` can write, [(job, why not)] for the others), each in order."""
    kept, refused = [], []
    for job in jobs:
        try:
            journal_line(job)
            kept.append(job)
        except TypeError as exc:
            refused.append((job, repr(exc)))
    return kept, refused


def write_journal(path: Path, lines: list[str], *, keep_existing: bool = False) -> None:
    """Replace `path` with `lines` (a 0600 file in a directory made if missing), after the lines it
    already holds when `keep_existing`. Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if keep_existing and path.exists():
        lines = path.read_text(encoding="utf-8").splitlines() + lines
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        os.fchmod(fh.fileno(), 0o600)  # O_CREAT's mode is ignored for a file already there
        fh.writelines(line + "\n" for line in lines)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def read_journal(path: Path) -> list[WriteJob]:
    """The jobs in `path`, in order ([] when there is no journal). Raises JournalError for a bad line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    jobs = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            kind = entry["kind"]
            if kind not in WRITE_SQL:
                raise ValueError(f"unknown kind {kind!r}")
            jobs.append(WriteJob(kind, tuple(_decode(entry["row"])), entry.get("key")))
        except (ValueError, KeyError, TypeError) as exc:
            raise JournalError(f"store journal {path} line {number}: {exc}") from None
    return jobs
