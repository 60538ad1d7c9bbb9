"""Screens: main desk, confirmation modal, game detail, audit log, help."""
