"""Benchmark tasks on small exports written here in the public schemas (never the network)."""

from __future__ import annotations

import re

import json
from collections import Counter
from pathlib import Path

import pyarrow
import pyarrow.parquet
import pytest

from qframe.plugin_api.errors import BadInputError, ConfigError
from qframe_tasks_benchmarks.download import cached_path
from qframe_tasks_benchmarks.task import BENCHMARKS, BenchmarkTask

BY_NAME = {benchmark.name: benchmark for benchmark in BENCHMARKS}
FROM_FILES = sorted(name for name, benchmark in BY_NAME.items() if benchmark.generated is None)
SUBJECTS = ("astronomy", "biology", "chemistry")


def task(name: str, **options) -> BenchmarkTask:
    return BenchmarkTask(BY_NAME[name], options)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def write_parquet(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pyarrow.parquet.write_table(pyarrow.Table.from_pylist(rows), path)
    return path


def mmlu_rows(subjects=SUBJECTS, per_subject: int = 8) -> list[dict]:
    return [
        {
            "question": f"{subject} question {index}?",
            "subject": subject,
            "choices": [f"{subject} {index} option {option}" for option in range(4)],
            "answer": index % 4,
        }
        for subject in subjects
        for index in range(per_subject)
    ]


def arc_rows() -> list[dict]:
    return [
        {
            "id": "Q1",
            "question": "Which is a gas?",
            "choices": {"text": ["ice", "steam", "rock"], "label": ["A", "B", "C"]},
            "answerKey": "B",
        },
        {
            "id": "Q2",
            "question": "Which is warm?",
            "choices": {"text": ["sun", "snow", "hail", "frost"], "label": ["1", "2", "3", "4"]},
            "answerKey": "1",
        },
        {
            "id": "Q3",
            "question": "Which is a planet?",
            "choices": {"text": ["Moon", "Sun", "Comet", "Mars", "Star"], "label": list("ABCDE")},
            "answerKey": "D",
        },
    ]


def hellaswag_rows() -> list[dict]:
    return [
        {
            "ind": 7,
            "activity_label": "Cooking",
            "ctx": "[header] How to boil an egg [title] Fill a pot with water.  Then you",
            "endings": ["put the egg [step] in the pot.", "eat the pot.", "sing.", "fly away."],
            "label": "0",
        },
        {
            "ind": 8,
            "activity_label": "Running",
            "ctx": "A man ties his shoes. He",
            "endings": ["a", "b", "starts to run.", "d"],
            "label": "2",
        },
    ]


def truthfulqa_rows(count: int = 12) -> list[dict]:
    return [
        {
            "question": f"Myth number {index}?",
            "mc1_targets": {
                "choices": [f"true {index}", f"false {index} a", f"false {index} b", f"false {index} c"],
                "labels": [1, 0, 0, 0],
            },
        }
        for index in range(count)
    ]


@pytest.fixture
def mmlu_file(tmp_path: Path) -> Path:
    return write_parquet(tmp_path / "mmlu" / "test-00000-of-00001.parquet", mmlu_rows())


# ---- MMLU: stratified sampling, stable ids ---------------------------------------------------


def test_mmlu_parquet_is_stratified_per_subject(mmlu_file):
    samples = task("mmlu", path=str(mmlu_file)).samples(None, seed=42)
    assert len(samples) == 3 * 5
    assert Counter(sample.metadata["subject"] for sample in samples) == {subject: 5 for subject in SUBJECTS}
    assert len({sample.id for sample in samples}) == len(samples)
    assert all(sample.id.startswith("mmlu-") for sample in samples)


def test_mmlu_sample_lists_lettered_choices_and_asks_for_the_letter(mmlu_file):
    sample = next(
        s for s in task("mmlu", path=str(mmlu_file)).all_samples() if s.prompt.startswith("biology question 3?")
    )
    assert sample.choices == tuple(f"biology 3 option {option}" for option in range(4))
    assert sample.choice_labels == ("A", "B", "C", "D")
    assert sample.answer == "D"  # answer index 3
    assert "A. biology 3 option 0\nB. biology 3 option 1" in sample.prompt
    assert sample.prompt.endswith("Answer with the letter of the correct choice (A, B, C or D) only.")
    assert sample.metadata["subject"] == "biology"


def test_mmlu_per_subject_option_and_default_of_five(mmlu_file):
    assert len(task("mmlu", path=str(mmlu_file), per_subject=2).samples(None, seed=1)) == 6
    assert len(task("mmlu", path=str(mmlu_file), per_subject=50).samples(None, seed=1)) == 24  # all there is


def test_mmlu_limit_takes_a_balanced_prefix(mmlu_file):
    samples = task("mmlu", path=str(mmlu_file)).samples(7, seed=3)
    assert len(samples) == 7
    counts = Counter(sample.metadata["subject"] for sample in samples)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_sampling_is_deterministic_for_a_seed_and_varies_across_seeds(mmlu_file):
    mmlu = task("mmlu", path=str(mmlu_file))
    first = [sample.id for sample in mmlu.samples(None, seed=42)]
    assert first == [sample.id for sample in mmlu.samples(None, seed=42)]
    assert first == [sample.id for sample in task("mmlu", path=str(mmlu_file)).samples(None, seed=42)]
    assert set(first) != {sample.id for sample in mmlu.samples(None, seed=7)}


def test_ids_and_draws_do_not_depend_on_row_order(tmp_path, mmlu_file):
    reversed_file = write_parquet(tmp_path / "reversed.parquet", list(reversed(mmlu_rows())))
    forward = task("mmlu", path=str(mmlu_file)).samples(None, seed=42)
    backward = task("mmlu", path=str(reversed_file)).samples(None, seed=42)
    assert sorted(sample.id for sample in forward) == sorted(sample.id for sample in backward)


def test_adding_a_subject_leaves_the_other_subjects_draws_unchanged(tmp_path, mmlu_file):
    larger = write_parquet(tmp_path / "larger.parquet", mmlu_rows((*SUBJECTS, "zoology")))
    before = {s.id for s in task("mmlu", path=str(mmlu_file)).samples(None, seed=5)}
    after = {s.id for s in task("mmlu", path=str(larger)).samples(None, seed=5) if s.metadata["subject"] != "zoology"}
    assert before == after


def test_mmlu_accepts_letter_answers_in_jsonl(tmp_path):
    rows = [{"question": "Two plus two?", "subject": "math", "choices": ["3", "4", "5", "6"], "answer": "B"}]
    [sample] = task("mmlu", path=str(write_jsonl(tmp_path / "mmlu.jsonl", rows))).samples(None, seed=0)
    assert sample.answer == "B"


def test_identical_rows_are_kept_once(tmp_path):
    rows = mmlu_rows(("math",), per_subject=2)
    path = write_jsonl(tmp_path / "dupes.jsonl", rows + rows)
    assert len(task("mmlu", path=str(path)).all_samples()) == 2


# ---- ARC, HellaSwag, TruthfulQA --------------------------------------------------------------


@pytest.mark.parametrize("writer", [write_jsonl, write_parquet], ids=["jsonl", "parquet"])
def test_arc_labels_are_letters_whatever_the_export_uses(tmp_path, writer):
    path = writer(tmp_path / f"arc{'.jsonl' if writer is write_jsonl else '.parquet'}", arc_rows())
    samples = {s.metadata["source_id"]: s for s in task("arc_challenge", path=str(path)).samples(None, seed=0)}
    assert samples["Q1"].choice_labels == ("A", "B", "C") and samples["Q1"].answer == "B"
    assert samples["Q2"].choice_labels == ("A", "B", "C", "D") and samples["Q2"].answer == "A"
    assert samples["Q3"].choice_labels == tuple("ABCDE") and samples["Q3"].answer == "D"
    assert "(A, B, C, D or E)" in samples["Q3"].prompt


def test_arc_jsonl_and_parquet_give_the_same_samples(tmp_path):
    from_jsonl = task("arc_challenge", path=str(write_jsonl(tmp_path / "a.jsonl", arc_rows()))).samples(None, seed=0)
    from_parquet = task("arc_challenge", path=str(write_parquet(tmp_path / "a.parquet", arc_rows()))).samples(
        None, seed=0
    )
    assert from_jsonl == from_parquet


def test_arc_draws_its_default_size_or_the_limit(tmp_path):
    rows = [
        {
            "id": f"Q{index}",
            "question": f"Question {index}?",
            "choices": {"text": ["x", "y"], "label": ["A", "B"]},
            "answerKey": "A",
        }
        for index in range(250)
    ]
    arc = task("arc_challenge", path=str(write_jsonl(tmp_path / "arc.jsonl", rows)))
    assert len(arc.samples(None, seed=0)) == 200
    assert len(arc.samples(20, seed=0)) == 20
    assert {s.id for s in arc.samples(20, seed=0)} == {s.id for s in arc.samples(20, seed=0)}


def test_hellaswag_is_cleaned_and_ranks_the_endings_after_the_context(tmp_path):
    path = write_parquet(tmp_path / "hellaswag.parquet", hellaswag_rows())
    samples = {s.metadata["source_id"]: s for s in task("hellaswag", path=str(path)).samples(None, seed=0)}
    egg = samples["7"]
    assert egg.context == "How to boil an egg Fill a pot with water. Then you"
    assert egg.continuations[0] == " put the egg in the pot."
    assert egg.answer == "A" and samples["8"].answer == "C"
    assert "Which ending continues this text best?" in egg.prompt


def test_hellaswag_refuses_unlabelled_rows(tmp_path):
    rows = [dict(hellaswag_rows()[1], label="")]
    with pytest.raises(BadInputError, match="unlabelled.*validation"):
        task("hellaswag", path=str(write_jsonl(tmp_path / "test.jsonl", rows))).samples(None, seed=0)


def test_truthfulqa_keeps_the_right_answer_but_not_always_first(tmp_path):
    path = write_parquet(tmp_path / "tqa.parquet", truthfulqa_rows())
    samples = task("truthfulqa_mc", path=str(path)).samples(None, seed=0)
    assert len(samples) == 12
    for sample in samples:
        right = sample.choices[sample.choice_labels.index(sample.answer)]
        assert right.startswith("true ")
        assert sorted(sample.choices) == sorted(sample.continuations[i][1:] for i in range(len(sample.choices)))
    assert len({sample.answer for sample in samples}) > 1
    again = task("truthfulqa_mc", path=str(path)).samples(None, seed=99)
    assert {s.id: s.choices for s in samples} == {s.id: s.choices for s in again}  # order fixed per item


def test_truthfulqa_needs_exactly_one_right_answer(tmp_path):
    rows = [{"question": "Q?", "mc1_targets": {"choices": ["a", "b"], "labels": [1, 1]}}]
    with pytest.raises(BadInputError, match="exactly one"):
        task("truthfulqa_mc", path=str(write_jsonl(tmp_path / "t.jsonl", rows))).samples(None, seed=0)


# ---- scoring modes -----------------------------------------------------------------------------


def test_generate_and_loglikelihood_modes_share_items(mmlu_file):
    generate = task("mmlu", path=str(mmlu_file))
    ranked = task("mmlu", path=str(mmlu_file), mode="loglikelihood")
    assert (generate.mode, ranked.mode) == ("generate", "loglikelihood")
    assert generate.default_metrics == ("accuracy_raw", "accuracy_rescored")
    assert ranked.default_metrics == ("accuracy_raw", "accuracy_rescored", "accuracy_norm_char")
    assert generate.samples(None, 42) == ranked.samples(None, 42)
    sample = ranked.samples(None, 42)[0]
    assert sample.context == f"Question: {sample.prompt.split(chr(10))[0]}\nAnswer:"
    assert sample.continuations == tuple(f" {choice}" for choice in sample.choices)


def test_custom_template(mmlu_file):
    template = "Q: {question}\n{choices}\nPick one of {labels}."
    sample = task("mmlu", path=str(mmlu_file), template=template).samples(1, 0)[0]
    assert sample.prompt.startswith("Q: ") and sample.prompt.endswith("Pick one of A, B, C or D.")


# ---- sources: folders, splits, downloads -------------------------------------------------------


def test_folder_reads_only_the_split_files(tmp_path):
    write_parquet(tmp_path / "hs" / "validation-00000-of-00001.parquet", hellaswag_rows())
    write_jsonl(tmp_path / "hs" / "test-00000-of-00001.jsonl", [dict(hellaswag_rows()[0], label="")])
    assert len(task("hellaswag", path=str(tmp_path / "hs")).samples(None, seed=0)) == 2
    with pytest.raises(BadInputError, match="unlabelled"):
        task("hellaswag", path=str(tmp_path / "hs"), split="test").samples(None, seed=0)


def test_folder_without_the_split_is_an_error(tmp_path):
    write_jsonl(tmp_path / "arc" / "train.jsonl", arc_rows())
    with pytest.raises(BadInputError, match="no file of split 'test'.*options.split"):
        task("arc_challenge", path=str(tmp_path / "arc")).samples(None, seed=0)


def test_url_is_downloaded_once_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QFRAME_CACHE_DIR", str(tmp_path / "cache"))
    source = write_jsonl(tmp_path / "served" / "arc-test.jsonl", arc_rows())
    url = source.as_uri()  # a file:// URL: urllib fetches it without any network
    arc = task("arc_challenge", url=url)
    assert len(arc.samples(None, seed=0)) == 3
    cached = cached_path("arc_challenge", url)
    assert cached.is_file() and cached.is_relative_to(tmp_path / "cache" / "data")
    source.unlink()
    assert len(arc.samples(None, seed=0)) == 3  # served from the cache


def test_failed_download_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv("QFRAME_CACHE_DIR", str(tmp_path / "cache"))
    url = (tmp_path / "missing.parquet").as_uri()
    with pytest.raises(BadInputError, match="download failed") as raised:
        task("mmlu", url=url).samples(None, seed=0)
    assert "\n" not in str(raised.value)
    assert not list((tmp_path / "cache").rglob("*.part"))


# ---- bad input: one-line errors ------------------------------------------------------------------


def _one_line_error(tmp_path: Path, name: str, content: str | bytes, match: str) -> None:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(BadInputError, match=match) as raised:
        task("mmlu", path=str(path)).samples(None, seed=0)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("broken.jsonl", '{"question": "ok"}\n{not json\n', r"broken.jsonl: line 2: not valid JSON"),
        ("list.jsonl", "[1, 2]\n", r"list.jsonl: line 1: expected a JSON object"),
        ("columns.jsonl", '{"question": "q?", "subject": "s", "answer": 0}\n', r"row 1: missing column 'choices'"),
        ("range.jsonl", '{"question": "q?", "subject": "s", "choices": ["a", "b"], "answer": 5}\n', "answer index 5"),
        (
            "letter.jsonl",
            '{"question": "q?", "subject": "s", "choices": ["a", "b"], "answer": "E"}\n',
            "neither a choice index",
        ),
        ("empty.jsonl", "\n", "holds no rows"),
        ("corrupt.parquet", b"PAR1 this is not parquet", "not a readable Parquet file"),
        ("data.csv", "question,answer\n", "unsupported file type '.csv'"),
    ],
)
def test_bad_files_give_one_line_errors(tmp_path, name, content, match):
    _one_line_error(tmp_path, name, content, match)


def test_missing_path_is_a_one_line_error(tmp_path):
    with pytest.raises(BadInputError, match="no such file or folder"):
        task("mmlu", path=str(tmp_path / "nowhere.parquet")).samples(None, seed=0)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"builtin": True, "path": "x.parquet"}, "set only one of"),
        ({"builtin": True, "mode": "vote"}, "options.mode: must be one of generate, loglikelihood"),
        ({"builtin": True, "colour": "red"}, "options.colour: unknown option"),
        ({"builtin": True, "per_subject": 0}, "options.per_subject: must be a positive integer"),
        ({"builtin": True, "template": "{question} {answer}"}, "options.template: cannot format"),
        ({"builtin": "yes"}, "options.builtin: must be true or false"),
    ],
)
def test_bad_options_are_config_errors(options, match):
    with pytest.raises(ConfigError, match=match):
        task("mmlu", **options)


def test_per_subject_is_an_mmlu_option_only():
    with pytest.raises(ConfigError, match="options.per_subject: unknown option"):
        task("arc_challenge", builtin=True, per_subject=3)


# ---- built-in items and registration -------------------------------------------------------------


@pytest.mark.parametrize("name", FROM_FILES)
def test_builtin_sets_work_offline(name):
    samples = task(name, builtin=True).samples(None, seed=42)
    assert len(samples) == 20
    assert len({sample.id for sample in samples}) == 20
    for sample in samples:
        assert sample.answer in sample.choice_labels
        assert len(sample.continuations) == len(sample.choices) >= 3


def test_the_arithmetic_drill_is_computed_and_every_answer_is_true():
    samples = task("arithmetic").samples(None, seed=42)
    assert len(samples) == len({sample.id for sample in samples}) == 1300
    assert Counter(sample.group for sample in samples) == {"addition": 400, "subtraction": 400,
                                                           "multiplication": 300, "comparison": 200}
    operations = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "times": lambda a, b: a * b}
    for sample in samples:
        right = sample.choices[sample.choice_labels.index(sample.answer)]
        numbers = [int(n) for n in re.findall(r"\d+", sample.context)]
        if sample.group == "comparison":
            assert int(right) == max(numbers)
        else:
            op = re.search(r"\d+ (\+|-|times) \d+", sample.context).group(1)
            assert int(right) == operations[op](*numbers)
        assert len(set(sample.choices)) == len(sample.choices)
    assert len({sample.answer for sample in samples}) == 4  # the true answer takes every position


def test_the_arithmetic_drill_reads_no_data_source():
    with pytest.raises(ConfigError, match="options.path: arithmetic is built in"):
        task("arithmetic", path="x.parquet")


def test_builtin_mmlu_has_four_subjects_of_five():
    samples = task("mmlu", builtin=True).samples(None, seed=42)
    assert set(Counter(sample.metadata["subject"] for sample in samples).values()) == {5}


def test_tasks_are_registered_and_built_through_the_host(host):
    for name in BY_NAME:
        built = host.get("tasks", name).factory({"builtin": True, "mode": "loglikelihood"})
        assert built.name == name and built.mode == "loglikelihood"


@pytest.mark.parametrize("mode", ["generate", "loglikelihood"])
def test_a_builtin_benchmark_runs_end_to_end_on_the_mock_backend(host, run_experiment, mode):
    config = {
        "experiment": {"name": "bench", "max_tokens": 8},
        "ladder": {"backend": "mock", "model": "tiny-{quant}", "quants": ["F16", "Q4_K_M"], "baseline": "F16"},
        "tasks": [{"name": "arc_challenge", "limit": 6, "options": {"builtin": True, "mode": mode}}],
    }
    session, outcome = run_experiment(host, config)
    scores = session.store.read("scores").to_pylist()
    metrics = {"accuracy_raw", "accuracy_rescored"} | ({"accuracy_norm_char"} if mode == "loglikelihood" else set())
    assert {row["metric"] for row in scores} == metrics
    assert len(scores) == len(metrics) * 6 * 2
    assert all(row["value"] in (0.0, 1.0) for row in scores)
