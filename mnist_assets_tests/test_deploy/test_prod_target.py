"""Which topology `mnist-assets prod-up` chooses, and why."""

import pytest

from mnist_assets.cli.prod import containers
from mnist_assets.deploy.engines import EngineError


def test_local_asks_for_processes() -> None:
    assert containers("local") == (None, "asked for processes")


def test_beyond_loopback_the_processes_serve_mlflow_behind_its_login(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The processes run MLflow's basic-auth app beyond loopback; the compose file does not.
    monkeypatch.setenv("MNIST_BIND_HOST", "0.0.0.0")  # nosec B104: the case under test
    compose, why = containers("auto")
    assert compose is None and "MNIST_BIND_HOST=0.0.0.0" in why
    with pytest.raises(EngineError, match="containers' MLflow binds loopback only"):
        containers("container")
