"""The README's pictures: the lineage graph in the Dagster UI and the champion's MLflow run.

`make screenshots` (after `make deploy` or `make pipeline`) starts the same servers as `make dev`
and `make mlflow` over this project's state, on free ports, and has headless Chromium (Debian's
`chromium` package) photograph them into docs/lineage.png and docs/mlflow-run.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mnist_assets import env
from mnist_assets.constants import CHAMPION_ALIAS, REGISTERED_MODEL_NAME
from mnist_assets.deploy.probes import free_port, http_ok

DOCS = Path(__file__).resolve().parent
WINDOW = "1600,1000"
RENDER_MS = 25_000  # the UIs are single-page apps: give their scripts time to draw


@contextmanager
def serving(command: str, setting: str, port: int, ready_path: str) -> Iterator[str]:
    """`mnist-assets <command>` on ``port`` until the block ends; yields its base URL."""
    environment = {**os.environ, setting: str(port)}
    mnist_assets = str(Path(sys.executable).parent / "mnist-assets")
    process = subprocess.Popen(
        [mnist_assets, command],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while not http_ok(f"{url}{ready_path}"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mnist-assets {command} did not come up on {url}")
            time.sleep(1)
        yield url
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=60)


def screenshot(url: str, target: Path) -> None:
    """One headless Chromium screenshot of ``url``."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("chromium not found: apt-get install chromium (Debian/Ubuntu)")
    subprocess.run(
        [
            chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--window-size={WINDOW}", f"--virtual-time-budget={RENDER_MS}",
            f"--screenshot={target}", url,
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )  # fmt: skip
    print(f"{target.relative_to(DOCS.parent)}  <- {url}")


def main() -> int:
    """Photograph both UIs; 1 when there is no champion to show yet."""
    env.prepare_tool_homes()
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient(env.mlflow_tracking_uri())
    try:
        champion = client.get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS)
    except MlflowException:
        print(
            "no champion model yet: run `make deploy` (or `make pipeline`) first", file=sys.stderr
        )
        return 1
    run = client.get_run(champion.run_id)
    with serving("dagster-ui", "MNIST_DAGSTER_PORT", free_port(), "/server_info") as dagster:
        screenshot(f"{dagster}/asset-groups", DOCS / "lineage.png")
    with serving("mlflow-ui", "MNIST_MLFLOW_PORT", free_port(), "/health") as mlflow:
        page = f"{mlflow}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"
        screenshot(page, DOCS / "mlflow-run.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
