"""Experiment configuration: the sections of a config file, the experiment they make, and how a
file is read and checked.

- :mod:`.sections`: one attrs class per TOML table, with its validators;
- :mod:`.experiment`: :class:`Experiment` and the variants it resolves to (ladder, baselines);
- :mod:`.loading`: TOML -> :class:`Experiment` (one-line errors), hashing, plugin references;
- :mod:`.errors`: cattrs' nested errors as one line with the key path.
"""

from qframe.config.experiment import BASELINE_PREFERENCE, Experiment
from qframe.config.loading import (
    check_references,
    config_hash,
    load_experiment,
    read_toml,
    structure_experiment,
    unstructure_experiment,
)
from qframe.config.sections import (
    STOP_LABELS,
    AnalysisSection,
    DefaultsSection,
    ExecutorSection,
    ExperimentSection,
    FidelitySection,
    JudgeSection,
    LadderSection,
    Options,
    PluginRef,
    RetrySection,
    ScheduleSection,
    StoreSection,
    TaskSection,
    VariantSection,
)

__all__ = [
    "BASELINE_PREFERENCE", "STOP_LABELS", "AnalysisSection", "DefaultsSection", "ExecutorSection", "Experiment",
    "ExperimentSection", "FidelitySection", "JudgeSection", "LadderSection", "Options", "PluginRef", "RetrySection",
    "ScheduleSection", "StoreSection", "TaskSection", "VariantSection", "check_references", "config_hash",
    "load_experiment", "read_toml", "structure_experiment", "unstructure_experiment",
]
