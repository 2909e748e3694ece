"""Labelled batches users drop in: read, checked, accepted write-once or quarantined."""
