"""In-game win-probability models, one per sport, plus the market blend.

Public API:
    model_for(sport) -> WinProbModel              (registry.py)
    p_outcome(state, outcome) -> float           P(the market's outcome happens), in (0, 1)  (registry.py)
    blend(model_p, market_mid, weight, state=None) -> float                                   (blend.py)
    blend_detail(...) -> BlendResult              same, with the weight actually used         (blend.py)
A new sport = one module with a model class, registered in `registry._MODELS`.
"""

from .base import PricingError, WinProbModel
from .blend import BlendResult, blend, blend_detail
from .registry import model_for, p_outcome

__all__ = [
    "BlendResult",
    "PricingError",
    "WinProbModel",
    "blend",
    "blend_detail",
    "model_for",
    "p_outcome",
]
