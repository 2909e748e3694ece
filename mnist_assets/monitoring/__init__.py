"""Monitoring of the live service: Prometheus, traffic statistics, the drift watch."""
