"""Metrics, behavioural probes, the validation report and the promotion gate."""
