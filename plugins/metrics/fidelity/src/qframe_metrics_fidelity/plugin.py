"""Registers the fidelity metrics (they need ``top_logprobs`` > 0 in the experiment)."""

from __future__ import annotations

from qframe.plugin_api.hookspecs import hookimpl
from qframe.plugin_api.plugins import lazy

DESCRIPTIONS = {
    "kl_divergence": "mean per-token KL(baseline || variant) from top-k log-probabilities, nats",
    "top1_agreement": "share of compared positions where variant and baseline rank the same top token",
}


@hookimpl
def qframe_register_metrics(register) -> None:
    for name, description in DESCRIPTIONS.items():
        register(name, lazy("qframe_metrics_fidelity.metrics:make_metric", name), description)
