"""Debian's chromium driven by Playwright, and what the tests read off the project's pages."""

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from playwright.sync_api import Browser, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

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
