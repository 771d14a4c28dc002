"""Choosing the test images a view opens on, so that its first picture shows what the model does.

* :func:`contrasting_index`  for interpolation: the image whose exclusive part (the colour) differs
  most from a reference image's, so the default frames visibly change;
* :func:`faithful_index`     for a plain translator: the first image whose translation a judge
  confidently reads as the input's label (no blob as the first example).

Both are deterministic (first ``n`` test images, fixed order, no randomness) and cheap (one batch).
"""
from __future__ import annotations

import torch

from xdomain.explore.codes import _model_input, check_side, direction_sides, require_codes


@torch.no_grad()
def contrasting_index(model, images: dict[str, torch.Tensor], ref: int = 0, n: int = 50) -> int:
    """Among images ``0..n`` (≠ ``ref``), the one whose exclusive code changes image ``ref`` most.

    For each side given in ``images`` (``{"A": [N,C,H,W], ...}``, test images in ``[-1, 1]``) the
    change is the mean pixel difference ``|decode(S_ref, E_i) − decode(S_ref, E_ref)|`` — the last
    and first frames of the exclusive interpolation from image ``ref`` to image ``i``. The score is
    the smallest change over the sides, each relative to that side's largest (a coloured background
    changes many more pixels than a coloured digit), so the pick works whichever side the view shows.
    """
    require_codes(model)
    score = None
    for side, x in images.items():
        x = _model_input(model, x[: n + 1])
        if len(x) < 2:
            return ref
        s, e = model.encode(x, check_side(side))  # s [k, ...], e [k, d]
        s_ref = s[ref:ref + 1].expand(len(x), *s.shape[1:])
        out = model.decode(s_ref, e, side)  # [k, C, H, W]: image ref's content, each image's code
        change = (out - out[ref:ref + 1]).abs().flatten(1).mean(1).cpu()  # [k]
        change = change / change.max().clamp_min(1e-8)  # relative to the side's biggest change
        score = change if score is None else torch.minimum(score, change)
    if score is None:
        return ref
    score[ref] = -1.0
    return int(score.argmax())


@torch.no_grad()
def faithful_index(model, x: torch.Tensor, labels: torch.Tensor, judge, direction: str, *, min_prob: float = 0.999,
                   max_ink_ratio: float | None = None) -> int | None:
    """The first ``i`` whose translation ``model.translate(x[i], direction)`` the ``judge`` reads as
    ``labels[i]`` with probability ≥ ``min_prob``; ``None`` when there is none.

    ``max_ink_ratio`` (line drawings on a dark background, e.g. digits): the translation may have at
    most this many times the input's bright pixels — a filled-in blob has many more than its input
    and can still be read "correctly" (the judge reads a blob made from a 9 as a 9 at 99.7%).
    """
    from xdomain import judges

    direction_sides(direction)
    x = _model_input(model, x)
    y = model.translate(x, direction)  # [N, C, H, W]
    prob = judges.judged_logits(judge, y).softmax(1)  # [N, K]
    labels = torch.as_tensor(labels).long().to(prob.device)
    ok = prob.gather(1, labels.view(-1, 1))[:, 0] >= min_prob
    if max_ink_ratio is not None:
        ink_in = (x > 0).flatten(1).float().mean(1).clamp_min(1e-6)
        ink_out = (y > 0).flatten(1).float().mean(1)
        ok &= (ink_out / ink_in).cpu().to(ok.device) <= max_ink_ratio
    hits = torch.nonzero(ok).flatten()
    return int(hits[0]) if len(hits) else None
