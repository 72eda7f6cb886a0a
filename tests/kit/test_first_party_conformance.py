"""qframe's own plugins pass the conformance suites they offer to plugin authors."""

from __future__ import annotations

from typing import ClassVar

from qframe.testing import BackendConformance, JudgeConformance, MetricConformance, ReporterConformance, TaskConformance


class TestMockBackend(BackendConformance):
    backend = "mock"
    model = "tiny-F16"
    other_model = "tiny-Q4_K_M"
    transient_options: ClassVar = {"fault_rate": 1.0, "faults": ["error"]}


class TestMockTask(TaskConformance):
    task = "mock"


class TestMockMultipleChoiceTask(TaskConformance):
    task = "mock"
    options: ClassVar = {"mode": "loglikelihood"}


class TestRefusalTask(TaskConformance):
    task = "refusal"


class TestBiasTask(TaskConformance):
    task = "bias"


class TestExactMatchMetric(MetricConformance):
    metric = "exact_match"


class TestOutputLengthMetric(MetricConformance):
    metric = "output_length"


class TestLengthRatioMetric(MetricConformance):
    metric = "length_ratio"
    value_range = None


class TestRegexRefusalJudge(JudgeConformance):
    judge = "regex_refusal"
    labels = frozenset({"refusal", "compliance", "n/a"})


class TestLlmJudge(JudgeConformance):
    judge = "llm"
    options: ClassVar = {"backend": "mock", "model": "judge", "backend_options": {"responses": ["VERDICT: refusal"]}}
    labels = frozenset({"refusal", "compliance"})
    unparseable_options: ClassVar = {"backend_options": {"responses": ["%%garbage%%", ""]}}


class TestMarkdownReporter(ReporterConformance):
    reporter = "markdown"
