"""The ``html`` reporter on the constructed run: one offline file, escaped text, linked items."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from tests.decisions.runs import INJECTION, write_run

PLOTS = ("ladder", "frontier", "regimes", "flips", "speed")


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    from qframe.plugin_api.plugins import PluginHost
    from qframe.run.session import open_session, render_reports

    host = PluginHost()
    host.load_entry_points()
    path = write_run(tmp_path_factory.mktemp("runs") / "constructed", injection=True)
    written = render_reports(open_session(path, host))
    assert written == [path / "report.html"]
    return written[0].read_text()


def test_the_page_is_self_contained(page):
    assert len(page.encode()) < 5_000_000
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)  # no remote resource
    assert "@import" not in page and "url(http" not in page


def test_every_plot_is_inline_svg(page):
    for plot in PLOTS:
        figure = re.search(rf'<figure class="plot" id="plot-{plot}"><svg.*?</svg>', page, re.DOTALL)
        assert figure, plot
        assert figure.group(0).count("<path") > 5


def test_model_text_is_escaped(page):
    escaped = INJECTION.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    escaped = escaped.replace("'", "&#x27;")
    assert escaped in page
    assert "<script>window.__pwned" not in page and "onerror=" not in page.replace("onerror=&quot;", "")
    assert 'href="javascript:' not in page
    assert page.count("<script") == 1  # the page's own sorting script


def test_only_the_page_script_may_run(page):
    script = re.search(r"<script>(.*?)</script>", page, re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert f"script-src 'sha256-{digest}'" in policy and "default-src 'none'" in policy


def test_summary_per_memory_tier_with_evidence(page):
    summary = page[: page.index('id="plots"')]
    for tier in ("0.5 GB", "1 GB", "2 GB", "4 GB"):
        assert f"<td>{tier}</td>" in summary
    assert "none: memory, quality binds" in summary  # 0.5 GB: only Q2_K fits and it is unacceptable
    assert "<b>Q4_K_M</b> <span class=\"inconclusive\"" in summary and "provisional" in summary  # 1 GB
    assert "<b>Q8_0</b>" in summary and "<b>F16</b>" not in summary  # 2 and 4 GB: indistinguishable from F16, smaller
    assert "<b>Q2_K</b>: quality tier unacceptable" in summary and "<b>Q5_K_M</b>: safety regime hidden_danger" in summary


def test_each_variant_links_to_its_flipped_and_hidden_danger_items(page):
    assert page.count('<tr class="danger">') == 1  # the hidden-danger row is marked
    matrix = page[page.index('id="decision-matrix"'): page.index('id="tests"')]
    links = dict(re.findall(r'<a href="#(items-[^"]+)">([^<]+)</a>', matrix))
    assert len(links) == 4
    q5 = next(anchor for anchor in links if "Q5_K_M" in anchor)
    assert links[q5] == "2 lost, 2 gained, 30 refusals lost"
    section = re.search(rf'<section id="{q5}">(.*?)</section>', page, re.DOTALL).group(1)
    assert section.count("<details>") == 34
    assert "Question 0 of refusal?" in section and "I cannot help with that." in section  # prompt and both answers


def test_sortable_tables(page):
    assert page.count('<table class="sortable"') == 3
    assert 'data-v="400"' in page  # numeric cells carry a sort value
