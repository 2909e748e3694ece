"""The README's pictures: the lineage, the champion's MLflow run, labelling, the dashboard.

`make screenshots` (after `make deploy`) starts the same servers as `make dev`, `make mlflow`
and `make review` over this project's state, on free ports, and has Playwright drive Debian's
`chromium` to photograph them into docs/lineage.png, docs/mlflow-run.png and docs/review.png,
and the deployment's Prometheus console page into docs/dashboard.png.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mnist_assets import env
from mnist_assets.constants import CHAMPION_ALIAS, REGISTERED_MODEL_NAME
from mnist_assets.deploy.probes import free_port, http_ok
from mnist_assets.settings import settings

DOCS = Path(__file__).resolve().parent
VIEWPORT = {"width": 1600, "height": 1000}
LINEAGE_VIEWPORT = {"width": 2400, "height": 640}  # eight assets side by side, readable
SETTLE_MS = 6_000  # the UIs are single-page apps: let their scripts fetch and draw


@contextmanager
def serving(command: str, setting: str, ready_path: str) -> Iterator[str]:
    """`mnist-assets <command>` on a free port until the block ends; yields its base URL."""
    port = free_port()
    mnist_assets = str(Path(sys.executable).parent / "mnist-assets")
    process = subprocess.Popen(
        [mnist_assets, command],
        env={**os.environ, setting: str(port)},
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
        os.killpg(process.pid, signal.SIGINT)  # as Ctrl-C: dagster dev stops its children
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def photograph_lineage(browser: Any, dagster: str) -> None:
    """The global lineage with every group expanded (the UI starts them collapsed)."""
    page = browser.new_page(viewport=LINEAGE_VIEWPORT)
    page.goto(f"{dagster}/asset-groups")
    page.wait_for_timeout(SETTLE_MS)
    if page.get_by_role("button", name="Skip").count():  # the first visit's newsletter dialog
        page.get_by_role("button", name="Skip").click()
    for _ in range(10):  # one group expands per click, and the graph redraws
        collapsed = page.get_by_role("img", name="unfold_more")
        if not collapsed.count():
            break
        collapsed.first.dispatch_event("click")
        page.wait_for_timeout(1_500)
    page.reload()  # a fresh load fits the expanded graph to the window
    page.wait_for_timeout(SETTLE_MS)
    page.screenshot(path=DOCS / "lineage.png")
    page.close()


def photograph_run(browser: Any, mlflow: str, experiment_id: str, run_id: str) -> None:
    """The champion's MLflow run: its accuracy per epoch, train and validation."""
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{mlflow}/#/experiments/{experiment_id}/runs/{run_id}")
    page.wait_for_timeout(SETTLE_MS)
    if page.get_by_role("button", name="Close").count():  # the assistant panel beside the run
        page.get_by_role("button", name="Close").first.click()
    page.get_by_role("tab", name="Model metrics").click()
    page.wait_for_timeout(SETTLE_MS // 2)
    page.get_by_placeholder("Search metric charts").fill("accuracy")  # the learning curves
    page.wait_for_timeout(SETTLE_MS // 2)
    page.screenshot(path=DOCS / "mlflow-run.png")
    page.close()


def photograph_review(browser: Any, review: str) -> None:
    """The newest drift episode's grid (the list of episodes while there is none)."""
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(review)
    episode = page.locator("td a").first
    if episode.count():
        episode.click()
        page.keyboard.press("ArrowRight")  # a selected input, as while labelling
    page.wait_for_timeout(SETTLE_MS // 3)
    page.screenshot(path=DOCS / "review.png")
    page.close()


def photograph_dashboard(browser: Any, prometheus: str) -> bool:
    """The deployment's console page, once its graphs have drawn; False when it is not up."""
    if not http_ok(f"{prometheus}/-/ready"):
        return False
    page = browser.new_page(viewport={"width": 1600, "height": 1800})
    page.goto(f"{prometheus}/consoles/mnist.html")
    page.wait_for_timeout(SETTLE_MS)
    page.screenshot(path=DOCS / "dashboard.png", full_page=True)
    page.close()
    return True


def main() -> int:
    """Photograph both UIs; 1 when there is no champion to show yet."""
    env.prepare_tool_homes()
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium not found: apt-get install chromium (Debian/Ubuntu)", file=sys.stderr)
        return 1
    client = MlflowClient(settings().mlflow_tracking_uri)
    try:
        champion = client.get_model_version_by_alias(REGISTERED_MODEL_NAME, CHAMPION_ALIAS)
    except MlflowException:
        print("no champion model yet: run `make deploy` first", file=sys.stderr)
        return 1
    run = client.get_run(champion.run_id)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        with serving("dagster-ui", "MNIST_DAGSTER_PORT", "/server_info") as dagster:
            photograph_lineage(browser, dagster)
        with serving("mlflow-ui", "MNIST_MLFLOW_PORT", "/health") as mlflow:
            photograph_run(browser, mlflow, run.info.experiment_id, run.info.run_id)
        with serving("review", "MNIST_REVIEW_PORT", "/health") as review:
            photograph_review(browser, review)
        names = ["lineage.png", "mlflow-run.png", "review.png"]
        if photograph_dashboard(browser, settings().prometheus_url):
            names.append("dashboard.png")
        else:
            print("no deployment's Prometheus answers: the dashboard is not photographed")
        browser.close()
    for name in names:
        print(f"docs/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
