"""Market matching: tie venue listings to games and outcomes; check cross-venue equivalence.

    matcher = Matcher(); matcher.add_game(state)
    result = matcher.match(listing)          # Match | Refusal
    market = matcher.to_market(listing, result)
    equivalent(market_a, listing_a, market_b, listing_b)  # Equivalence(ok, reason)

The throughput benchmark is `python -m arbees_engine.ops.bench_matching` (not imported here, so that
running it as a module does not load it twice).
"""

from .aliases import AliasBook, AliasDataError, LeagueAliases, default_aliases, normalize
from .equivalence import Equivalence, Terms, equivalent, parse_terms
from .matcher import REASON_CODES, Match, Matcher, MatchResult, Refusal

__all__ = [
    "REASON_CODES",
    "AliasBook",
    "AliasDataError",
    "Equivalence",
    "LeagueAliases",
    "Match",
    "MatchResult",
    "Matcher",
    "Refusal",
    "Terms",
    "default_aliases",
    "equivalent",
    "normalize",
    "parse_terms",
]
