"""Logging: structlog to stderr; level from ARBEES_LOG_LEVEL (default WARNING).

ARBEES_LOG_FORMAT picks the line format: "console" (default: timestamp, level, event, key=value),
"json" (one JSON object per line; ARBEES_LOG_JSON=1 means the same), or "journal" for systemd's
journal: no timestamp (journald stamps each line) and a "<N>" syslog-priority prefix, which
journald reads as the entry's priority (sd-daemon(3), SyslogLevelPrefix=); with ARBEES_LOG_JSON=1
the rest of a journal line is JSON.

Every line, structlog's and the stdlib loggers' (websockets, httpx, httpcore...), is redacted at
any level: no Kalshi signature or key id, Authorization header, password or private key reaches
the log (arbees_engine.redact).
"""

from __future__ import annotations

import logging
import os
import sys

import structlog

from .redact import RedactingFilter, install_stdlib_redaction, redact_event

# sd-daemon(3) / syslog(3) priorities
_PRIORITY = {"critical": 2, "exception": 3, "error": 3, "warning": 4, "warn": 4, "info": 6, "debug": 7}


def _journal_prefix(renderer):
    """Wrap `renderer` so each line starts with the event's "<priority>"."""

    def render(logger, method_name, event_dict):
        priority = _PRIORITY.get(str(event_dict.get("level", method_name)).lower(), 6)
        return f"<{priority}>" + renderer(logger, method_name, event_dict)

    return render


def _processors(fmt: str, as_json: bool) -> list:
    """structlog processors for `fmt`; every chain redacts (redact_event) just before rendering."""
    if fmt == "journal":
        body = (
            structlog.processors.JSONRenderer()
            if as_json
            else structlog.processors.KeyValueRenderer(key_order=["level", "event"], drop_missing=True)
        )
        return [
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            redact_event,
            _journal_prefix(body),
        ]
    renderer = (
        structlog.processors.JSONRenderer()
        if as_json or fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    return [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redact_event,
        renderer,
    ]


def configure_logging(level: str | None = None) -> None:
    """Configure structlog and stdlib logging once; safe to call again. Unknown levels mean WARNING,
    unknown formats "console"."""
    name = (level or os.environ.get("ARBEES_LOG_LEVEL", "WARNING")).upper()
    numeric = getattr(logging, name, logging.WARNING)
    fmt = os.environ.get("ARBEES_LOG_FORMAT", "console").lower()
    install_stdlib_redaction()
    logging.basicConfig(level=numeric, stream=sys.stderr, format="%(message)s")
    logging.getLogger().setLevel(numeric)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    structlog.configure(
        processors=_processors(fmt, bool(os.environ.get("ARBEES_LOG_JSON"))),
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
