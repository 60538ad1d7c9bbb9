"""Pre-trade risk: `RiskGate(limits).check(signal, RiskContext(...)) -> RiskVerdict`."""

from .checks import CHECKS
from .context import RiskContext, RiskVerdict
from .gate import RiskGate

__all__ = ["CHECKS", "RiskContext", "RiskGate", "RiskVerdict"]
