"""The environment put to use: run defaults, shipped files, tool homes and the commit.

The settings themselves are declared in :mod:`mnist_assets.settings`; this module holds what
reads files or changes the process. Run as ``python -m mnist_assets.env`` it prints the shell
exports that Dagster's and BentoML's own commands need (the Makefile evaluates them), after
preparing the Dagster home.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sysconfig
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from mnist_assets.settings import CHECKOUT, PACKAGE_DIR, settings

CONFIG_DIR = PACKAGE_DIR / "configs"  # run defaults, shipped inside the package


def shipped_dir() -> Path:
    """Where the files beside the package live (bentos/, deploy/, dagster.yaml, workspace.yaml).

    The checkout when running from one; else the copies ``pip install`` put under
    ``<prefix>/share/mnist-assets`` (pyproject.toml, ``data-files``).
    """
    return CHECKOUT or Path(sysconfig.get_path("data")) / "share" / "mnist-assets"


def state_path(value: str | os.PathLike[str]) -> Path:
    """Resolve a path from configuration: absolute as given, relative to the state folder."""
    path = Path(value)
    return path if path.is_absolute() else settings().state_dir / path


def use_state_bentoml_home() -> None:
    """Set ``BENTOML_HOME`` for this process to the state folder's (before BentoML reads it)."""
    os.environ["BENTOML_HOME"] = str(settings().bentoml_home)


def prepare_tool_homes() -> dict[str, str]:
    """Point Dagster and BentoML at the state folder, creating the Dagster instance's config.

    Sets ``DAGSTER_HOME`` and ``BENTOML_HOME`` in this process (before either library reads
    them) and returns them for child processes. MLflow's per-artifact progress bars and INFO
    logs are turned off unless set otherwise: a command prints one line per step instead.
    """
    current = settings()
    home = current.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(shipped_dir() / "dagster.yaml", home / "dagster.yaml")
    homes = {"DAGSTER_HOME": str(home), "BENTOML_HOME": str(current.bentoml_home)}
    os.environ.update(homes)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    return homes


@cache
def config_defaults(name: str) -> dict[str, Any]:
    """The parsed ``mnist_assets/configs/<name>.yaml``: the defaults every run starts from."""
    with (CONFIG_DIR / f"{name}.yaml").open() as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def monitoring_settings() -> dict[str, Any]:
    """``configs/monitoring.yaml``, with the keys of ``MNIST_MONITORING_CONFIG`` taking precedence.

    That variable names a YAML file of the same shape; a section or key the defaults lack is
    an error.
    """
    defaults = config_defaults("monitoring")
    path = settings().monitoring_config
    if not path:
        return defaults
    merged = {section: dict(values) for section, values in defaults.items()}
    with state_path(path).open() as handle:
        override = yaml.safe_load(handle) or {}
    for section, values in override.items():
        if section not in merged or not isinstance(values, dict):
            sections = ", ".join(merged)
            raise ValueError(f"{path}: {section} is no section of monitoring.yaml ({sections})")
        if unknown := sorted(set(values) - set(merged[section])):
            raise ValueError(f"{path}: {section}.{unknown[0]} is no setting of monitoring.yaml")
        merged[section].update(values)
    return merged


def source_kind() -> str:
    """The MNIST source to use unless a run says otherwise (``MNIST_SOURCE`` wins)."""
    return settings().source or config_defaults("data")["source"]["kind"]


def automation_run_config() -> dict[str, Any]:
    """Run config of the runs that sensors and schedules request (``MNIST_AUTOMATION_RUN_CONFIG``).

    Unset, the runs use the defaults.
    """
    path = settings().automation_run_config
    if not path:
        return {}
    with state_path(path).open() as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle) or {}
    return loaded


@cache
def git_commit() -> str:
    """The checked-out commit of the project, or ``unknown`` outside a git checkout."""
    if CHECKOUT is None:
        return "unknown"
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=CHECKOUT, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return done.stdout.strip() if done.returncode == 0 else "unknown"


if __name__ == "__main__":
    for name, value in prepare_tool_homes().items():
        print(f"export {name}={shlex.quote(value)}")
