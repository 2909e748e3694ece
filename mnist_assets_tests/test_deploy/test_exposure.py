import pytest

from mnist_assets.cli import main
from mnist_assets.deploy.exposure import ExposureRefused, check_exposure, is_loopback


@pytest.fixture(autouse=True)
def _no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MNIST_API_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("127.0.0.2", True),  # all of 127.0.0.0/8 is this machine
        ("0.0.0.0", False),  # every interface
        ("192.0.2.10", False),  # a network address (never contacted: only parsed)
    ],
)
def test_loopback_is_told_from_wider_binds(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_loopback_needs_no_credential() -> None:
    check_exposure("127.0.0.1", mlflow_server=True)


@pytest.mark.parametrize(
    ("mlflow_server", "env", "missing"),
    [
        # The deploy: only the service's token is needed.
        (False, {}, ["MNIST_API_TOKEN"]),
        # prod-up: the token and MLflow's admin, each named.
        (True, {"MNIST_API_TOKEN": "t"}, ["MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"]),
        (True, {"MLFLOW_TRACKING_USERNAME": "admin"}, ["MNIST_API_TOKEN", "MLFLOW_TRACKING_PASS"]),
    ],
)
def test_a_wider_bind_without_credentials_is_refused_naming_them(
    monkeypatch: pytest.MonkeyPatch, mlflow_server: bool, env: dict[str, str], missing: list[str]
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(
        ExposureRefused, match=r"MNIST_BIND_HOST=0\.0\.0\.0 serves beyond"
    ) as refused:
        check_exposure("0.0.0.0", mlflow_server)
    assert all(name in str(refused.value) for name in missing)
    assert "or bind 127.0.0.1" in str(refused.value)


def test_a_wider_bind_with_every_credential_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MNIST_API_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        monkeypatch.setenv(name, "x")
    check_exposure("0.0.0.0", mlflow_server=True)


def test_prod_up_refuses_before_starting_anything(
    monkeypatch: pytest.MonkeyPatch, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MNIST_BIND_HOST", "0.0.0.0")
    monkeypatch.setenv("MNIST_PROD_RUN_DIR", str(tmp_path / "prod"))
    assert main(["prod-up"]) == 1
    assert "set MNIST_API_TOKEN" in capsys.readouterr().err
    assert not (tmp_path / "prod").exists()
