"""Measurement any component may use, importing nothing above the bus and the model: latency
histograms per stage (latency.py, histogram.py), event-loop lag (looplag.py), systemd
notification (notify.py) and alert delivery (alerts.py)."""
