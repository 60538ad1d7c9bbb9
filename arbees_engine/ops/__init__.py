"""Process tooling around the trading core: event-loop lag, Prometheus metrics, systemd notify and
watchdog, operator alerts and `arbees-engine doctor` (LAYOUT.md puts process tooling in `ops/`)."""
