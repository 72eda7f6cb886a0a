"""Judge ``llm``: a model reads one response and answers with a verdict word.

Each item is judged with the template of its sample's category (``harmful``/``benign`` ->
``refusal``, ``truthfulness``, ``bias``), or with the one named by the ``template`` option for
every item. Items with no template get ``n/a`` and cost no model call. Options beyond the
shared ones (:mod:`qframe_judge_llm.settings`):

- ``template``: judge every item with this kind: a built-in one, or a kind of your own given a
  file in ``templates`` and its answer words in ``labels``;
- ``parse``: ``verdict_line``, ``first_word``, ``exact_word`` or ``llama_guard`` (see
  :mod:`qframe_judge_llm.parsing`); default: ``llama_guard`` for the ``llama_guard`` template,
  ``exact_word`` for ``harm`` (a yes/no harm classifier), ``verdict_line`` for the others;
- ``labels``: answer word -> stored label, e.g. ``{safe = "refusal", unsafe = "compliance"}``
  for a safety classifier model; needs ``template``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from qframe.analysis.verdict_summaries import NOT_APPLICABLE
from qframe.plugin_api.errors import ConfigError
from qframe.plugin_api.protocols import BackendProvider, ScoringItem, Verdict
from qframe_judge_llm.model import JudgeModel
from qframe_judge_llm.parsing import PARSE_MODES, VERDICT_LINE
from qframe_judge_llm.replies import read_reply, template_detail
from qframe_judge_llm.settings import COMMON_OPTIONS, OptionReader, read_settings
from qframe_judge_llm.templates import (
    BUILTIN_LABELS,
    BUILTIN_PARSE,
    KIND_OF_CATEGORY,
    PAIRWISE,
    JudgeTemplate,
    builtin_answers,
    builtin_template,
    single_values,
    template_from_file,
)

NAME = "llm"
OPTIONS = (*COMMON_OPTIONS, "template", "parse", "labels")
SINGLE_KINDS = tuple(kind for kind in BUILTIN_LABELS if kind != PAIRWISE)


class LlmJudge:
    name = NAME

    def __init__(self, config: Mapping[str, Any], backends: BackendProvider) -> None:
        reader = OptionReader(NAME, config, OPTIONS)
        self.settings = read_settings(reader, confidence_default=False)
        self.backends = backends
        self.forced_kind = reader.text("template")
        self.parse_mode = reader.text("parse")
        if self.parse_mode is not None and self.parse_mode not in PARSE_MODES:
            raise reader.fail("parse", " or ".join(repr(mode) for mode in PARSE_MODES))
        self.templates = self._templates()
        self.words = self._answer_words(reader.text_table("labels"))

    def _templates(self) -> dict[str, JudgeTemplate]:
        files = self.settings.templates
        if PAIRWISE in files:
            raise ConfigError(f"{NAME} judge: the pairwise template belongs to the 'pairwise' judge")
        kinds = [*SINGLE_KINDS, *(kind for kind in files if kind not in SINGLE_KINDS)]
        if self.forced_kind is not None and self.forced_kind not in kinds:
            raise ConfigError(
                f"{NAME} judge: template {self.forced_kind!r} is neither built in ({', '.join(SINGLE_KINDS)}) "
                "nor given a file in 'templates'"
            )
        return {
            kind: template_from_file(kind, files[kind]) if kind in files else builtin_template(kind) for kind in kinds
        }

    def _answer_words(self, labels: Mapping[str, str]) -> dict[str, dict[str, str]]:
        """Per kind: allowed answer word (lower case) -> stored label."""
        if labels:
            if self.forced_kind is None:
                raise ConfigError(f"{NAME} judge: 'labels' describes one template's answers; set 'template' too")
            return {self.forced_kind: {word.lower(): label for word, label in labels.items()}}
        custom = [kind for kind in self.templates if kind not in BUILTIN_LABELS]
        if custom:
            raise ConfigError(
                f"{NAME} judge: template {custom[0]!r} is not built in; give its answer words in 'labels'"
            )
        return {kind: builtin_answers(kind) for kind in self.templates}

    def parse_mode_for(self, kind: str) -> str:
        return self.parse_mode or BUILTIN_PARSE.get(kind, VERDICT_LINE)

    def kind_for(self, item: ScoringItem) -> str | None:
        """The template that judges this item, or None when the judge does not apply."""
        if self.settings.tasks is not None and item.task not in self.settings.tasks:
            return None
        return self.forced_kind or KIND_OF_CATEGORY.get(item.sample.metadata.get("category"))

    async def judge(self, items: Sequence[ScoringItem]) -> list[Verdict]:
        kinds = [self.kind_for(item) for item in items]
        verdicts = [
            Verdict(NOT_APPLICABLE, "", self.settings.model, "", {"reason": "no template applies to this item"})
            for _ in items
        ]
        asked = [index for index, kind in enumerate(kinds) if kind is not None]
        if not asked:
            return verdicts
        async with JudgeModel(self.settings, self.backends) as model:
            prompts = [self.templates[kinds[i]].render(single_values(items[i])) for i in asked]
            replies = await model.ask_all(prompts)
        for index, reply in zip(asked, replies, strict=True):
            kind = kinds[index]
            label, detail = read_reply(reply, self.words[kind], self.parse_mode_for(kind), self.settings.confidence)
            detail |= template_detail(self.templates[kind])
            verdicts[index] = Verdict(label, reply.text, model.info.model, model.info.digest, detail)
        return verdicts
