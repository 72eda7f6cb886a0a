"""Headless Chromium for the report tests, driven by Selenium through Debian's chromedriver.

``scripts/extras/20-chromium.sh`` installs both (``scripts/setup.sh --dev`` runs it). Screenshots
go to ``$QFRAME_TEST_ARTIFACTS`` when set, else to the test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,900")


def browser_paths() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.skip("no Chromium/chromedriver on this machine: run scripts/extras/20-chromium.sh (apt) to install them")
    return chromium, driver


@contextmanager
def chromium(profile: Path) -> Iterator[object]:
    """A headless Chromium with a fresh profile; browser console messages are kept for get_log."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = browser_paths()
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager look for drivers online
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def artifacts_dir(fallback: Path) -> Path:
    folder = Path(os.environ.get("QFRAME_TEST_ARTIFACTS") or fallback)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
