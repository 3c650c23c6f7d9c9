"""The dashboard in a real browser: Debian's chromium, headless, driven by Selenium through chromium-driver.

One browser and one suite (every built-in partner, the admin API with a token) per test module: a browser
starts in about a second, a suite in milliseconds with the session's keys. Tests wait on page content with
WebDriverWait, never sleep. ``MOCKPARTNERS_SCREENSHOTS=1`` writes each view's screenshot into
docs/dashboard/ (the set in the repository was taken that way), at a fixed window size.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mockpartners import Runtime
from tests.clients import require

os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must never download a browser or a driver

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

TOKEN = "dashboard-test-token"
PARTNERS = ["onss", "magda", "lucca", "xfb", "insee-tedeco"]
WINDOW = (1280, 900)
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "dashboard"
WAIT_SECONDS = 20


def _browser() -> webdriver.Chrome:
    chromium = require("chromium")
    driver = require("chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--disable-extensions", "--no-first-run", "--hide-scrollbars",
                     f"--window-size={WINDOW[0]},{WINDOW[1]}"):  # fmt: skip
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path=driver), options=options)


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    driver = _browser()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory, mockpartners_credentials: Path) -> Iterator[Runtime]:
    runtime = Runtime(
        PARTNERS,
        state_dir=tmp_path_factory.mktemp("dashboard"),
        ports="ephemeral",
        credentials_from=mockpartners_credentials,
        admin=True,
        admin_token=TOKEN,
    )
    with runtime:
        yield runtime


class Dashboard:
    """The dashboard of ``suite`` in ``browser``, logged in once with the token in the URL."""

    def __init__(self, browser: webdriver.Chrome, suite: Runtime) -> None:
        assert suite.admin is not None
        self.browser = browser
        self.suite = suite
        self.url = suite.admin.url

    def open(self, view: str) -> None:
        self.browser.get(f"{self.url}/dashboard/{view}")
        self.until(lambda driver: driver.find_element(By.ID, "view").get_attribute("data-ready") == "true",
                   f"the {view} view to load")  # fmt: skip

    def until(self, condition: Callable[[Any], Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
        status = ""
        try:
            return WebDriverWait(self.browser, timeout).until(condition, f"waiting for {what}")
        except Exception:
            status = self.browser.find_element(By.ID, "status").text if self._has_status() else ""
            raise AssertionError(f"timed out waiting for {what}; the page says: {status!r}") from None

    def _has_status(self) -> bool:
        return bool(self.browser.find_elements(By.ID, "status"))

    def find(self, selector: str) -> WebElement:
        return self.browser.find_element(By.CSS_SELECTOR, selector)

    def all(self, selector: str) -> list[WebElement]:
        return self.browser.find_elements(By.CSS_SELECTOR, selector)

    def wait_for(self, selector: str, what: str | None = None, timeout: float = WAIT_SECONDS) -> WebElement:
        def first(driver: webdriver.Chrome) -> WebElement | None:
            return (driver.find_elements(By.CSS_SELECTOR, selector) or [None])[0]

        found: WebElement = self.until(first, what or selector, timeout)
        return found

    def status(self) -> str:
        return self.find("#status").text

    def screenshot(self, name: str) -> None:
        """docs/dashboard/NAME.png, only with MOCKPARTNERS_SCREENSHOTS=1 (other runs leave the tree alone)."""
        if os.environ.get("MOCKPARTNERS_SCREENSHOTS") != "1":
            return
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        height = self.browser.execute_script("return Math.min(document.body.scrollHeight, 2400)")
        self.browser.set_window_size(WINDOW[0], max(WINDOW[1], int(height)))
        try:
            self.browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
        finally:
            self.browser.set_window_size(*WINDOW)


@pytest.fixture(scope="module")
def dashboard(browser: webdriver.Chrome, suite: Runtime) -> Dashboard:
    board = Dashboard(browser, suite)
    browser.get(f"{board.url}/dashboard/?token={TOKEN}")  # once: the cookie carries it from now on
    board.until(lambda driver: "token=" not in driver.current_url, "the token to leave the address")
    return board
