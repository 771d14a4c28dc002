"""Judges: the classifiers that read translations for the metrics, loaded in one place and passed in.

A method names the judges its metrics need by role (:meth:`xdomain.methods.base.Method.judge_names`,
e.g. ``{"attributes": "judge-celeba-robust", "plain": "judge-celeba-attrs"}``); :func:`load_judges`
turns those names into loaded :class:`~xdomain.methods.classifier.Classifier` objects (``None`` for a
judge that is not available, so the other metrics still stand) and the metric functions receive the
objects. Metric code never loads a checkpoint, and no training code path touches a judge.

Each loaded judge carries ``judge.stored_metrics``: its own test metrics as its checkpoint stores them
(e.g. per-attribute accuracy), copied beside the numbers it produces.
"""
from __future__ import annotations

from typing import Any, Mapping

import torch

from xdomain.data import domains


def load_judge(name: str, *, allow_download: bool = False):
    """One judge by checkpoint name or folder, or ``None`` if it is not available here."""
    from xdomain import hub

    try:
        judge = hub.load_model(name, allow_download=allow_download)
    except hub.CheckpointError:
        return None
    if getattr(judge, "kind", "") != "judge":
        raise ValueError(f"checkpoint {name!r} is a {judge.name} model, not a judge")
    judge.stored_metrics = hub.read_meta(judge.checkpoint_dir).get("metrics", {})
    return judge


def load_judges(names: Mapping[str, str], *, allow_download: bool = False) -> dict[str, Any]:
    """Role → loaded judge (or ``None``), each checkpoint loaded once."""
    cache: dict[str, Any] = {}
    out = {}
    for role, name in names.items():
        if name not in cache:
            cache[name] = load_judge(name, allow_download=allow_download)
        out[role] = cache[name]
    return out


@torch.no_grad()
def judged(judge, x: torch.Tensor) -> torch.Tensor:
    """A judge's predictions on images brought to the size and channels it was trained at."""
    x = domains.resize(x, judge.cfg.image_size)
    if x.shape[1] != judge.cfg.channels:
        x = x.mean(1, keepdim=True) if judge.cfg.channels == 1 else x.expand(-1, judge.cfg.channels, -1, -1)
    return judge.predict(x)
