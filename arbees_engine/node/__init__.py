"""The running engine: the kernel that builds the components, wires their listeners and owns the
tasks (kernel.py), the Outbox implementation (outbox.py), the batched store writer (writer.py),
restart recovery (recovery.py), the operator command handler (operator_commands.py), the read-only
status projections (status.py), and the operations hooks: lag, metrics, systemd, alerts
(operations.py, health.py, metrics.py)."""
