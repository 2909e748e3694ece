"""The deployment's Prometheus: the tracked config, local targets, and its HTTP API."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnist_assets.env import shipped_dir

CONFIG_DIR = shipped_dir() / "deploy" / "prometheus"  # also mounted by the compose files
JOB = "mnist_service"
DASHBOARD_PATH = "consoles/mnist.html"


class PrometheusError(RuntimeError):
    """Prometheus is missing, unreachable, or refused a query."""


@dataclass(frozen=True)
class PrometheusApi:
    """The HTTP query API of any Prometheus server."""

    url: str

    def query(self, expr: str, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The result vector of an instant query (PrometheusError when it fails)."""
        params = {"query": expr}
        request = f"{self.url.rstrip('/')}/api/v1/query?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # nosec B310
                body = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            body = _error_body(exc)
        except OSError as exc:
            raise PrometheusError(f"Prometheus at {self.url} is unreachable: {exc}") from exc
        except ValueError as exc:
            raise PrometheusError(f"{self.url} answered, but not as Prometheus: {exc}") from exc
        if body.get("status") != "success":
            raise PrometheusError(f"{expr}: {body.get('errorType')}: {body.get('error')}")
        result: list[dict[str, Any]] = body["data"]["result"]
        return result


def _error_body(exc: urllib.error.HTTPError) -> dict[str, Any]:
    """The API's JSON error, or one made from the status and text Prometheus sent instead.

    Until its storage is open Prometheus answers every query ``503 Service Unavailable`` in
    plain text: not yet ready, not a broken reply.
    """
    text = exc.read().decode(errors="replace")
    try:
        body: dict[str, Any] = json.loads(text)
    except ValueError:
        return {"errorType": f"HTTP {exc.code}", "error": text.strip() or exc.reason}
    return body


@dataclass(frozen=True)
class Prometheus:
    """A Prometheus server with its config and data under ``<run_dir>/prometheus``."""

    run_dir: Path
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def home(self) -> Path:
        return self.run_dir / "prometheus"

    def write_config(self, target: str) -> None:
        """The tracked prometheus.yml and alerts.yml, with ``target`` (host:port) to scrape."""
        (self.home / "targets").mkdir(parents=True, exist_ok=True)
        for name in ("prometheus.yml", "alerts.yml"):
            shutil.copy(CONFIG_DIR / name, self.home / name)
        targets = [{"targets": [target], "labels": {"deployment": "local"}}]
        (self.home / "targets" / "service.json").write_text(json.dumps(targets) + "\n")

    def command(self) -> list[str]:
        """The foreground Prometheus command a supervisor runs."""
        return [
            prometheus_binary(),
            f"--config.file={self.home / 'prometheus.yml'}",
            f"--storage.tsdb.path={self.home / 'data'}",
            f"--web.listen-address={self.host}:{self.port}",
            # The dashboard that runs where no Grafana does: /consoles/mnist.html.
            f"--web.console.templates={CONFIG_DIR / 'consoles'}",
            f"--web.console.libraries={CONFIG_DIR / 'console_libraries'}",
            # No --web.enable-lifecycle: anyone reaching the port could stop monitoring with
            # POST /-/quit. Config changes are picked up on SIGHUP (and targets from their file).
        ]

    @property
    def dashboard_url(self) -> str:
        """The console page with the dashboard's panels."""
        return f"{self.url}/{DASHBOARD_PATH}"

    @property
    def api(self) -> PrometheusApi:
        return PrometheusApi(self.url)

    def query(self, expr: str, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The result vector of an instant query (PrometheusError when it fails)."""
        return self.api.query(expr, timeout)

    def target_up(self) -> bool:
        """Whether the service's scrape target reports ``up == 1``."""
        try:
            return any(s["value"][1] == "1" for s in self.query(f'up{{job="{JOB}"}}'))
        except PrometheusError:
            return False


def prometheus_binary() -> str:
    """The prometheus executable, or a PrometheusError saying how to install it."""
    found = shutil.which("prometheus")
    if found is None:
        raise PrometheusError(
            "prometheus not found: install it (Debian/Ubuntu: apt-get install prometheus; "
            "macOS: brew install prometheus), or run `make deploy` as root on Debian"
        )
    return found
