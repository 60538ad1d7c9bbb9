"""Execution: the execution engine that sends an approved signal's legs and resolves orders of unknown
outcome (engine.py), the broker interface with its paper implementation (broker.py, paper.py) and
client order ids (ids.py). Fees and depth walking live in `arbees_engine.model`."""

from arbees_engine.model.fees import FeeError, fee_per_contract_estimate, maker_fee, taker_fee

from .broker import Broker, PaperVenueBroker
from .ids import IdFactory, client_order_ids, signal_ids
from .paper import PaperBroker

__all__ = [
    "Broker",
    "FeeError",
    "IdFactory",
    "PaperBroker",
    "PaperVenueBroker",
    "client_order_ids",
    "fee_per_contract_estimate",
    "maker_fee",
    "signal_ids",
    "taker_fee",
]
