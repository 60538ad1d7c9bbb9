"""The operator's levers: the kill switch and trading mode (state.py), and who may command the engine
(command_guard.py). The command handler and the signal book join them when runtime/ is split further."""
