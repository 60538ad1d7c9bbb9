"""Game screen (`enter` on a game): its markets on both venues, a chart of model probability and
market mid over time, and its signals and fills. Refreshed from the app's tick."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual_plotext import PlotextPlot

from arbees_engine.bus.messages import GameView

from .. import format as fmt
from ..literal import literal
from ..panels.table_sync import SyncTable
from ..state import DeskState


def _prior(game: GameView) -> str:
    """ "71.0% market", or "league" when the model runs on the league's home rate."""
    if game.pregame_home_prob is None:
        return "league"
    return f"{fmt.prob(game.pregame_home_prob)} {game.prior_source}".rstrip()


class MarketsTable(SyncTable):
    """The game's markets on every venue; row key = market_id. Age: time since the market's last
    update ("3s", "2m"; "?" unknown, `DeskState.market_age_s`)."""

    COLUMNS = (
        ("venue", "Venue", 6),
        ("yes", "YES", 6),
        ("bid", "Bid¢", 4),
        ("ask", "Ask¢", 4),
        ("state", "State", 5),
        ("age", "Age", 3),
        ("size", "Size b/a", 9),
        ("market", "Market", 16),
    )
    DROP = ("market", "size", "age")  # venue, team, bid, ask and state never drop
    GROW = {"market": 2, "yes": 1, "venue": 1}  # noqa: RUF012


class GameSignalsTable(SyncTable):
    """The game's signals, newest first; row key = signal_id. Model: the sport model's own P for
    the side bought; Used: after shrinking toward the mid (what the edge was computed on)."""

    COLUMNS = (
        ("at", "At", 8),
        ("edge", "Edge", 6),
        ("decision", "Decision", 8),
        ("reason", "Reason", 8),
        ("model", "Model", 6),
        ("used", "Used", 6),
        ("mid", "Mid", 6),
        ("kind", "Kind", 5),
    )
    DROP = ("kind", "mid", "used", "model")
    GROW = {"reason": 1}  # noqa: RUF012


class FillsTable(SyncTable):
    """Fills on the game's markets, newest first; row key = fill_id."""

    COLUMNS = (
        ("at", "At", 8),
        ("market", "Market", 16),
        ("side", "Side", 4),
        ("qty", "Qty", 4),
        ("px", "Px¢", 5),
        ("fee", "Fee", 6),
    )
    DROP = ("market",)
    GROW = {"market": 1}  # noqa: RUF012


class GameScreen(Screen):
    """Detail of one game. esc goes back."""

    BINDINGS = [Binding("escape", "back", "Back", id="game.back")]

    def __init__(self, game_id: str) -> None:
        super().__init__()
        self.game_id = game_id
        self._chart_points = -1

    def compose(self) -> ComposeResult:
        """Title, markets table and chart on top, signals and fills tables below, footer."""
        yield Static(id="game-title")
        with Horizontal(id="game-top"):
            yield MarketsTable(id="game-markets")
            yield PlotextPlot(id="game-chart")
        with Horizontal(id="game-bottom"):
            yield GameSignalsTable(id="game-signals")
            yield FillsTable(id="game-fills")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        """Set the panel border titles and paint from the app's state."""
        self.query_one("#game-markets").border_title = "Markets"
        self.query_one("#game-chart").border_title = "Model vs market (home win)"
        self.query_one("#game-signals").border_title = "Signals"
        self.query_one("#game-fills").border_title = "Fills"
        self.paint(self.app.state, self.app.clock())

    def paint(self, state: DeskState, now: datetime) -> None:
        """Refresh every part from state (tables in place; chart only when history grew). The title's
        engine text (teams, league, prior source) is shown literally."""
        game = state.games.get(self.game_id)
        if game is None:
            self.query_one("#game-title", Static).update(literal(f"game {self.game_id} is no longer listed"))
            return
        self.query_one("#game-title", Static).update(
            literal(
                (f"{game.away} @ {game.home}", "b"),
                f"  {game.away_score}-{game.home_score}  "
                f"{fmt.clock_of(game)}  {game.league}  "
                f"model {fmt.prob(game.model_p_home)}  prior {_prior(game)}  "
                f"edge {fmt.edge_cents(state.game_edge(self.game_id))}",
            )
        )
        self._paint_markets(state, now)
        self._paint_signals(state)
        self._paint_fills(state)
        self._paint_chart(state)

    def _paint_markets(self, state: DeskState, now: datetime) -> None:
        """The game's markets, one row each (venue, team, bid, ask, state, age, sizes)."""
        markets = self.query_one(MarketsTable)
        for market_id in sorted(state.quotes_by_game.get(self.game_id, ())):
            q = state.quotes[market_id]
            size = f"{q.yes_bid_size or 0:.0f}/{q.yes_ask_size or 0:.0f}"
            markets.put_row(
                market_id,
                (
                    q.venue,
                    q.yes_team or q.outcome,
                    fmt.cents(q.yes_bid),
                    fmt.cents(q.yes_ask),
                    "stale" if q.stale else "ok",
                    fmt.age_s(state.market_age_s(q, now)),
                    size,
                    market_id,
                ),
            )
        for key in markets.row_keys():
            if key not in state.quotes:
                markets.drop_row(key)

    def _paint_signals(self, state: DeskState) -> None:
        """The game's signals, newest first."""
        signals, added = self.query_one(GameSignalsTable), False
        for sig in (s for s in state.signals.values() if s.game_id == self.game_id):
            added |= signals.put_row(
                sig.signal_id,
                (
                    sig.created_at.strftime("%H:%M:%S"),
                    fmt.edge_cents(sig.edge),
                    sig.decision,
                    sig.reason,
                    fmt.prob(sig.raw_model_prob),
                    fmt.prob(sig.model_prob),
                    fmt.prob(sig.market_prob),
                    sig.signal_kind,
                ),
            )
        if added:
            signals.sort("at", reverse=True)

    def _paint_fills(self, state: DeskState) -> None:
        """Fills on the game's markets, newest first."""
        game_markets = state.quotes_by_game.get(self.game_id, set())
        fills, added = self.query_one(FillsTable), False
        for fill in (f for f in state.fills.values() if f.market_id in game_markets):
            added |= fills.put_row(
                fill.fill_id,
                (
                    fill.filled_at.strftime("%H:%M:%S"),
                    fill.market_id,
                    fill.side.upper(),
                    fmt.contracts(fill.contracts),
                    fmt.cents(fill.price),
                    fmt.dollars(fill.fee),
                ),
            )
        if added:
            fills.sort("at", reverse=True)

    def _paint_chart(self, state: DeskState) -> None:
        points = list(state.history.get(self.game_id, ()))
        if len(points) == self._chart_points:
            return
        self._chart_points = len(points)
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        if points:
            t0 = points[0][0]
            xs = [(t - t0).total_seconds() / 60 for t, _m, _q in points]
            model = [(x, m * 100) for x, (_t, m, _q) in zip(xs, points) if m is not None]
            mids = [(x, q * 100) for x, (_t, _m, q) in zip(xs, points) if q is not None]
            if model:
                plt.plot([x for x, _ in model], [y for _, y in model], label="model ⣿", marker="braille")
            if mids:
                # a different glyph, not only a different colour: tellable apart on any terminal
                plt.plot([x for x, _ in mids], [y for _, y in mids], label="mid ×", marker="x")
        plt.ylim(0, 100)
        plt.xlabel("minutes")
        plot.refresh()

    def action_back(self) -> None:
        """esc: go back to the previous screen."""
        self.app.pop_screen()
