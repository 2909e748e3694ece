"""Debian's chromium driven by Playwright, and what the tests read off the project's pages."""

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Browser, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from mnist_assets.deploy.probes import free_port, http_ok
from mnist_assets_tests import REPO_ROOT
from mnist_assets_tests.integration.waiting import wait_for

CHROMIUM = "/usr/bin/chromium"  # Debian's package (make test installs it)


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless chromium for the block."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def panels_without_data(browser: Browser, url: str, timeout_ms: float = 30_000) -> list[str]:
    """The console page's panels that show no data: a "no data" value or an empty graph.

    Waits (polling the page) until every graph has drawn its lines, or the timeout.
    """
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(url)
    with suppress(PlaywrightTimeout):  # the panels that did not draw are named below
        page.wait_for_function(
            "[...document.querySelectorAll('.graph')].every(g => g.querySelector('svg path'))",
            timeout=timeout_ms,
            polling=500,
        )
    empty: list[Any] = page.eval_on_selector_all(
        "section.panel",
        """panels => panels.filter(p => p.querySelector('.no-data')
            || (p.querySelector('.graph') && !p.querySelector('.graph svg path')))
            .map(p => p.dataset.panel)""",
    )
    page.close()
    return [str(title) for title in empty]


@contextmanager
def review_page(env: dict[str, str]) -> Iterator[str]:
    """`mnist-assets review` on a free port for the block; yields its URL."""
    port = free_port()
    process = subprocess.Popen(
        ["mnist-assets", "review"],
        cwd=REPO_ROOT,
        env={**env, "MNIST_REVIEW_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: http_ok(f"{url}/health"), 60, "the labelling page to answer")
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@dataclass(frozen=True)
class Labelling:
    """What one person did on an episode's page, by keyboard alone."""

    confirmed: int  # feedback labels accepted with Enter
    typed: int  # inputs labelled by a digit key or x
    seconds: float  # from the first key to the last label saved
    run_link: str | None  # the retraining run the page linked to once the batch was accepted


def label_and_send(
    browser: Browser, url: str, key: Callable[[str], str], typed: int, timeout_ms: float = 240_000
) -> Labelling:
    """Confirm the feedback's labels, type ``key(file)`` for the next ``typed`` inputs, send,
    and wait until the page links the retraining run the new-data sensor requested."""
    page = browser.new_page()
    page.goto(url)
    files = page.locator(".cell").evaluate_all("cells => cells.map(c => c.dataset.file)")
    confirmed = page.locator(".cell.feedback").count()
    keys = ["Enter"] * confirmed + [key(file) for file in files[confirmed : confirmed + typed]]
    started = time.monotonic()
    for pressed in keys:
        page.keyboard.press(pressed)
    page.wait_for_function(
        f"document.getElementById('count').textContent === '{len(keys)}'", polling=100
    )
    seconds = time.monotonic() - started
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#sent")
    page.wait_for_selector("#run:not([hidden])", timeout=timeout_ms)
    link = page.locator("#run").get_attribute("href")
    page.close()
    return Labelling(confirmed, len(keys) - confirmed, seconds, link)
