"""Baseball half-inning and outs from ESPN's scoreboard (pure function, no I/O).

ESPN gives the inning as `status.period` and the half only as text: `status.type.shortDetail`
"Top 5th" / "Bot 5th" / "Mid 5th" / "End 5th" (long form in `detail`: "Bottom 5th", "Middle 5th"),
and the outs as `competitions[0].situation.outs` (0..2). Field meanings from public ESPN scoreboard
captures (e.g. "Bot 10th" with period 10, situation.outs 2); no MLB payload is recorded in
shared/fixtures, so tests build the event from that documented shape.
"""

from __future__ import annotations

from ..wire import ParseError, to_int

_HALF_WORDS = {"top": "top", "bot": "bottom", "bottom": "bottom", "mid": "mid", "middle": "mid", "end": "end"}


def inning_state(period: int, status_type: dict, situation: dict) -> dict:
    """{"period", "inning_half", "outs"} for a live game; {} when the half cannot be read.

    "Mid N" is the break before the bottom of N (bottom, 0 outs); "End N" the break before the top
    of N + 1 (top, 0 outs); a third out shown before the status moves on counts the same way.
    Raises ParseError for outs outside 0..3.
    """
    text = str(status_type.get("shortDetail") or status_type.get("detail") or "").strip().lower()
    half = _HALF_WORDS.get(text.split(" ", 1)[0]) if text else None
    if half is None or period < 1:
        return {}
    outs = situation.get("outs") if half in ("top", "bottom") else 0
    outs = 0 if outs is None else to_int(outs, "situation.outs")
    if not 0 <= outs <= 3:
        raise ParseError("bad_situation", f"outs={outs}")
    if half == "mid" or (half == "top" and outs == 3):
        return {"period": period, "inning_half": "bottom", "outs": 0}
    if half == "end" or (half == "bottom" and outs == 3):
        return {"period": period + 1, "inning_half": "top", "outs": 0}
    return {"period": period, "inning_half": half, "outs": outs}
