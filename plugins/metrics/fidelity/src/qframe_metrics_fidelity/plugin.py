"""Registers the fidelity metrics (they need ``top_logprobs`` > 0 in the experiment)."""

from __future__ import annotations

from qframe.hookspecs import hookimpl

DESCRIPTIONS = {
    "kl_divergence": "mean per-token KL(baseline || variant) from top-k log-probabilities, nats",
    "top1_agreement": "share of compared positions where variant and baseline rank the same top token",
}


@hookimpl
def qframe_register_metrics(register) -> None:
    from qframe_metrics_fidelity.metrics import factory_for

    for name, description in DESCRIPTIONS.items():
        register(name, factory_for(name), description)
