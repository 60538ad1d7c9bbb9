"""Command palette provider (`ctrl+p` or `:`): every desk verb and theme, fuzzy-searchable."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

VERBS = (
    ("Kill switch: engage (halt trading)", "kill"),
    ("Resume trading (lift kill switch)", "resume"),
    ("Switch mode auto ↔ manual", "toggle_mode"),
    ("Approve selected pending signal", "screen.approve"),
    ("Reject selected pending signal", "screen.reject"),
    ("Open audit log", "audit_log"),
    ("Show help (keys)", "help"),
    ("Quit desk (trading continues)", "quit"),
)


class DeskCommands(Provider):
    """Yields desk actions and `Theme: <name>` for each registered arbees theme."""

    def _entries(self) -> list[tuple[str, object]]:
        app = self.app
        entries = [(label, partial(app.run_action, action)) for label, action in VERBS]
        for name in sorted(app.desk_theme_names):
            entries.append((f"Theme: {name}", partial(setattr, app, "theme", name)))
        return entries

    async def discover(self) -> Hits:
        """Every entry, shown when the palette opens empty."""
        for label, callback in self._entries():
            yield DiscoveryHit(label, callback)

    async def search(self, query: str) -> Hits:
        """Entries fuzzy-matching `query`, best first."""
        matcher = self.matcher(query)
        for label, callback in self._entries():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), callback)
