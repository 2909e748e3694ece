"""The CNN, its training loop and everything a training run is configured by."""
