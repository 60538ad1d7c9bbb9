"""Logging: structlog to stderr, key=value lines (JSON with ARBEES_LOG_JSON=1), level from ARBEES_LOG_LEVEL."""

from __future__ import annotations

import logging
import os
import sys

import structlog


def configure_logging(level: str | None = None) -> None:
    """Configure structlog and stdlib logging once; safe to call again."""
    name = (level or os.environ.get("ARBEES_LOG_LEVEL", "WARNING")).upper()
    numeric = getattr(logging, name, logging.WARNING)
    logging.basicConfig(level=numeric, stream=sys.stderr, format="%(message)s")
    renderer = structlog.processors.JSONRenderer() if os.environ.get("ARBEES_LOG_JSON") else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[structlog.processors.add_log_level, structlog.processors.TimeStamper(fmt="iso", utc=True), renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
