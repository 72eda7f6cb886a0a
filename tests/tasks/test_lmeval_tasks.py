"""lm-eval tasks through qframe: YAML tasks on local JSON files written here (never the hub).

lm-eval itself is the reference: its own request building and evaluator code paths are run
beside qframe's on the same documents, and qframe's per-item values must equal lm-eval's.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from qframe.plugin_api.errors import BadInputError, ConfigError
from qframe.plugin_api.protocols import PROPORTION, QualitySignal, ScoringItem
from qframe_tasks_lmeval.catalogue import leaf_tasks
from qframe_tasks_lmeval.scoring import LmevalMetric
from qframe_tasks_lmeval.task import LmevalTask, make_named_task

QUESTIONS = [
    ("What is 2+2?", ["3", "4", "five"], 1, "math"),
    ("Capital of France?", ["Paris", "Rome", "Berlin"], 0, "geo"),
    ("Color of a clear sky?", ["green", "blue", "red"], 1, "geo"),
    ("Largest planet?", ["Mars", "Jupiter", "Venus"], 1, "space"),
    ("Frozen water is?", ["ice", "steam", "sand"], 0, "physics"),
    ("Opposite of hot?", ["cold", "warm", "bright"], 0, "words"),
]
WORD_PROBLEMS = [
    ("Tom has 3 apples and buys 4 more. How many?", "3+4=7\n#### 7"),
    ("What is 10 minus 2?", "10-2=8\n#### 8"),
    ("What is 6 times 7?", "6*7=42\n#### 42"),
    ("What is 1,000 plus 234?", "1000+234=1234\n#### 1,234"),
]


def write_tasks(folder: Path) -> Path:
    """A multiple-choice task, a GSM8K-style generation task with lm-eval's regex filters, and a
    group of two multiple-choice tasks, as lm-eval YAML over local JSON files."""
    folder.mkdir(parents=True, exist_ok=True)
    cache = folder / "hf-cache"
    mc = [{"question": q, "choices": c, "answer": a, "subject": s} for q, c, a, s in QUESTIONS]
    (folder / "mc.jsonl").write_text("".join(json.dumps(row) + "\n" for row in mc))
    (folder / "math.jsonl").write_text("".join(json.dumps({"question": q, "answer": a}) + "\n" for q, a in WORD_PROBLEMS))
    (folder / "toy_mc.yaml").write_text(textwrap.dedent(f"""
        task: toy_mc
        dataset_path: json
        test_split: test
        fewshot_split: train
        dataset_kwargs:
          cache_dir: {cache}
          data_files: {{test: {folder / 'mc.jsonl'}, train: {folder / 'mc.jsonl'}}}
        output_type: multiple_choice
        doc_to_text: "Question: {{{{question}}}}\\nAnswer:"
        doc_to_target: answer
        doc_to_choice: "{{{{choices}}}}"
        metric_list:
          - metric: acc
          - metric: acc_norm
          - metric: f1
            aggregation: f1
    """))
    (folder / "toy_math.yaml").write_text(textwrap.dedent(f"""
        task: toy_math
        dataset_path: json
        test_split: test
        fewshot_split: train
        dataset_kwargs:
          cache_dir: {cache}
          data_files: {{test: {folder / 'math.jsonl'}, train: {folder / 'math.jsonl'}}}
        output_type: generate_until
        doc_to_text: "Question: {{{{question}}}}\\nAnswer:"
        doc_to_target: "{{{{answer}}}}"
        num_fewshot: 1
        metric_list:
          - metric: exact_match
            aggregation: mean
            higher_is_better: true
            ignore_case: true
            regexes_to_ignore: [",", "\\\\$", "(?s).*#### ", "\\\\.$"]
        generation_kwargs:
          until: ["Question:", "</s>"]
          max_gen_toks: 48
          do_sample: false
        filter_list:
          - name: strict-match
            filter:
              - function: regex
                regex_pattern: "#### (\\\\-?[0-9\\\\.\\\\,]+)"
              - function: take_first
          - name: flexible-extract
            filter:
              - function: regex
                group_select: -1
                regex_pattern: "(-?[$0-9.,]{{2,}})|(-?[0-9]+)"
              - function: take_first
    """))
    for name, subjects in (("toy_geo", ("geo",)), ("toy_rest", ("math", "space", "physics", "words"))):
        rows = [row for row in mc if row["subject"] in subjects]
        (folder / f"{name}.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
        (folder / f"{name}.yaml").write_text(textwrap.dedent(f"""
            task: {name}
            dataset_path: json
            test_split: test
            dataset_kwargs:
              cache_dir: {cache}
              data_files: {{test: {folder / (name + '.jsonl')}}}
            output_type: multiple_choice
            doc_to_text: "{{{{question}}}}"
            doc_to_target: answer
            doc_to_choice: "{{{{choices}}}}"
            metric_list:
              - metric: acc
        """))
    (folder / "toy_group.yaml").write_text("group: toy_group\ntask: [toy_geo, toy_rest]\n")
    return folder


@pytest.fixture
def tasks_folder(tmp_path: Path) -> Path:
    return write_tasks(tmp_path / "lm_tasks")


def lmeval(folder: Path, name: str, **options) -> LmevalTask:
    return make_named_task(name, {"include_path": str(folder), **options})


def reference_instances(folder: Path, name: str, seed: int, num_fewshot: int | None = None) -> list:
    """lm-eval's own requests for a task (its ``build_all_requests``), few-shot seeded as its
    evaluator seeds them."""
    from lm_eval.tasks import TaskManager

    task = TaskManager(include_path=str(folder), include_defaults=False).load([name])["tasks"][name]
    if num_fewshot is not None:
        task.set_config(key="num_fewshot", value=num_fewshot)
    elif task.get_config("num_fewshot") is None:
        task.set_config(key="num_fewshot", value=0)
    task.set_fewshot_seed(seed=seed)
    task.build_all_requests()
    return task.instances


def scoring_item(sample, row: dict) -> ScoringItem:
    return ScoringItem(variant="v", task="t", sample=sample, repetition=0, row=row)


# ---------------------------------------------------------------------------------------------
# Items: lm-eval's documents, prompts and few-shot contexts
# ---------------------------------------------------------------------------------------------


def test_choice_items_are_lm_evals_own_requests_with_seeded_fewshot(tasks_folder):
    task = lmeval(tasks_folder, "toy_mc", num_fewshot=2)
    samples = task.samples(None, seed=7)
    reference = reference_instances(tasks_folder, "toy_mc", seed=7, num_fewshot=2)

    assert task.mode == "loglikelihood"
    assert len(samples) == len(QUESTIONS)
    by_doc = {}
    for instance in reference:
        by_doc.setdefault(instance.doc_id, []).append(instance.arguments)
    for sample, (doc_id, arguments) in zip(samples, sorted(by_doc.items()), strict=True):
        assert sample.metadata["lmeval"]["doc_id"] == doc_id
        assert sample.context == arguments[0][0]
        assert sample.continuations == tuple(argument[1] for argument in arguments)
        assert sample.context.count("Question:") == 3  # two examples, then the question itself
    assert samples[0].continuations == (" 3", " 4", " five")
    assert samples[0].answer == "1" and samples[0].reference == "4"


def test_fewshot_examples_follow_the_experiment_seed(tasks_folder):
    task = lmeval(tasks_folder, "toy_mc", num_fewshot=2)
    first = [sample.context for sample in task.samples(None, seed=1)]
    again = [sample.context for sample in task.samples(None, seed=1)]
    other = [sample.context for sample in task.samples(None, seed=2)]
    assert first == again
    assert first != other
    assert [sample.id for sample in task.samples(None, seed=2)] == [sample.id for sample in task.samples(None, seed=1)]


def test_sample_ids_are_lm_evals_document_hashes_and_limit_takes_the_first_documents(tasks_folder):
    from lm_eval.utils import handle_non_serializable, hash_string

    samples = lmeval(tasks_folder, "toy_mc").samples(3, seed=0)
    first_doc = {"question": QUESTIONS[0][0], "choices": QUESTIONS[0][1], "answer": 1, "subject": "math"}
    digest = hash_string(json.dumps(first_doc, indent=2, default=handle_non_serializable, ensure_ascii=False))
    assert [sample.metadata["lmeval"]["doc_id"] for sample in samples] == [0, 1, 2]
    assert samples[0].id == f"toy_mc/{digest[:16]}"


def test_a_task_over_a_parquet_file_reads_the_same_documents(tasks_folder):
    import pyarrow
    import pyarrow.parquet

    rows = [json.loads(line) for line in (tasks_folder / "mc.jsonl").read_text().splitlines()]
    pyarrow.parquet.write_table(pyarrow.Table.from_pylist(rows), tasks_folder / "mc.parquet")
    yaml = (tasks_folder / "toy_mc.yaml").read_text()
    (tasks_folder / "toy_mc_parquet.yaml").write_text(
        yaml.replace("task: toy_mc", "task: toy_mc_parquet").replace("dataset_path: json", "dataset_path: parquet")
        .replace("mc.jsonl", "mc.parquet")
    )
    from_json = lmeval(tasks_folder, "toy_mc").samples(None, 0)
    from_parquet = lmeval(tasks_folder, "toy_mc_parquet").samples(None, 0)
    assert [s.context for s in from_parquet] == [s.context for s in from_json]
    assert [s.id.split("/")[1] for s in from_parquet] == [s.id.split("/")[1] for s in from_json]


def test_generation_items_carry_the_tasks_stop_sequences_budget_and_plain_prompt(tasks_folder):
    task = lmeval(tasks_folder, "toy_math")
    samples = task.samples(None, seed=3)
    reference = reference_instances(tasks_folder, "toy_math", seed=3)

    assert task.mode == "generate"
    assert [sample.prompt for sample in samples] == [instance.arguments[0] for instance in reference]
    assert samples[0].stop == ("Question:", "</s>")
    assert samples[0].max_tokens == 48 and samples[0].chat is False
    assert samples[0].reference == WORD_PROBLEMS[0][1]
    assert samples[0].prompt.count("Question:") == 2  # the task's own num_fewshot: 1


def test_a_group_clusters_its_items_by_leaf_task_and_limits_each_leaf(tasks_folder):
    task = lmeval(tasks_folder, "toy_group")
    samples = task.samples(2, seed=0)
    assert {sample.group for sample in samples} == {"toy_geo", "toy_rest"}
    assert [sample.group for sample in samples].count("toy_geo") == 2
    assert [sample.group for sample in samples].count("toy_rest") == 2
    assert set(task.provenance["tasks"]) == {"toy_geo", "toy_rest"}
    assert lmeval(tasks_folder, "toy_mc").samples(None, 0)[0].group is None  # a single task: no clusters


# ---------------------------------------------------------------------------------------------
# Metrics: lm-eval's process_results and filters
# ---------------------------------------------------------------------------------------------


def test_choice_metrics_equal_lm_evals_own_process_results(tasks_folder):
    task = lmeval(tasks_folder, "toy_mc")
    sample = task.samples(None, 0)[0]  # choices "3", "4", "five"; gold index 1
    # The raw log-probabilities favour "4" (acc); per character, "five" wins (acc_norm).
    logprobs = [-3.0, -2.0, -2.4]
    item = scoring_item(sample, {"choice_logprobs": logprobs, "text": "2"})
    acc, acc_norm = (LmevalMetric(key).score([item])[0] for key in ("acc", "acc_norm"))
    assert (acc, acc_norm) == (1.0, 0.0)

    lm_task = leaf_tasks("toy_mc", (str(tasks_folder.resolve()),))["toy_mc"]
    expected = lm_task.process_results(sample.metadata["lmeval"]["doc"], [(value, False) for value in logprobs])
    assert (acc, acc_norm) == (expected["acc"], expected["acc_norm"])
    assert task.quality == QualitySignal(("lmeval:acc",), PROPORTION)
    assert task.default_metrics == ("lmeval:acc", "lmeval:acc_norm")  # f1 is a corpus aggregate


def test_generation_metrics_apply_each_filter_pipeline_as_lm_eval_does(tasks_folder):
    task = lmeval(tasks_folder, "toy_math")
    samples = task.samples(None, 0)
    answers = [" 3 plus 4 is 7.\n#### 7", " It is 8", " 6*7=41\n#### 41", " 1000+234\n#### 1,234"]
    items = [scoring_item(sample, {"text": text}) for sample, text in zip(samples, answers, strict=True)]
    strict = LmevalMetric("exact_match,strict-match").score(items)
    flexible = LmevalMetric("exact_match,flexible-extract").score(items)
    assert strict == [1.0, 0.0, 0.0, 1.0]
    assert flexible == [1.0, 1.0, 0.0, 1.0]
    assert task.quality == QualitySignal(("lmeval:exact_match,strict-match",), PROPORTION)
    assert LmevalMetric("exact_match,no-such-filter").score(items) == [None] * 4


def test_metric_is_none_for_items_of_other_tasks(tasks_folder):
    from qframe.plugin_api.protocols import Sample

    item = scoring_item(Sample(id="x", prompt="p"), {"text": "7"})
    assert LmevalMetric("acc").score([item]) == [None]


# ---------------------------------------------------------------------------------------------
# Refusals: one line each
# ---------------------------------------------------------------------------------------------


def test_unknown_task_names_close_matches():
    with pytest.raises(ConfigError, match=r"'arc_esy' is no lm-eval task.*did you mean arc_easy"):
        make_named_task("arc_esy", {})


def test_unsupported_output_types_and_options_are_one_line(tasks_folder):
    (tasks_folder / "toy_ll.yaml").write_text(
        (tasks_folder / "toy_geo.yaml").read_text().replace("toy_geo\n", "toy_ll\n", 1)
        .replace("multiple_choice", "loglikelihood")
    )
    with pytest.raises(ConfigError, match=r"'toy_ll' is not supported by qframe: output type loglikelihood"):
        lmeval(tasks_folder, "toy_ll")
    with pytest.raises(ConfigError, match=r"options.num_fewshot: must be a whole number"):
        lmeval(tasks_folder, "toy_mc", num_fewshot=-1)
    with pytest.raises(ConfigError, match=r"options.include_path: .*no such folder"):
        make_named_task("toy_mc", {"include_path": str(tasks_folder / "missing")})
    with pytest.raises(ConfigError, match=r"unknown option; allowed: task, num_fewshot, include_path"):
        lmeval(tasks_folder, "toy_mc", shots=2)


def test_a_dataset_that_cannot_be_read_is_one_line(tasks_folder):
    (tasks_folder / "mc.jsonl").unlink()
    with pytest.raises(BadInputError, match=r"lm-eval task 'toy_mc': its dataset could not be loaded: FileNotFoundError"):
        lmeval(tasks_folder, "toy_mc")


# ---------------------------------------------------------------------------------------------
# Through the CLI: validate, run, report, gate, resume
# ---------------------------------------------------------------------------------------------


def ladder_config(folder: Path, runs: Path) -> str:
    return f"""
        [experiment]
        name = "lmeval-ladder"
        seed = 42
        max_tokens = 16
        output_dir = "{runs}"

        [ladder]
        backend = "mock"
        model = "tiny-{{quant}}"
        quants = ["F16", "Q2_K"]
        baseline = "F16"

        [[tasks]]
        name = "lmeval:toy_mc"
        options = {{ include_path = "{folder}" }}

        [[tasks]]
        name = "lmeval:toy_math"
        options = {{ include_path = "{folder}" }}
    """


def test_a_run_through_lm_eval_tasks_reports_their_metrics_and_gates_on_them(tasks_folder, tmp_path, write_config, cli):
    import lm_eval

    runs = tmp_path / "runs"
    config = write_config(ladder_config(tasks_folder, runs))
    code, out, err = cli("run", str(config), "--no-progress")
    assert code == 0, err
    [run_dir] = list(runs.iterdir())
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["quality_signals"]["lmeval:toy_mc"] == {"metrics": ["lmeval:acc"], "kind": "proportion"}
    provenance = manifest["task_provenance"]["lmeval:toy_math"]
    assert provenance["lm_eval"] == lm_eval.__version__ and provenance["fewshot_seed"] == 42
    assert provenance["tasks"]["toy_math"]["num_fewshot"] == 1 and provenance["tasks"]["toy_math"]["documents"] == 4
    report = (run_dir / "report.md").read_text()
    assert "lmeval:toy_math/lmeval:exact_match,strict-match" in report
    assert "lmeval:toy_mc: lmeval:acc (proportion)" in report

    code, out, err = cli("gate", str(run_dir), "--candidate", "Q2_K")
    assert code in (0, 1, 4), err  # a verdict on the pooled lm-eval accuracy, never "bad input"
    assert "quality" in out


def test_resume_refuses_a_run_whose_lm_eval_documents_changed(tasks_folder, tmp_path, write_config, cli):
    runs = tmp_path / "runs"
    config = write_config(ladder_config(tasks_folder, runs))
    code, _, err = cli("run", str(config), "--no-progress")
    assert code == 0, err
    [run_dir] = list(runs.iterdir())
    rows = (tasks_folder / "math.jsonl").read_text().replace("6 times 7", "6 times 8")
    (tasks_folder / "math.jsonl").write_text(rows)
    leaf_tasks.cache_clear()  # as a new process: the documents are read again
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest["status"] = "interrupted"
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    code, _, err = cli("resume", str(run_dir), "--no-progress")
    assert code == 2
    assert "task lmeval:toy_math: its source changed since the run started (tasks)" in err


def test_an_unreadable_lm_eval_dataset_stops_the_run_before_a_run_directory_exists(tasks_folder, tmp_path, write_config, cli):
    runs = tmp_path / "runs"
    config = write_config(ladder_config(tasks_folder, runs))
    (tasks_folder / "math.jsonl").unlink()
    code, _, err = cli("run", str(config), "--no-progress")
    assert code == 2
    assert err.count("\n") == 1 and "lm-eval task 'toy_math': its dataset could not be loaded" in err
    assert not runs.exists() or not any(runs.iterdir())


def test_qframe_tasks_lists_lm_evals_catalogue(cli):
    code, out, err = cli("tasks", "lmeval", "gsm8k")
    assert code == 0, err
    assert "gsm8k  (task)" in out.splitlines()
    assert all("gsm8k" in line for line in out.splitlines())
    code, _, err = cli("tasks", "mock", "x")
    assert code == 2 and "offers no catalogue" in err
