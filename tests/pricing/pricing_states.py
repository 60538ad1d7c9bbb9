"""State builders shared by the pricing tests."""

from __future__ import annotations

from pathlib import Path

from arbees_engine.model import GameState, GameStatus, League, Sport, Team

WP_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "wp"

LEAGUE = {
    Sport.BASKETBALL: League.NBA,
    Sport.FOOTBALL: League.NFL,
    Sport.HOCKEY: League.NHL,
    Sport.SOCCER: League.EPL,
    Sport.BASEBALL: League.MLB,
}
REGULATION = {
    Sport.BASKETBALL: 2880.0,
    Sport.FOOTBALL: 3600.0,
    Sport.HOCKEY: 3600.0,
    Sport.SOCCER: 5400.0,
    Sport.BASEBALL: 0.0,
}
PERIODS = {Sport.BASKETBALL: 4, Sport.FOOTBALL: 4, Sport.HOCKEY: 3, Sport.SOCCER: 2}


def live_state(sport: Sport, lead: int = 0, seconds_left: float | None = None, **changes: object) -> GameState:
    """A LIVE state with home lead `lead` (scores ≥ 0) and `seconds_left` of regulation (default: half)."""
    total = REGULATION[sport]
    left = total / 2 if seconds_left is None else seconds_left
    per = total / PERIODS.get(sport, 1) if total else 1.0
    period = min(PERIODS.get(sport, 9), int((total - left) // per) + 1) if total else 5
    clock = left - per * (PERIODS.get(sport, 1) - period) if total else 0.0
    base = 30 if sport is Sport.BASKETBALL else 3
    state = GameState(
        game_id="test:1",
        sport=sport,
        league=LEAGUE[sport],
        home=Team("HOM", "Home"),
        away=Team("AWY", "Away"),
        status=GameStatus.LIVE,
        home_score=base + max(lead, 0),
        away_score=base + max(-lead, 0),
        period=period,
        clock_s=max(0.0, clock),
        seconds_remaining_regulation=left,
        regulation_seconds=total or 2880.0,
    )
    return state.evolve(**changes) if changes else state


def swapped(state: GameState) -> GameState:
    """The same game seen with home and away exchanged."""
    flip = {"home": "away", "away": "home", None: None}
    return state.evolve(
        home=state.away,
        away=state.home,
        home_score=state.away_score,
        away_score=state.home_score,
        possession=flip[state.possession],
        home_timeouts=state.away_timeouts,
        away_timeouts=state.home_timeouts,
        pregame_home_prob=None if state.pregame_home_prob is None else 1.0 - state.pregame_home_prob,
    )
