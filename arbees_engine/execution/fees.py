"""Moved to `arbees_engine.model.fees` (fees are domain formulas, not execution); re-exported for one release."""

from arbees_engine.model.fees import (  # noqa: F401  (re-export)
    ESTIMATE_QUANTUM,
    POLYMARKET_FEE_QUANTUM,
    FeeError,
    fee_per_contract_estimate,
    maker_fee,
    taker_fee,
)
