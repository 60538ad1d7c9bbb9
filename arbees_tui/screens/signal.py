"""Signal screen (`enter` on a pending signal): what the operator approves — every leg with its
market and current book, the model behind it, the edge after fees, expiry on the engine's clock,
and the checks the engine runs again when it is approved. `a`/`r` act on this signal; esc backs out."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from arbees_engine.bus.messages import SignalView

from .. import format as fmt
from ..literal import literal
from ..state import DeskState

RECHECK = (
    "On approve the engine checks again before anything is sent:",
    "  1. not expired (on the engine's clock);",
    "  2. the game's current state and books still give the edge after fees (else edge_gone);",
    "  3. the risk gate passes it now (limits, cooldown, balance, kill switch);",
    "  4. Kelly sizes it again: it may be cut, never raised.",
)


def signal_lines(state: DeskState, sig: SignalView, now: datetime) -> list[Content]:
    """The detail text: header, model, legs with their markets' books, re-check list."""
    game = state.games.get(sig.game_id)
    matchup = f"{game.away} @ {game.home} ({game.league})" if game else sig.game_id
    engine_now = state.engine_clock(now)
    lines = [
        literal((f"{sig.signal_kind.upper()} signal {sig.signal_id} v{sig.version}", "b"), "  ", matchup),
        literal(f"decision {sig.decision}", f" — {sig.reason}" if sig.reason else ""),
        literal(
            "edge after fees ",
            (fmt.edge_cents(sig.edge), "b"),
            " per contract   expires in ",
            (fmt.countdown(engine_now, sig.expires_at), "b"),
            " (engine clock ",
            f"{engine_now:%H:%M:%S} UTC)",
        ),
        literal(
            f"model {fmt.prob(sig.raw_model_prob)} → used {fmt.prob(sig.model_prob)} "
            f"(shrunk {sig.market_weight:.0%} toward the mid {fmt.prob(sig.market_prob)}); "
            f"Kelly {sig.stake_fraction:.3f}"
        ),
        literal(),
        literal(("Legs", "b")),
    ]
    for leg in sig.legs:
        quote = state.quotes.get(leg.market_id)
        team = (quote.yes_team or quote.outcome) if quote else "?"
        book = fmt.bid_ask(quote.yes_bid, quote.yes_ask) if quote else fmt.DASH
        title = quote.title if quote and quote.title else leg.market_id
        lines.append(
            literal(
                f"  {leg.venue:<10} {leg.side.upper():<3} {fmt.contracts(leg.contracts):>4} "
                f"@ {fmt.cents(leg.limit_price)}¢  "
                f"YES pays on {team:<6} book {book}  ",
                (title, "$text-muted"),
            )
        )
        lines.append(literal(("    market ", "$text-muted"), (leg.market_id, "$text-muted")))
    lines += [literal(), *(literal(text) for text in RECHECK)]
    return lines


class SignalScreen(Screen):
    """Detail of one signal; repainted from the app's tick (the countdown moves)."""

    BINDINGS = [
        Binding("a", "approve", "Approve", id="signal_screen.approve"),
        Binding("r", "reject", "Reject", id="signal_screen.reject"),
        Binding("escape", "back", "Back", id="signal_screen.back"),
    ]

    def __init__(self, signal_id: str) -> None:
        super().__init__()
        self.signal_id = signal_id

    def compose(self) -> ComposeResult:
        """The detail text in a scroll box, and the footer."""
        with VerticalScroll(id="signal-box"):
            yield Static(id="signal-text")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Paint once at once (the tick repaints)."""
        self.paint(self.app.state, self.app.clock())

    def paint(self, state: DeskState, now: datetime) -> None:
        """Show the signal as it is now (gone: say so)."""
        sig = state.signals.get(self.signal_id)
        text = self.query_one("#signal-text", Static)
        if sig is None:
            text.update(literal(f"signal {self.signal_id} is no longer known to the desk"))
            return
        text.update(Content("\n").join(signal_lines(state, sig, now)))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Hide approve/reject on a read-only desk."""
        return not (action in ("approve", "reject") and getattr(self.app, "read_only", False))

    def action_approve(self) -> None:
        """a: approve this signal (as shown: id and version)."""
        self._decide(True)

    def action_reject(self) -> None:
        """r: reject this signal."""
        self._decide(False)

    def _decide(self, approve: bool) -> None:
        sig = self.app.state.signals.get(self.signal_id)
        if self.app.state.engine_health(self.app.clock()) == "offline":
            self.app.toast(
                "engine OFFLINE: its pending signals cannot be approved or rejected", severity="warning", timeout=4
            )
            return
        if sig is not None and sig.decision != "pending":
            self.app.toast(f"{self.signal_id} is already {sig.decision}", severity="warning", timeout=3)
            return
        self.app.decide_signal(sig, approve=approve)

    def action_back(self) -> None:
        """esc: back to the main screen."""
        self.app.pop_screen()
