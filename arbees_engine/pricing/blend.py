"""The market blend: a model probability shrunk toward the market mid (logarithmic opinion pooling)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from arbees_engine.model import GameState, Sport

from .base import P_MAX, P_MIN, PricingError, clip_p, logit, remaining_fraction, sigmoid
from .baseball import remaining_share as baseball_remaining


@dataclass(frozen=True, slots=True)
class BlendResult:
    """Blended probability `p`, the market weight actually used, and the two inputs."""

    p: float
    weight: float
    model_p: float
    market_mid: float | None


def blend_detail(
    model_p: float, market_mid: float | None, weight: float, state: GameState | None = None
) -> BlendResult:
    """Shrink the model toward the market mid in log-odds (logarithmic opinion pooling).

    logit p = (1 − w)·logit(model_p) + w·logit(market_mid), with
    w = weight + (1 − weight)·u·½ and uncertainty u = share of regulation left (early game) raised
    by ¼ for each missing piece of state (football possession, pre-game prior), capped at 1; in
    baseball the share left is counted in outs (innings carry no clock). So w = weight
    late in a fully observed game and up to (1 + weight)/2 at tip-off. Source: Genest & Zidek (1986)
    "Combining probability distributions", Statistical Science 1(1). No market mid → model_p.
    Raises PricingError for a probability outside [0, 1] / NaN or a weight outside [0, 1].
    """
    for name, value in (("model_p", model_p), ("weight", weight)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and 0.0 <= value <= 1.0):
            raise PricingError(f"{name}={value!r} must be a finite number in [0, 1]")
    if market_mid is None:
        return BlendResult(clip_p(model_p), 0.0, model_p, None)
    if not (isinstance(market_mid, (int, float)) and math.isfinite(market_mid) and 0.0 <= market_mid <= 1.0):
        raise PricingError(f"market_mid={market_mid!r} must be a finite number in [0, 1]")
    w = weight
    if state is not None:
        u = baseball_remaining(state) if state.sport is Sport.BASEBALL else remaining_fraction(state)
        # possession only matters where the model uses it heavily (football's expected points)
        u += 0.25 * (state.sport is Sport.FOOTBALL and state.possession is None)
        u += 0.25 * (state.pregame_home_prob is None)
        w = weight + (1.0 - weight) * 0.5 * min(1.0, u)
    z = (1.0 - w) * logit(clip_p(model_p)) + w * logit(clip_p(market_mid))
    return BlendResult(min(P_MAX, max(P_MIN, sigmoid(z))), w, model_p, market_mid)


def blend(model_p: float, market_mid: float | None, weight: float, state: GameState | None = None) -> float:
    """Blended P in (0, 1); see `blend_detail` for the formula and errors."""
    return blend_detail(model_p, market_mid, weight, state).p
