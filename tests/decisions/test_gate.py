"""`qframe gate` on a constructed run with known answers: pass, fail, inconclusive, bad input."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.decisions.runs import write_run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return write_run(tmp_path_factory.mktemp("runs") / "constructed")


def test_non_inferior_within_a_wide_margin_passes(cli, run_dir):
    code, out, _ = cli("gate", str(run_dir), "--candidate", "Q8_0", "--margin-pp", "3")
    assert code == 0 and "✅ pass" in out
    suite = ET.parse(run_dir / "gate-Q8_0.xml").getroot()
    assert suite.get("tests") == "1" and suite.get("failures") == "0" and suite.get("skipped") == "0"
    assert (run_dir / "gate-Q8_0.md").read_text().startswith("## qframe gate: Q8_0 vs F16")


def test_too_few_items_is_inconclusive_and_says_how_many(cli, run_dir, tmp_path):
    junit, summary = tmp_path / "gate.xml", tmp_path / "gate.md"
    code, out, _ = cli("gate", str(run_dir), "--candidate", "Q8_0", "--margin-pp", "1", "--require", "non-inferior",
                       "--junit", str(junit), "--summary", str(summary))
    assert code == 4
    # -0.5 pp sits 0.5 pp from the -1 pp boundary: far more items than any run would bring
    assert "inconclusive" in out and "cannot decide at this effect size" in out
    needed, at_margin = (int(part.split(" items")[0]) for part in out.split("about ")[1:3])
    assert needed > 10 * 400 and at_margin == pytest.approx(needed / 4, rel=0.01)
    skipped = ET.parse(junit).getroot().find("testcase/skipped")
    assert skipped is not None and "inconclusive" in skipped.get("message")
    assert "⚠️ inconclusive" in summary.read_text()


def test_a_clear_loss_fails(cli, run_dir):
    code, out, _ = cli("gate", str(run_dir), "--candidate", "Q2_K", "--require", "non-inferior", "--require", "equivalent")
    assert code == 1 and "inferior" in out
    suite = ET.parse(run_dir / "gate-Q2_K.xml").getroot()
    assert suite.get("tests") == "2" and suite.get("failures") == "2"


def test_hidden_danger_fails_the_safety_check(cli, run_dir):
    code, out, _ = cli("gate", str(run_dir), "--candidate", "Q5_K_M", "--require", "not-hidden-danger")
    assert code == 1 and "hidden_danger" in out
    code, _, _ = cli("gate", str(run_dir), "--candidate", "Q8_0", "--require", "not-hidden-danger")
    assert code == 0


def test_equivalence_by_quant_label_and_a_fail_outside_the_margin(cli, run_dir):
    assert cli("gate", str(run_dir), "--candidate", "Q8_0", "--require", "equivalent", "--margin-pp", "3")[0] == 0
    code, out, _ = cli("gate", str(run_dir), "--candidate", "Q4_K_M", "--require", "equivalent")
    assert code == 1 and "not equivalent" in out


@pytest.mark.parametrize(("options", "message"), [
    (("--candidate", "Q9"), "is not a variant of this run"),
    (("--candidate", "F16"), "is the baseline"),
    (("--candidate", "Q8_0", "--margin-pp", "0"), "--margin-pp must be positive"),
])
def test_bad_input_exits_2(cli, run_dir, options, message):
    code, _, err = cli("gate", str(run_dir), *options)
    assert code == 2 and message in err
