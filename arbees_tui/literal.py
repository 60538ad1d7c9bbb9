"""Desk text shown literally: the one way the desk builds styled text around engine text.

Engine and bus text (team names, leagues, kill reasons, audit details, command results, link
errors) must never be read as Textual markup: escaped markup still doubles a trailing backslash
("C:\\" shows as "C:\\\\") and a backslash before a tag, and unescaped text may style itself or
raise MarkupError. `literal` builds a `Content` from plain strings and (text, style) pairs
instead, so nothing is parsed; the desk keeps its look through the styles, which are the same
style strings markup tags would carry (theme variables allowed, e.g. "b reverse $error").

Toasts carry engine text too: `ArbeesApp.toast` sends them with markup off.
"""

from __future__ import annotations

from typing import Union

from textual.content import Content

Part = Union[str, tuple[str, str], Content]
"""A plain string (shown as is), a (text, style) pair, or Content already built by `literal`."""


def literal(*parts: Part) -> Content:
    """Content of `parts` in order, none of it parsed as markup: a string shows exactly as given,
    a (text, style) pair shows its text in that style ("" = unstyled)."""
    return Content.assemble(*parts)


def same_look(a: Content | None, b: Content | None) -> bool:
    """True if `a` and `b` show the same text in the same styles (Content's `==` compares text only,
    so a colour change alone would go unpainted)."""
    if a is None or b is None:
        return a is b
    return a.plain == b.plain and a.spans == b.spans
