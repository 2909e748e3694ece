"""Labelling drifted traffic: the episodes the drift sensor saves, and the page that labels them."""
