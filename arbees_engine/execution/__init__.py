"""Execution: venue fees, client order ids and the paper broker."""

from .broker import Broker, PaperVenueBroker
from .fees import FeeError, fee_per_contract_estimate, maker_fee, taker_fee
from .ids import IdFactory, client_order_ids, signal_ids
from .paper import PaperBroker

__all__ = [
    "Broker",
    "PaperVenueBroker",
    "FeeError",
    "IdFactory",
    "PaperBroker",
    "client_order_ids",
    "fee_per_contract_estimate",
    "maker_fee",
    "signal_ids",
    "taker_fee",
]
