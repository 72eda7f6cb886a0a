"""report.html in real headless Chromium: no console errors, every plot drawn, no injected code run."""

from __future__ import annotations

import pytest

from tests.decisions.runs import write_run
from tests.reports.browser import artifacts_dir, chromium

PLOT_SIZES = """
return Array.from(document.querySelectorAll('figure.plot')).map(function (figure) {
  var svg = figure.querySelector('svg'), box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  return [figure.id, box.width, box.height, svg ? svg.querySelectorAll('path, use, line, text').length : 0];
});
"""


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    from qframe.plugin_api.plugins import PluginHost
    from qframe.run.session import open_session, render_reports

    host = PluginHost()
    host.load_entry_points()
    folder = tmp_path_factory.mktemp("browser")
    (report,) = render_reports(open_session(write_run(folder / "run", injection=True), host))
    with chromium(folder / "profile") as driver:
        driver.get(report.as_uri())
        yield driver, folder


def test_page_loads_without_console_errors_and_keeps_a_screenshot(loaded):
    driver, folder = loaded
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    assert driver.title == "qframe decision report: constructed-ladder"
    shot = artifacts_dir(folder) / "report-first-screen.png"
    assert driver.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_every_plot_is_drawn(loaded):
    driver, _ = loaded
    plots = driver.execute_script(PLOT_SIZES)
    assert [p[0] for p in plots] == ["plot-ladder", "plot-frontier", "plot-regimes", "plot-flips", "plot-speed"]
    for plot_id, width, height, marks in plots:
        assert width > 200 and height > 100 and marks > 10, plot_id


def test_injected_markup_renders_as_text_and_never_runs(loaded):
    driver, _ = loaded
    driver.execute_script("document.querySelectorAll('details').forEach(function (d) { d.open = true; });")
    state = driver.execute_script("""
        return {pwned: window.__pwned === undefined ? null : String(window.__pwned),
                scripts: document.scripts.length,
                handlers: document.querySelectorAll('[onerror]').length,
                jsLinks: document.querySelectorAll('a[href^="javascript"]').length,
                images: document.images.length,
                text: document.body.innerText};""")
    assert state["pwned"] is None
    assert (state["scripts"], state["handlers"], state["jsLinks"], state["images"]) == (1, 0, 0, 0)
    assert '<script>window.__pwned = "script"</script>' in state["text"]
    assert "<a href=\"javascript:window.__pwned = 'link'\">click me</a>" in state["text"]


def test_tables_sort_on_header_click(loaded):
    from selenium.webdriver.common.by import By

    driver, _ = loaded
    table = driver.find_element(By.ID, "decision-matrix")
    header = next(th for th in table.find_elements(By.TAG_NAME, "th") if th.text.startswith("Native tok/s"))
    column = [th.text for th in table.find_elements(By.TAG_NAME, "th")].index(header.text)

    def rates():
        return [float(row.find_elements(By.TAG_NAME, "td")[column].get_attribute("data-v"))
                for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")]

    header.click()
    assert rates() == sorted(rates())
    header.click()
    assert rates() == sorted(rates(), reverse=True)
