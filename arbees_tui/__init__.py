"""arbees: the Textual desk that attaches to a running Arbees engine through Redis.

Imports only `arbees_engine.bus` from the engine (enforced by tests/desk/test_imports.py).
"""
