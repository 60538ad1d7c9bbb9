"""Keep secrets out of logs and printed URLs: Kalshi signatures and key ids, Authorization and
cookie headers, passwords in URLs and `password=` pairs, PEM private keys.

`redact_text` rewrites a string; `mask_url` is the same for a DSN or Redis URL
("postgresql://arbees_engine:***@/arbees?host=..."); `redact_event` is a structlog processor;
`install_stdlib_redaction` makes every stdlib `logging` record (websockets, httpx, httpcore,
asyncio...) pass through `redact_text` when it is created, whatever handler later writes it
(logging.setLogRecordFactory, https://docs.python.org/3/library/logging.html#logrecord-objects).
websockets logs each handshake header at DEBUG as "> NAME: value" (websockets/client.py), which is
how a Kalshi signature reached the log before.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Mapping

REDACTED = "***"
#: Names whose values are secrets, as a header, a key=value pair or a log field.
_SECRET_NAME = (
    r"[\w-]*(?:signature|secret|passphrase|password|passwd|pwd|token|api[-_]?key|access[-_]key"
    r"|authorization|cookie|private[-_]key)[\w-]*"
)
_SECRET_NAME_RE = re.compile(_SECRET_NAME, re.IGNORECASE)
_PAIR_RE = re.compile(
    rf"(?i)(\b{_SECRET_NAME}['\"]?\s*[:=]\s*(?:b(?=['\"]))?['\"]?)((?:bearer|basic|token)\s+)?[^'\"\s,;&}}\])]+"
)
_URL_PASSWORD_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@'\"]*:)[^@\s/'\"]+@")
_PEM_RE = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.DOTALL)
_PLAIN = (int, float, bool, type(None))


def redact_text(text: str) -> str:
    """`text` with every secret value replaced by "***" (module docstring lists what counts)."""
    text = _PEM_RE.sub("-----PRIVATE KEY " + REDACTED + "-----", text)
    text = _URL_PASSWORD_RE.sub(rf"\1{REDACTED}@", text)
    return _PAIR_RE.sub(lambda m: m.group(1) + (m.group(2) or "") + REDACTED, text)


def mask_url(url: str | None) -> str | None:
    """A DSN / Redis URL fit to print: its password (userinfo or `password=`) replaced by "***"."""
    return None if url is None else redact_text(url)


def _redact_value(key: object, value: object) -> object:
    if isinstance(key, str) and key not in ("event", "timestamp", "level") and _SECRET_NAME_RE.fullmatch(key):
        return REDACTED
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: _redact_value(k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_redact_value(None, v) for v in value]
    shown = repr(value)
    cleaned = redact_text(shown)
    return value if cleaned == shown else cleaned


def redact_event(_logger: object, _method: str, event_dict: dict) -> dict:
    """structlog processor: secret-named fields become "***", secrets inside values are redacted."""
    return {key: _redact_value(key, value) for key, value in event_dict.items()}


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact a stdlib record in place: its formatted message and its traceback text."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string: leave it to the handler to report
        return record
    cleaned = redact_text(message)
    if cleaned != message:
        record.msg, record.args = cleaned, None
    if record.exc_info and not record.exc_text:
        record.exc_text = redact_text("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
    return record


class RedactingFilter(logging.Filter):
    """A logging.Filter for handlers that redacts each record (`redact_record`) and keeps it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact `record`; always True (nothing is dropped)."""
        redact_record(record)
        return True


def install_stdlib_redaction() -> None:
    """Make every stdlib LogRecord redacted at creation (idempotent)."""
    current = logging.getLogRecordFactory()
    if getattr(current, "arbees_redacting", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        return redact_record(current(*args, **kwargs))

    factory.arbees_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
