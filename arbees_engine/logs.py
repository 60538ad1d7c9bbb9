"""Logging: structlog to stderr, key=value lines (JSON with ARBEES_LOG_JSON=1), level from ARBEES_LOG_LEVEL.

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


def configure_logging(level: str | None = None) -> None:
    """Configure structlog and stdlib logging once; safe to call again."""
    name = (level or os.environ.get("ARBEES_LOG_LEVEL", "WARNING")).upper()
    numeric = getattr(logging, name, logging.WARNING)
    install_stdlib_redaction()
    logging.basicConfig(level=numeric, stream=sys.stderr, format="%(message)s")
    logging.getLogger().setLevel(numeric)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    renderer = (structlog.processors.JSONRenderer() if os.environ.get("ARBEES_LOG_JSON")
                else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback))
    structlog.configure(
        processors=[structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso", utc=True),
                    structlog.processors.format_exc_info, redact_event, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
