"""Attribute agreement between a judge's 0/1 answers on inputs and on their translations.

Shared by DTN (faces → emoji, :mod:`xdomain.metrics.dtn`) and DiscoGAN (attribute kept,
:mod:`xdomain.metrics.discogan`). For attribute k with answers a_i on x_i and b_i on G(x_i):
agreement = mean_i [a_i = b_i]; chance = p² + (1 − p)² with p = mean_i a_i, the agreement of two
independent draws at the inputs' rate (what a translator that ignores its input would score).
"""
from __future__ import annotations

import torch

from xdomain.registry import register_metric


@register_metric("attribute_agreement")
def attribute_agreement(pred_x: torch.Tensor, pred_gx: torch.Tensor, names: list[str]) -> dict[str, float]:
    """Per attribute: fraction where the 0/1 predictions on x and G(x) agree, and the chance level."""
    out: dict[str, float] = {}
    for k, name in enumerate(names):
        a, b = pred_x[:, k].float(), pred_gx[:, k].float()
        p = a.mean().item()
        out[f"agree_{name}"] = (a == b).float().mean().item()
        out[f"agree_chance_{name}"] = p * p + (1 - p) * (1 - p)
        out[f"rate_x_{name}"], out[f"rate_gx_{name}"] = p, b.mean().item()
    return out
