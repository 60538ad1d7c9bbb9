"""The operator's levers: the kill switch and trading mode (state.py), who may command the engine
(command_guard.py), and the signal book that owns every signal transition (signal_book.py: pend,
approve, reject, expire, resize). The command handler that dispatches the operator's commands onto
them is the kernel's (`node/operator_commands.py`): it also reaches the trader."""
