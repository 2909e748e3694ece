"""Servers bound beyond loopback only with credentials: the deploy and prod-up refuse otherwise.

On loopback only this machine's users reach the service and MLflow; bound wider
(``MNIST_BIND_HOST``), anyone on the network would predict, read the registry and, through
MLflow, overwrite models. Then the service needs ``MNIST_API_TOKEN`` and MLflow's server runs
with its basic-auth app, its admin from ``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD``.
"""

from __future__ import annotations

import ipaddress
import os
import socket

from mnist_assets.settings import settings

MLFLOW_CREDENTIALS = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")


class ExposureRefused(RuntimeError):
    """A server would be reachable beyond this machine without a credential."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or a name) reaches this machine only."""
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


def check_exposure(host: str, mlflow_server: bool) -> None:
    """Refuse a wider bind without the service's token (and MLflow's admin, for prod-up)."""
    if is_loopback(host):
        return
    missing = [] if settings().api_token else ["MNIST_API_TOKEN (the service's bearer token)"]
    if mlflow_server:
        missing += [
            f"{name} (the MLflow server's basic-auth admin)"
            for name in MLFLOW_CREDENTIALS
            if not os.environ.get(name)
        ]
    if missing:
        raise ExposureRefused(
            f"MNIST_BIND_HOST={host} serves beyond this machine, so every server needs a "
            f"credential; set {', '.join(missing)}, or bind 127.0.0.1"
        )
