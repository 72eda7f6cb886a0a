"""Paired statistics for comparing a quantized variant with its baseline on the same items.

Conventions shared by every function:

* ``a`` is the baseline arm and ``b`` the variant. Each holds one outcome per item, both in the
  same item order (the paired design). Differences are ``b - a``: a negative delta means the
  variant scores lower than its baseline.
* Binary outcomes are 0/1 or booleans; continuous outcomes are any finite numbers.
* Invalid input (an empty arm, arms of different lengths, NaN or infinite values, out-of-range
  parameters) raises ``ValueError``. Valid but degenerate input (no spread, no discordant
  pairs, a single label) gets the result each function documents.

numpy and scipy are imported inside the functions that use them, so importing this module stays
cheap. statsmodels is not used at run time (importing it costs about 2 s, mostly pandas); the
tests check every result against statsmodels instead.

Bootstrap resamples are drawn once per (size, resamples, seed) and reused:
a seeded bootstrap is deterministic, and the many comparisons of one analysis (every variant
against the same items) share one draw instead of paying for it again.
"""

from __future__ import annotations

from qframe.analysis.stats.agreement import cohen_kappa
from qframe.analysis.stats.bootstrap import (
    cluster_bootstrap_delta,
    cluster_bootstrap_deltas,
    paired_bootstrap_delta,
    paired_bootstrap_deltas,
)
from qframe.analysis.stats.differences import paired_t_test, tost_paired, welch_t_test
from qframe.analysis.stats.effects import (
    cohens_d,
    cohens_d_paired,
    items_needed,
    mde_continuous,
    minimum_detectable_effect,
    power_factor,
)
from qframe.analysis.stats.multiple import holm, holm_by_family
from qframe.analysis.stats.paired_proportions import (
    bounded_interval,
    equivalence_paired_binary,
    tango_interval,
    tango_statistic,
    verdict_from_interval,
)
from qframe.analysis.stats.proportions import MCNEMAR_EXACT_MAX_DISCORDANT, mcnemar_test, sign_test, wilson_interval
from qframe.analysis.stats.results import DeltaCI, Interval, KappaResult, McNemarResult, TostResult, TTestResult

__all__ = [
    "MCNEMAR_EXACT_MAX_DISCORDANT",
    "DeltaCI",
    "Interval",
    "KappaResult",
    "McNemarResult",
    "TTestResult",
    "TostResult",
    "bounded_interval",
    "cluster_bootstrap_delta",
    "cluster_bootstrap_deltas",
    "cohen_kappa",
    "cohens_d",
    "cohens_d_paired",
    "equivalence_paired_binary",
    "holm",
    "holm_by_family",
    "items_needed",
    "mcnemar_test",
    "mde_continuous",
    "minimum_detectable_effect",
    "paired_bootstrap_delta",
    "paired_bootstrap_deltas",
    "paired_t_test",
    "power_factor",
    "sign_test",
    "tango_interval",
    "tango_statistic",
    "tost_paired",
    "verdict_from_interval",
    "welch_t_test",
    "wilson_interval",
]
