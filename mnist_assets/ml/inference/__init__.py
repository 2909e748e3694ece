"""Serving-side inference: runtimes, ONNX export and the variants compared."""
