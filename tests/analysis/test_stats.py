"""Paired statistics checked against scipy/statsmodels, hand computation and published values."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from qframe.analysis import stats
from scipy import stats as scipy_stats
from statsmodels.stats.contingency_tables import mcnemar as statsmodels_mcnemar
from statsmodels.stats.inter_rater import cohens_kappa as statsmodels_kappa
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.weightstats import ttost_paired

RNG = np.random.default_rng(2024)
BASELINE = RNG.normal(0.70, 0.10, size=300)
VARIANT = BASELINE + RNG.normal(-0.02, 0.05, size=300)
BASELINE_CORRECT = RNG.random(400) < 0.65
VARIANT_CORRECT = np.where(RNG.random(400) < 0.12, ~BASELINE_CORRECT, BASELINE_CORRECT)


def binary_arm(correct: int, total: int) -> np.ndarray:
    """A 0/1 outcome array with ``correct`` ones out of ``total`` items."""
    return np.r_[np.ones(correct), np.zeros(total - correct)]


def paired_binary(b01: int, b10: int, both_right: int = 30, both_wrong: int = 10) -> tuple[list, list]:
    """Paired 0/1 arms with the given discordant counts (b01: only the variant right)."""
    a = [1] * both_right + [0] * both_wrong + [0] * b01 + [1] * b10
    b = [1] * both_right + [0] * both_wrong + [1] * b01 + [0] * b10
    return a, b


def test_importing_the_module_loads_no_numerical_library() -> None:
    code = (
        "import sys, qframe.analysis.stats; print([m for m in ('numpy', 'scipy', 'statsmodels') if m in sys.modules])"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


# --- Wilson ------------------------------------------------------------------------------------


def test_wilson_matches_statsmodels_and_the_closed_form() -> None:
    interval = stats.wilson_interval(45, 93)
    assert (interval.low, interval.high) == pytest.approx(proportion_confint(45, 93, method="wilson"))
    z, p, n = scipy_stats.norm.ppf(0.975), 45 / 93, 93
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half_width = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert interval.low == pytest.approx(centre - half_width)
    assert interval.high == pytest.approx(centre + half_width)


@pytest.mark.parametrize(
    ("wins", "low", "high"),
    # seed 004, "Win Rate Analysis (Excluding Ties)": 93 decisive matches.
    [(45, 0.385, 0.584), (48, 0.416, 0.615)],
)
def test_wilson_reproduces_the_published_win_rate_intervals(wins: int, low: float, high: float) -> None:
    interval = stats.wilson_interval(wins, 93)
    assert (interval.low, interval.high) == pytest.approx((low, high), abs=0.0006)


def test_wilson_stays_inside_the_unit_interval_at_the_edges() -> None:
    assert stats.wilson_interval(0, 20).low == pytest.approx(0.0, abs=1e-12)
    assert stats.wilson_interval(20, 20).high == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(("successes", "n", "confidence"), [(1, 0, 0.95), (5, 4, 0.95), (-1, 4, 0.95), (1, 4, 1.0)])
def test_wilson_rejects_impossible_counts(successes: int, n: int, confidence: float) -> None:
    with pytest.raises(ValueError):
        stats.wilson_interval(successes, n, confidence)


# --- sign test ---------------------------------------------------------------------------------


def test_sign_test_is_the_exact_two_sided_binomial_test() -> None:
    n = 93
    probabilities = [math.comb(n, k) / 2**n for k in range(n + 1)]
    expected = sum(p for p in probabilities if p <= probabilities[45] * (1 + 1e-9))
    assert stats.sign_test(45, 48) == pytest.approx(expected)
    assert stats.sign_test(48, 45) == stats.sign_test(45, 48)


def test_sign_test_is_close_to_the_published_p_value() -> None:
    # seed 004, "Statistical Significance": sign test p = 0.8357 for 45 wins vs 48 losses. That
    # figure is the continuity-corrected normal approximation; the exact test gives 0.8358.
    assert stats.sign_test(45, 48) == pytest.approx(0.8357, abs=2e-4)


def test_sign_test_without_decisive_comparisons_has_no_evidence() -> None:
    assert stats.sign_test(0, 0) == 1.0


def test_sign_test_rejects_negative_counts() -> None:
    with pytest.raises(ValueError):
        stats.sign_test(-1, 3)


# --- McNemar -----------------------------------------------------------------------------------


def test_mcnemar_counts_discordant_pairs_by_direction() -> None:
    result = stats.mcnemar_test(*paired_binary(b01=3, b10=9))
    assert (result.b01, result.b10) == (3, 9)


def test_mcnemar_exact_p_value_is_the_binomial_tail() -> None:
    result = stats.mcnemar_test(*paired_binary(b01=3, b10=9))
    assert result.exact
    assert result.p_value == pytest.approx(2 * sum(math.comb(12, k) for k in range(4)) / 2**12)
    assert result.statistic == 3


def test_mcnemar_chi_square_uses_the_continuity_correction() -> None:
    result = stats.mcnemar_test(*paired_binary(b01=20, b10=40))
    assert not result.exact
    assert result.statistic == pytest.approx((abs(20 - 40) - 1) ** 2 / 60)
    assert result.p_value == pytest.approx(scipy_stats.chi2.sf(result.statistic, df=1))


def test_mcnemar_matches_statsmodels_on_random_pairs() -> None:
    result = stats.mcnemar_test(BASELINE_CORRECT, VARIANT_CORRECT)
    table = [[0, result.b10], [result.b01, 0]]
    expected = statsmodels_mcnemar(table, exact=result.exact, correction=True)
    assert result.p_value == pytest.approx(expected.pvalue)


@pytest.mark.parametrize(("discordant", "exact"), [(25, True), (26, False)])
def test_mcnemar_switches_to_chi_square_above_25_discordant_pairs(discordant: int, exact: bool) -> None:
    assert stats.mcnemar_test(*paired_binary(b01=discordant - 10, b10=10)).exact is exact


def test_mcnemar_without_discordant_pairs_has_p_value_one() -> None:
    result = stats.mcnemar_test([1, 0, 1, 1], [1, 0, 1, 1])
    assert (result.b01, result.b10, result.p_value) == (0, 0, 1.0)


@pytest.mark.parametrize(("a", "b"), [([1, 0, 1], [1, 0]), ([1, 0, 2], [1, 0, 1]), ([], [])])
def test_mcnemar_rejects_mismatched_or_non_binary_arms(a: list, b: list) -> None:
    with pytest.raises(ValueError):
        stats.mcnemar_test(a, b)


# --- bootstrap ---------------------------------------------------------------------------------


def test_paired_bootstrap_is_the_percentile_interval_of_resampled_mean_differences() -> None:
    result = stats.paired_bootstrap_delta(BASELINE, VARIANT, n_resamples=2000, seed=7)
    difference = VARIANT - BASELINE
    items = np.random.default_rng(7).integers(0, difference.size, size=(2000, difference.size))
    expected_low, expected_high = np.quantile(difference[items].mean(axis=1), [0.025, 0.975])
    assert result.delta == pytest.approx(difference.mean())
    assert (result.low, result.high) == pytest.approx((expected_low, expected_high))


def test_paired_bootstrap_agrees_with_scipy_within_resampling_noise() -> None:
    result = stats.paired_bootstrap_delta(BASELINE, VARIANT)
    reference = scipy_stats.bootstrap(
        (VARIANT - BASELINE,), np.mean, n_resamples=2000, method="percentile", rng=np.random.default_rng(1)
    ).confidence_interval
    assert result.low == pytest.approx(reference.low, abs=0.002)
    assert result.high == pytest.approx(reference.high, abs=0.002)


def test_seeded_bootstraps_are_deterministic() -> None:
    first = stats.paired_bootstrap_delta(BASELINE, VARIANT, seed=3)
    assert stats.paired_bootstrap_delta(BASELINE, VARIANT, seed=3) == first
    assert stats.paired_bootstrap_delta(BASELINE, VARIANT, seed=4) != first


def test_paired_bootstrap_of_identical_arms_collapses_to_zero() -> None:
    assert stats.paired_bootstrap_delta([1, 0, 1, 1], [1, 0, 1, 1]) == stats.DeltaCI(0.0, 0.0, 0.0)


@pytest.mark.parametrize(("a", "b"), [([1.0, 2.0], [1.0]), ([], []), ([1.0, math.nan], [1.0, 2.0])])
def test_paired_bootstrap_rejects_bad_arms(a: list, b: list) -> None:
    with pytest.raises(ValueError):
        stats.paired_bootstrap_delta(a, b)


def test_cluster_bootstrap_with_one_item_per_cluster_is_the_paired_bootstrap() -> None:
    clusters = [f"item-{index}" for index in range(BASELINE.size)]
    assert stats.cluster_bootstrap_delta(BASELINE, VARIANT, clusters) == pytest.approx(
        stats.paired_bootstrap_delta(BASELINE, VARIANT)
    )


def test_cluster_bootstrap_widens_the_interval_when_clusters_move_together() -> None:
    subject_shift = np.repeat(RNG.normal(0.0, 0.05, size=10), 30)
    variant = BASELINE + subject_shift + RNG.normal(0.0, 0.01, size=300)
    subjects = np.repeat([f"subject-{index}" for index in range(10)], 30).tolist()
    clustered = stats.cluster_bootstrap_delta(BASELINE, variant, subjects)
    independent = stats.paired_bootstrap_delta(BASELINE, variant)
    assert clustered.delta == pytest.approx(independent.delta)
    assert clustered.high - clustered.low > 2 * (independent.high - independent.low)


def test_cluster_bootstrap_resamples_whole_clusters() -> None:
    # Every subject has the same mean difference, so no draw of whole subjects can move it.
    a = [0, 0, 0, 0, 0, 0]
    b = [0.2, 0.0, 0.1, 0.1, 0.0, 0.2]
    result = stats.cluster_bootstrap_delta(a, b, ["x", "x", "y", "y", "z", "z"])
    assert (result.delta, result.low, result.high) == pytest.approx((0.1, 0.1, 0.1))


def test_cluster_bootstrap_needs_one_cluster_per_item() -> None:
    with pytest.raises(ValueError):
        stats.cluster_bootstrap_delta([1, 0, 1], [1, 1, 1], ["x", "y"])


# --- t-tests and TOST --------------------------------------------------------------------------


def test_paired_t_test_matches_scipy() -> None:
    result = stats.paired_t_test(BASELINE, VARIANT)
    expected = scipy_stats.ttest_rel(VARIANT, BASELINE)
    assert (result.statistic, result.p_value, result.df) == pytest.approx((expected.statistic, expected.pvalue, 299))


def test_welch_t_test_matches_scipy() -> None:
    result = stats.welch_t_test(BASELINE[:120], VARIANT[150:])
    expected = scipy_stats.ttest_ind(VARIANT[150:], BASELINE[:120], equal_var=False)
    assert (result.statistic, result.p_value, result.df) == pytest.approx(
        (expected.statistic, expected.pvalue, expected.df)
    )


def test_welch_t_test_reproduces_a_published_adjacent_level_test() -> None:
    # seed 000 §15.1: llama3.1-8b Q3_K_S (0.699 of 485) vs Q2_K (0.581 of 485), p = 0.0001.
    result = stats.welch_t_test(binary_arm(339, 485), binary_arm(282, 485))
    assert result.p_value == pytest.approx(0.0001, abs=0.00005)


@pytest.mark.parametrize("test", [stats.paired_t_test, stats.welch_t_test])
def test_t_tests_without_spread_are_defined(test) -> None:
    assert test([1.0, 1.0], [1.0, 1.0]) == stats.TTestResult(0.0, 1.0, pytest.approx(math.nan, nan_ok=True))
    shifted = test([1.0, 1.0], [0.0, 0.0])
    assert (shifted.statistic, shifted.p_value) == (-math.inf, 0.0)


def test_t_tests_need_two_outcomes_per_arm() -> None:
    with pytest.raises(ValueError):
        stats.paired_t_test([1.0], [2.0])


def test_tost_matches_statsmodels_and_reports_the_90_percent_interval() -> None:
    result = stats.tost_paired(BASELINE, VARIANT, margin=0.03)
    expected_p, _, _ = ttost_paired(VARIANT, BASELINE, -0.03, 0.03)
    difference = VARIANT - BASELINE
    half_width = scipy_stats.t.ppf(0.95, df=299) * difference.std(ddof=1) / math.sqrt(300)
    assert result.p_value == pytest.approx(expected_p)
    assert (result.low, result.high) == pytest.approx((difference.mean() - half_width, difference.mean() + half_width))


def test_tost_shows_equivalence_exactly_when_the_interval_lies_inside_the_margin() -> None:
    for margin in (0.005, 0.01, 0.02, 0.03, 0.05):
        result = stats.tost_paired(BASELINE, VARIANT, margin=margin)
        assert result.equivalent is (-margin < result.low and result.high < margin)


def test_tost_on_binary_outcomes_uses_percentage_point_margins() -> None:
    a, b = paired_binary(b01=1, b10=1, both_right=600, both_wrong=398)
    assert stats.tost_paired(a, b, margin=0.01).equivalent
    a, b = paired_binary(b01=0, b10=40, both_right=600, both_wrong=360)
    assert stats.tost_paired(a, b, margin=0.01).verdict == "not_equivalent"


def test_tost_without_spread_shows_nothing() -> None:
    for shifted in (0.505, 0.6):
        result = stats.tost_paired([0.5, 0.5], [shifted, shifted], margin=0.01)
        assert result.verdict == "inconclusive" and not result.equivalent and math.isnan(result.p_value)
        assert result.low == result.high == pytest.approx(shifted - 0.5)


def test_tost_needs_a_positive_margin() -> None:
    with pytest.raises(ValueError):
        stats.tost_paired(BASELINE, VARIANT, margin=0.0)


# --- multiple comparisons ----------------------------------------------------------------------


def test_holm_by_hand() -> None:
    # sorted: 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 raised to the running maximum 0.06.
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert stats.holm([]) == []


def test_holm_rejects_values_that_are_not_p_values() -> None:
    with pytest.raises(ValueError):
        stats.holm([0.2, 1.5])


def test_holm_by_family_corrects_within_each_family_and_keeps_key_order() -> None:
    p_values = {("mmlu", "q8"): 0.04, ("ner", "q4"): 0.01, ("mmlu", "q4"): 0.01, ("ner", "q8"): 0.5}
    adjusted = stats.holm_by_family(p_values, family_of=lambda key: key[0])
    assert list(adjusted) == list(p_values)
    assert adjusted == pytest.approx(
        {("mmlu", "q8"): 0.04, ("ner", "q4"): 0.02, ("mmlu", "q4"): 0.02, ("ner", "q8"): 0.5}
    )


# --- effect sizes and resolution ---------------------------------------------------------------


def test_cohens_d_by_hand() -> None:
    a, b = [1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0, 7.0]
    pooled_sd = math.sqrt((3 * np.var(a, ddof=1) + 4 * np.var(b, ddof=1)) / 7)
    assert stats.cohens_d(a, b) == pytest.approx((5.0 - 2.5) / pooled_sd)


def test_cohens_d_reproduces_a_published_adjacent_level_effect() -> None:
    # seed 000 §15.1: llama3.1-8b Q3_K_S (0.699 of 485) vs Q2_K (0.581 of 485), d = -0.246.
    assert stats.cohens_d(binary_arm(339, 485), binary_arm(282, 485)) == pytest.approx(-0.246, abs=0.002)


def test_paired_cohens_d_is_mean_difference_over_its_standard_deviation() -> None:
    difference = VARIANT - BASELINE
    assert stats.cohens_d_paired(BASELINE, VARIANT) == pytest.approx(difference.mean() / difference.std(ddof=1))


@pytest.mark.parametrize("effect_size", [stats.cohens_d, stats.cohens_d_paired])
def test_effect_sizes_without_spread_are_defined(effect_size) -> None:
    assert effect_size([2.0, 2.0], [2.0, 2.0]) == 0.0
    assert effect_size([2.0, 2.0], [3.0, 3.0]) == math.inf


def test_mde_reproduces_the_published_resolution_of_the_decision_matrix() -> None:
    # seed 000 §16.1: N=485 per variant detects 9.0pp on benchmark accuracy and, N=250, d=0.251
    # on continuous generation metrics (normal approximation, alpha 0.05, power 0.80).
    assert stats.minimum_detectable_effect(485, baseline_rate=0.5) == pytest.approx(9.0, abs=0.05)
    assert stats.mde_continuous(250, sd=1.0) == pytest.approx(0.251, abs=0.0005)


def test_paired_mde_reproduces_the_published_resolution_of_the_paired_design() -> None:
    # seed 002, "Power": n=499 paired items with a per-item difference SD of 0.30 detect 3.8pp.
    assert 100 * stats.mde_continuous(499, sd=0.30, paired=True) == pytest.approx(3.8, abs=0.05)


def test_mde_is_the_normal_approximation_formula() -> None:
    z_sum = scipy_stats.norm.ppf(0.975) + scipy_stats.norm.ppf(0.8)
    assert stats.minimum_detectable_effect(300, 0.7) == pytest.approx(100 * z_sum * math.sqrt(2 * 0.21 / 300), rel=1e-4)
    assert stats.minimum_detectable_effect(300, 0.7, discordant_rate=0.1) == pytest.approx(
        100 * z_sum * math.sqrt(0.1 / 300), rel=1e-4
    )
    assert stats.mde_continuous(80, sd=2.0, alpha=0.01, power=0.9) == pytest.approx(
        2.0 * (scipy_stats.norm.ppf(0.995) + scipy_stats.norm.ppf(0.9)) * math.sqrt(2 / 80), rel=1e-4
    )


def test_pairing_with_uncorrelated_arms_gives_the_unpaired_mde() -> None:
    assert stats.minimum_detectable_effect(485, 0.6, discordant_rate=2 * 0.6 * 0.4) == pytest.approx(
        stats.minimum_detectable_effect(485, 0.6)
    )


@pytest.mark.parametrize(
    "arguments",
    [{"n": 1, "baseline_rate": 0.5}, {"n": 100, "baseline_rate": 1.0}, {"n": 100, "baseline_rate": 0.5, "power": 1.2}],
)
def test_mde_rejects_impossible_designs(arguments: dict) -> None:
    with pytest.raises(ValueError):
        stats.minimum_detectable_effect(**arguments)


# --- Cohen's kappa -----------------------------------------------------------------------------

JUDGE_A = ["refused"] * 40 + ["complied"] * 45 + ["partial"] * 15
JUDGE_B = ["refused"] * 34 + ["complied"] * 6 + ["complied"] * 41 + ["partial"] * 4 + ["partial"] * 12 + ["refused"] * 3


def test_kappa_matches_statsmodels() -> None:
    result = stats.cohen_kappa(JUDGE_A, JUDGE_B)
    table = np.array(
        [
            [result.confusion[(x, y)] for y in ("refused", "complied", "partial")]
            for x in ("refused", "complied", "partial")
        ]
    )
    assert result.kappa == pytest.approx(statsmodels_kappa(table).kappa)
    assert result.agreement == pytest.approx((34 + 41 + 12) / 100)


def test_kappa_confusion_counts_every_label_pair() -> None:
    confusion = stats.cohen_kappa(JUDGE_A, JUDGE_B).confusion
    assert len(confusion) == 9
    assert confusion[("refused", "complied")] == 6
    assert confusion[("partial", "refused")] == 3
    assert confusion[("refused", "partial")] == 0
    assert sum(confusion.values()) == 100


def test_kappa_interval_is_seeded_and_brackets_the_estimate() -> None:
    result = stats.cohen_kappa(JUDGE_A, JUDGE_B, n_resamples=500, seed=5)
    assert result.low < result.kappa < result.high
    assert stats.cohen_kappa(JUDGE_A, JUDGE_B, n_resamples=500, seed=5) == result


def test_kappa_of_one_shared_label_is_perfect_agreement() -> None:
    result = stats.cohen_kappa(["safe"] * 6, ["safe"] * 6)
    assert (result.kappa, result.low, result.high, result.agreement) == (1.0, 1.0, 1.0, 1.0)


def test_kappa_of_systematic_disagreement_is_negative() -> None:
    assert stats.cohen_kappa(["yes", "no"] * 5, ["no", "yes"] * 5).kappa == pytest.approx(-1.0)


@pytest.mark.parametrize(("a", "b"), [(["x", "y"], ["x"]), ([], [])])
def test_kappa_rejects_unpaired_labels(a: list, b: list) -> None:
    with pytest.raises(ValueError):
        stats.cohen_kappa(a, b)


def test_batched_paired_bootstrap_equals_separate_calls() -> None:
    rng = np.random.default_rng(3)
    base = rng.integers(0, 2, 200).astype(float)
    arms = [rng.integers(0, 2, 200).astype(float), rng.normal(size=200), base.copy()]
    batched = stats.paired_bootstrap_deltas([(base, arm) for arm in arms], n_resamples=500, seed=9)
    for arm, result in zip(arms, batched, strict=True):
        single = stats.paired_bootstrap_delta(base, arm, n_resamples=500, seed=9)
        assert result.delta == pytest.approx(single.delta)
        assert result.low == pytest.approx(single.low) and result.high == pytest.approx(single.high)
    assert stats.paired_bootstrap_deltas([]) == []


def test_wilson_ends_are_exact_and_fractional_counts_are_accepted() -> None:
    """A rate of 0 or 1 has its bound exactly at 0 or 1 (the report's error bars need point inside
    interval), and item means summed to a fraction get the interval between their neighbours'."""
    for n in range(1, 300):
        assert stats.wilson_interval(n, n).high == 1.0 and stats.wilson_interval(0, n).low == 0.0
    between = stats.wilson_interval(10.5, 40)
    assert stats.wilson_interval(10, 40).low < between.low < stats.wilson_interval(11, 40).low
