"""Command palette provider (`ctrl+p` or `:`): the desk's own verbs first, then its themes, then a
screenshot that is saved where a file can be written (config.screenshot_dir). Textual's generic
system commands are not offered: the desk has its own quit, help and themes."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

VERBS = (
    ("Kill switch: engage (halt trading)", "kill"),
    ("Resume trading (lift kill switch)", "resume"),
    ("Switch mode auto ↔ manual", "toggle_mode"),
    ("Approve selected pending signal", "screen.approve"),
    ("Reject selected pending signal", "screen.reject"),
    ("Open risk view (limits, rejections)", "risk"),
    ("Open P&L by game and sport", "pnl"),
    ("Open fills blotter", "fills"),
    ("Open audit log", "audit_log"),
    ("Show help (keys)", "help"),
    ("Quit desk (trading continues)", "quit"),
)
SCREENSHOT = "Screenshot: save this screen as SVG"


class DeskCommands(Provider):
    """Yields the desk's verbs (those the desk allows: a read-only desk has no kill, resume, mode,
    approve or reject), `Theme: <name>` for each registered arbees theme, and the screenshot."""

    def _entries(self) -> list[tuple[str, object]]:
        app = self.app
        entries = []
        for label, action in VERBS:
            if app.check_action(action.rsplit(".", 1)[-1], ()) is not False:
                entries.append((label, partial(app.run_action, action)))
        for name in sorted(app.desk_theme_names):
            entries.append((f"Theme: {name}", partial(setattr, app, "theme", name)))
        entries.append((SCREENSHOT, partial(app.call_after_refresh, app.action_desk_screenshot)))  # palette gone
        return entries

    async def discover(self) -> Hits:
        """Every entry in order (the desk's verbs first), shown when the palette opens empty."""
        for label, callback in self._entries():
            yield DiscoveryHit(label, callback)

    async def search(self, query: str) -> Hits:
        """Entries fuzzy-matching `query`, best first."""
        matcher = self.matcher(query)
        for label, callback in self._entries():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), callback)
