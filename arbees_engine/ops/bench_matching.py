"""Matching throughput benchmark: `python -m arbees_engine.ops.bench_matching`.

Builds `n_games` games from the alias data (round-robin pairs per league over several days)
and `n_markets` venue listings for them (Kalshi tickers and Polymarket slugs/questions, both
YES sides, plus ~10% listings that must be refused), reads their evidence as the venue parsers
do (`adapters/<venue>/evidence.py`, not timed: it is parse time), then times `Matcher.match` over all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import cycle

from ..adapters.registry import with_evidence
from ..matching.aliases import default_aliases
from ..matching.matcher import Match, Matcher
from ..model import LEAGUE_SPORT, GameState, GameStatus, League, MarketListing, Team, Venue

_POLY = {
    League.LALIGA: "lal",
    League.BUNDESLIGA: "bun",
    League.SERIEA: "sea",
    League.LIGUE1: "fl1",
    League.NCAAF: "cfb",
    League.NCAAB: "cbb",
}
_KALSHI = {League.NCAAB: "NCAAMB"}


@dataclass(frozen=True, slots=True)
class BenchResult:
    """Timing of one run: seconds for all `markets` listings, and how many matched."""

    games: int
    markets: int
    matched: int
    seconds: float

    @property
    def per_market_us(self) -> float:
        """Microseconds per listing."""
        return self.seconds / max(self.markets, 1) * 1e6


def _games(n_games: int) -> list[tuple[GameState, object, object]]:
    book = default_aliases()
    out = []
    leagues = [lg for lg in League if lg is not League.UCL]
    day0 = datetime(2026, 3, 1, 23, 0, tzinfo=UTC)
    for day in range(60):
        for lg in leagues:
            teams = list(book.league(lg).teams.values())
            shift = day % len(teams)
            rotated = teams[shift:] + teams[:shift]
            for i in range(0, len(rotated) - 1, 2):
                home, away = rotated[i], rotated[i + 1]
                state = GameState(
                    f"bench:{lg.value}:{day}:{i}",
                    LEAGUE_SPORT[lg],
                    lg,
                    Team(home.key, home.name),
                    Team(away.key, away.name),
                    GameStatus.SCHEDULED,
                    start_time=day0 + timedelta(days=day),
                )
                out.append((state, home, away))
                if len(out) >= n_games:
                    return out
    return out


def _listings(games, n_markets: int) -> list[MarketListing]:
    out: list[MarketListing] = []
    for k, (state, home, away) in enumerate(cycle(games)):
        if len(out) >= n_markets:
            break
        lg, day = state.league, state.start_time - timedelta(hours=5)
        yes = home if k % 2 == 0 else away
        if k % 10 == 9:  # a listing that must be refused (wrong date)
            day += timedelta(days=400)
        if (k // 2) % 2 == 0:
            event = f"KX{_KALSHI.get(lg, lg.value.upper())}GAME-{day:%y%b%d}".upper() + away.key + home.key
            out.append(
                with_evidence(
                    MarketListing(
                        Venue.KALSHI, f"{event}-{yes.key}", event, f"{away.name} at {home.name} Winner?", yes.name
                    )
                )
            )
        else:
            slug = f"{_POLY.get(lg, lg.value)}-{away.key.lower()}-{home.key.lower()}-{day:%Y-%m-%d}"
            out.append(
                with_evidence(
                    MarketListing(
                        Venue.POLYMARKET,
                        f"tok{k}",
                        slug,
                        f"{away.name} vs. {home.name}",
                        yes.name,
                        teams=(home.name, away.name),
                        slug=slug,
                    )
                )
            )
    return out


def bench_matching(n_games: int = 500, n_markets: int = 5000, *, quiet: bool = False) -> BenchResult:
    """Time matching `n_markets` listings against `n_games` games; prints the figure unless quiet."""
    games = _games(n_games)
    matcher = Matcher()
    for state, _, _ in games:
        matcher.add_game(state)
    listings = _listings(games, n_markets)
    start = time.perf_counter()
    matched = sum(isinstance(matcher.match(listing), Match) for listing in listings)
    result = BenchResult(len(games), len(listings), matched, time.perf_counter() - start)
    if not quiet:
        print(
            f"matched {result.matched}/{result.markets} listings against {result.games} games in "
            f"{result.seconds * 1000:.1f} ms ({result.per_market_us:.1f} µs per listing)"
        )
    return result


if __name__ == "__main__":
    bench_matching()
