"""mnist-assets: an MNIST classifier carried from raw data to a monitored service by Dagster.

The Dagster definitions load on first access of ``mnist_assets.code_location``, so
``dagster asset materialize -m mnist_assets`` works while importing ``mnist_assets.ml``
(plain PyTorch/numpy) never pulls in Dagster or MLflow.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "code_location":
        from mnist_assets.definitions import defs

        return defs
    raise AttributeError(f"module 'mnist_assets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return [*globals(), "code_location"]
