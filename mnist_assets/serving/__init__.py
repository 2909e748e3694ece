"""Serving helpers for the BentoML service: schemas, image decoding, middleware, model store.

Free of Dagster and MLflow, so the service process stays small.
"""
