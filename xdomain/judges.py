"""Judges: the classifiers that read translations for the metrics, loaded in one place and passed in.

A method names the judges its metrics need by role (:meth:`xdomain.methods.base.Method.judge_names`,
e.g. ``{"attributes": "judge-celeba-robust", "plain": "judge-celeba-attrs"}``); :func:`load_judges`
turns those names into loaded :class:`~xdomain.methods.classifier.Classifier` objects (``None`` for a
judge that is not available, so the other metrics still stand) and the metric functions receive the
objects. Metric code never loads a checkpoint, and no training code path touches a judge.

Each loaded judge carries ``judge.stored_metrics``: its own test metrics as its checkpoint stores them
(e.g. per-attribute accuracy), copied beside the numbers it produces, and ``judge.calibration``:
per-attribute logit thresholds chosen on CelebA *validation* identities (:func:`calibrate`, stored by
``python -m experiments.calibrate_judge``; empty when not calibrated). A multi-label judge decides at
probability 0.5; some attributes are rare enough that this misses most positives (the robust judge calls
49% of real black-haired test faces black-haired), so pair verdicts that need a fair reading of a rare
attribute use the calibrated threshold instead (:func:`xdomain.metrics.discogan.domain_verdicts`).
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
    meta = hub.read_meta(judge.checkpoint_dir)
    judge.stored_metrics = meta.get("metrics", {})
    judge.stored_training = meta.get("training", {})  # steps, wall time: which training of the judge this is
    judge.calibration = meta.get("calibration", {})
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


def _fit(judge, x: torch.Tensor) -> torch.Tensor:
    """Images brought to the size and channels the judge was trained at."""
    x = domains.resize(x, judge.cfg.image_size)
    if x.shape[1] != judge.cfg.channels:
        x = x.mean(1, keepdim=True) if judge.cfg.channels == 1 else x.expand(-1, judge.cfg.channels, -1, -1)
    return x


@torch.no_grad()
def judged(judge, x: torch.Tensor) -> torch.Tensor:
    """A judge's predictions (class indices, or 0/1 per attribute) on images of any size."""
    return judge.predict(_fit(judge, x))


@torch.no_grad()
def judged_logits(judge, x: torch.Tensor) -> torch.Tensor:
    """A judge's logits [N, K] on images of any size."""
    return judge.logits(_fit(judge, x))


def balanced_threshold(logit: torch.Tensor, label: torch.Tensor, grid: int = 101) -> tuple[float, float]:
    """The logit threshold maximising balanced accuracy (mean of the rates on positives and negatives)
    over a grid spanning the logits' 1st–99th percentiles → (threshold, balanced accuracy)."""
    pos = label.bool()
    if pos.all() or not pos.any():
        return 0.0, float("nan")
    lo, hi = torch.quantile(logit, torch.tensor([0.01, 0.99])).tolist()
    best = (0.0, -1.0)
    for t in torch.linspace(lo, hi, grid).tolist():
        said = logit > t
        bal = (said[pos].float().mean() + (~said[~pos]).float().mean()).item() / 2
        if bal > best[1]:
            best = (t, bal)
    return best


@torch.no_grad()
def calibrate(judge, images: torch.Tensor, labels: torch.Tensor, names: list[str]) -> dict[str, dict[str, float]]:
    """Per attribute: the balanced-accuracy threshold on a labelled set (use validation identities, never
    test), with the balanced accuracy at that threshold and at the default logit 0."""
    z = judged_logits(judge, images)
    out: dict[str, dict[str, float]] = {}
    for k, name in enumerate(names):
        t, bal = balanced_threshold(z[:, k], labels[:, k])
        pos = labels[:, k].bool()
        at0 = ((z[:, k] > 0)[pos].float().mean() + (z[:, k] <= 0)[~pos].float().mean()).item() / 2
        out[name] = {"threshold": t, "balanced_acc": bal, "balanced_acc_at_0": at0}
    return out
