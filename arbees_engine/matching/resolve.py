"""Layers 2–3 of matching: turn a listing's team references into alias keys of one league.

`resolve_pair` resolves every pair source (ticker/slug codes, event teams, title), takes the
first that resolves as primary, checks the others agree with it and narrows city-only
candidates; a ticker blob that splits into several code pairs is read by the split the other
sources agree with. `resolve_yes` maps the YES evidence (ticker suffix / outcome[0] / question) onto
the chosen game's home or away team, refusing when the venue's own fields disagree.
"""

from __future__ import annotations

from ..model import Outcome
from .aliases import CODE, FUZZY, LeagueAliases, Resolution
from .evidence import Evidence, PairSource, Refuse
from .wording import split_team_codes

Side = frozenset[str]


def _source_options(src: PairSource, la: LeagueAliases) -> list[tuple[Resolution, Resolution]]:
    """Every reading of one source as a pair: none, one, or several when a ticker blob splits into
    more than one pair of codes ("UTAHOU": Utah/Oklahoma or UT Arlington/Houston)."""
    if src.blob:
        options = {
            (frozenset(la.codes[a]), frozenset(la.codes[b])): (a, b) for a, b in split_team_codes(src.blob, la.codes)
        }
        return [
            (Resolution(keys_a, CODE, a), Resolution(keys_b, CODE, b)) for (keys_a, keys_b), (a, b) in options.items()
        ]
    assert src.refs is not None
    look = la.resolve_code if src.kind == "code" else la.resolve_name
    ra, rb = look(src.refs[0]), look(src.refs[1])
    return [(ra, rb)] if ra is not None and rb is not None else []


def _read_sources(ev: Evidence, la: LeagueAliases) -> tuple[list[tuple[str, Resolution, Resolution]], list[str]]:
    """(resolved sources in listing order, texts of unresolved ones). A blob with several splits
    keeps the one split the listing's other resolved sources agree with. Raises Refuse
    ("ambiguous_team") when none or several agree."""
    resolved: list[tuple[int, str, Resolution, Resolution]] = []
    unresolved: list[str] = []
    several: list[tuple[int, PairSource, list[tuple[Resolution, Resolution]]]] = []
    for i, src in enumerate(ev.pairs):
        options = _source_options(src, la)
        if not options:
            unresolved.append(src.blob or " / ".join(src.refs or ()))
        elif len(options) == 1:
            resolved.append((i, src.method, *options[0]))
        else:
            several.append((i, src, options))
    for i, src, options in several:
        fits = [o for o in options if resolved and all(_align(r[2].keys, r[3].keys, *o) for r in resolved)]
        if len(fits) != 1:
            splits = sorted((ra.text, rb.text) for ra, rb in options)
            raise Refuse("ambiguous_team", f"{src.blob} splits into several {la.league} code pairs: {splits}")
        resolved.append((i, src.method, *fits[0]))
    return [(method, ra, rb) for _, method, ra, rb in sorted(resolved, key=lambda r: r[0])], unresolved


def _align(a: Side, b: Side, ra: Resolution, rb: Resolution) -> tuple[Resolution, Resolution] | None:
    """Return (ref for side a, ref for side b) if the pair fits the sides in either order."""
    if ra.keys & a and rb.keys & b:
        return ra, rb
    if ra.keys & b and rb.keys & a:
        return rb, ra
    return None


def resolve_pair(ev: Evidence, la: LeagueAliases) -> tuple[Side, Side, str, bool]:
    """Return (side_a keys, side_b keys, method, used_fuzzy). Raises Refuse.

    Unresolvable secondary sources are skipped; a resolvable source that names other teams
    refuses with team_sources_disagree; a side known only by a shared mascot refuses.
    """
    resolved, unresolved = _read_sources(ev, la)
    if not resolved:
        raise Refuse("unknown_team", f"no {la.league} teams found in {unresolved or 'the listing'}")
    method, first_a, first_b = resolved[0]
    side_a, side_b = first_a.keys, first_b.keys
    refs_a, refs_b, methods = [first_a], [first_b], [method]
    for src_method, ra, rb in resolved[1:]:
        aligned = _align(side_a, side_b, ra, rb)
        if aligned is None:
            raise Refuse(
                "team_sources_disagree",
                f"{method} names {sorted(side_a)}/{sorted(side_b)}, {src_method} names {ra.text}/{rb.text}",
            )
        side_a = (side_a & aligned[0].keys) or side_a
        side_b = (side_b & aligned[1].keys) or side_b
        refs_a.append(aligned[0])
        refs_b.append(aligned[1])
        methods.append(src_method)
    if side_a == side_b and len(side_a) == 1:
        raise Refuse("unknown_team", f"both sides resolve to {next(iter(side_a))}")
    for refs in (refs_a, refs_b):
        if all(r.shared_mascot for r in refs):
            raise Refuse(
                "shared_mascot_only", f"{refs[0].text!r} is a mascot shared across leagues; need a city, name or code"
            )
    used_fuzzy = any(r.kind == FUZZY for r in refs_a + refs_b)
    return side_a, side_b, "+".join(methods), used_fuzzy


def resolve_yes(ev: Evidence, la: LeagueAliases, home: str, away: str) -> tuple[Outcome, str | None]:
    """Map YES onto (Outcome, team key) for the game (home, away). Raises Refuse."""
    if ev.yes_draw:
        if ev.yes_label or ev.yes_code:  # e.g. ticker "-TIE" but yes_sub_title "Arsenal"
            raise Refuse("yes_label_mismatch", f"YES is a draw but also names {ev.yes_label or ev.yes_code!r}")
        return Outcome.DRAW, None
    game = {home, away}
    from_code = from_label = None
    if ev.yes_code:
        res = la.resolve_code(ev.yes_code)
        if res is not None:
            from_code = res.keys & game
            if len(from_code) != 1:
                raise Refuse("yes_label_mismatch", f"YES code {ev.yes_code} is not one of {home}/{away}")
    if ev.yes_label:
        res = la.resolve_name(ev.yes_label)
        if res is not None:
            from_label = res.keys & game
            if not from_label:
                raise Refuse("yes_label_mismatch", f"YES label {ev.yes_label!r} is neither {home} nor {away}")
    if from_code and from_label and not from_code <= from_label:
        raise Refuse("yes_label_mismatch", f"YES code {ev.yes_code} disagrees with label {ev.yes_label!r}")
    chosen = from_code or from_label
    if not chosen:
        raise Refuse("unknown_team", f"cannot tell which team YES is ({ev.yes_code or ev.yes_label!r})")
    if len(chosen) != 1:
        raise Refuse("ambiguous_team", f"YES label {ev.yes_label!r} fits both {home} and {away}")
    key = next(iter(chosen))
    return (Outcome.HOME if key == home else Outcome.AWAY), key
