"""The one place that decides the environment: paths, settings and configuration defaults.

Everything else asks this module instead of reading environment variables itself.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def project_path(value: str | os.PathLike[str]) -> Path:
    """Resolve a path from configuration: absolute as given, relative to the project root."""
    path = Path(value)
    return path if path.is_absolute() else PROJECT_ROOT / path


def data_root() -> Path:
    """Where datasets live (``MNIST_DATA_ROOT``, default ``<project>/data``)."""
    return project_path(os.environ.get("MNIST_DATA_ROOT", "data"))


def is_ci() -> bool:
    """True on a CI runner, where the CI variable is set."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@cache
def config_defaults(name: str) -> dict[str, Any]:
    """The parsed ``configs/<name>.yaml``: the defaults every run starts from."""
    with (PROJECT_ROOT / "configs" / f"{name}.yaml").open() as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def source_kind() -> str:
    """The MNIST source to use unless a run says otherwise (``MNIST_SOURCE`` wins)."""
    return os.environ.get("MNIST_SOURCE") or config_defaults("data")["source"]["kind"]
