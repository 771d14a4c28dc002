"""MNIST-CD ↔ MNIST-CB metrics of the disentanglement paper (Gonzalez-Garcia et al., NeurIPS 2018).

All on the 10k test pairs (``limit`` caps them); side A = MNIST-CD, side B = MNIST-CB.

* **Retrieval** (Table 1, Fig. 4b): Recall@1 CD→CB and CB→CD with shared / exclusive / pixel
  features, label-level (``recall1_label_*``, compare with the paper) and exact-pair
  (``recall1_exact_*``); union retrieval ``union_other_share_*`` (paper: 46% shared, ~0% pixels).
* **Visual analogies** (Table 3): for query q and reference r of the same domain, the output
  ``dec(S_q, E_r)`` is compared with the *exact* ground truth — q's grey digit rendered in r's
  colour, which we can do because the colours are known (:func:`cdcb_factors`). Distance: the
  Euclidean distance between the two images in [0, 1] divided by √(3·H·W), i.e. the per-value
  RMS error, reported ×10⁻² like Table 3 (``analogy_dist_CD``, ``analogy_dist_CB`` and ``_std``).
* **Diversity** (Fig. 3a): each of ``n_diverse`` test images is translated with 16 random z.
  ``digit_kept_*`` is the share of outputs in which an MNIST classifier trained on grey digits
  (checkpoint ``judge-mnist``) reads the input's label, after :func:`grey_digit` turns the colour
  image into a grey digit; ``colour_std_*`` is the std over z of the output's dominant colour
  (:func:`dominant_colour`, in [0, 1]; uniform random colours have std 0.289). ``judge_acc_gt_*``
  is the judge's accuracy on the ground-truth test images through the same conversion.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from xdomain.data import domains
from xdomain.metrics.retrieval import other_domain_share, recall_at_1_exact, recall_at_1_label
from xdomain.registry import register_metric

if TYPE_CHECKING:
    from xdomain.methods.disentangle import Disentangle

TAG = {"A": "CD", "B": "CB"}


def cdcb_factors(root, split: str, seed: int) -> dict[str, np.ndarray]:
    """The generative factors of MNIST-CD/CB: grey digits uint8 [N,32,32], colours [N,3] per side, labels."""
    x, y = domains.mnist_split(root, split)
    n = len(x)
    return {"grey": domains.pad32(x), "label": y, "A": domains.random_colours(n, seed, split, "CD"),
            "B": domains.random_colours(n, seed, split, "CB")}


def render(grey: np.ndarray, colours: np.ndarray, side: str, size: int = 32) -> torch.Tensor:
    """Grey digits [N,H,W] in ``colours`` [N,3] as side-A (digit coloured) or side-B (background) images."""
    paint = domains.colour_digit if side == "A" else domains.colour_background
    return domains.resize(domains.to_tensor(paint(grey, colours)), size)  # [N, 3, size, size] in [-1, 1]


def grey_digit(images: torch.Tensor, side: str) -> torch.Tensor:
    """Colour images [N,3,H,W] in [-1,1] → white-on-black digits [N,1,H,W] in [-1,1].

    CD: the digit is the only lit part, so take the max over channels; CB: the digit is white, so
    the min over channels is 1 on it and min(colour) on the background. Either way the background
    level is the per-image median (digits cover < 25% of the pixels) and the digit the maximum,
    and the map is stretched to [0, 1] between them.
    """
    v = (images + 1) / 2
    m = v.amax(1) if side == "A" else v.amin(1)  # [N, H, W]
    lo = m.flatten(1).median(1).values[:, None, None]
    hi = m.flatten(1).amax(1)[:, None, None]
    g = ((m - lo) / (hi - lo + 1e-3)).clamp(0, 1)
    return (g * 2 - 1).unsqueeze(1)


def dominant_colour(images: torch.Tensor, side: str) -> torch.Tensor:
    """Mean RGB [N,3] in [0,1] of the digit (side A) or of the background (side B)."""
    w = (grey_digit(images, side) + 1) / 2  # [N, 1, H, W] digit weight
    if side == "B":
        w = 1 - w
    v = (images + 1) / 2
    return (v * w).sum((2, 3)) / w.sum((2, 3)).clamp_min(1e-6)


@register_metric("analogy_distance")
def analogy_distance(output: torch.Tensor, target: torch.Tensor) -> tuple[float, float]:
    """Mean and std over images of ‖out − gt‖₂ / √(C·H·W) with both in [0, 1], ×10⁻² (Table 3 units)."""
    d = ((output - target) / 2).flatten(1).pow(2).mean(1).sqrt() * 100
    return d.mean().item(), d.std().item()


def _batched(fn, x: torch.Tensor, bs: int = 500) -> list[torch.Tensor]:
    outs = [fn(x[i:i + bs]) for i in range(0, len(x), bs)]
    return [torch.cat(parts) for parts in zip(*outs)] if isinstance(outs[0], tuple) else [torch.cat(outs)]


@torch.no_grad()
def evaluate_disentangle(model: "Disentangle", data: dict[str, torch.Tensor], judge_model, limit: int | None = None, *,
                         n_analogy: int = 1000, n_diverse: int = 300, n_z: int = 16, n_union: int = 1000,
                         seed: int = 0) -> dict[str, float]:
    """``data``: the split's paired views, labels and generative factors (``grey``, ``colour_A``,
    ``colour_B``); ``judge_model``: the grey-digit classifier (``None``: digit_kept is left out)."""
    cfg = model.cfg
    n = min(limit or len(data["A"]), len(data["A"]))
    x = {s: data[s][:n] for s in "AB"}
    labels = data["label_A"][:n]
    dev = model.device
    S, E = {}, {}
    for s in "AB":
        S[s], E[s] = (t.cpu() for t in _batched(lambda b, s=s: model.encode(b.to(dev), s), x[s]))
    out: dict[str, float] = {"n_test": float(n)}

    feats = {"shared": S, "exclusive": E, "pixels": x}
    for kind, f in feats.items():
        for q, d in (("A", "B"), ("B", "A")):
            key = f"{TAG[q].lower()}2{TAG[d].lower()}"
            out[f"recall1_label_{kind}_{key}"] = recall_at_1_label(f[q], f[d], labels, labels)
            out[f"recall1_exact_{kind}_{key}"] = recall_at_1_exact(f[q], f[d])
        out[f"union_other_share_{kind}"] = other_domain_share(f["A"], f["B"], n_queries=n_union, k=10)

    g = torch.Generator().manual_seed(seed)
    fac = {"grey": data["grey"].numpy(), "A": data["colour_A"].numpy(), "B": data["colour_B"].numpy()}
    na = min(n, n_analogy)
    ref = torch.randperm(n, generator=g)[:na]
    for s in "AB":
        pred = model.decode(S[s][:na].to(dev), E[s][ref].to(dev), s).cpu()
        target = render(fac["grey"][:na], fac[s][ref.numpy()], s, cfg.image_size)
        out[f"analogy_dist_{TAG[s]}"], out[f"analogy_dist_{TAG[s]}_std"] = analogy_distance(pred, target)
        out[f"exclusive_std_{TAG[s]}"] = E[s].std(0).mean().item()

    nd = min(n, n_diverse)
    for s, t in (("A", "B"), ("B", "A")):
        key = f"{TAG[s].lower()}2{TAG[t].lower()}"
        z = torch.randn(nd * n_z, cfg.exclusive_dim, generator=g).to(dev)  # [nd*16, 8]
        shared = S[s][:nd].repeat_interleave(n_z, 0).to(dev)
        imgs = torch.cat(_batched(lambda i: model.decode(shared[i], z[i], t).cpu(), torch.arange(len(z))))
        cols = dominant_colour(imgs, t).view(nd, n_z, 3)
        out[f"colour_std_{key}"] = cols.std(1).mean().item()
        if judge_model is not None:
            size = judge_model.cfg.image_size
            pred = judge_model.predict(domains.resize(grey_digit(imgs, t), size))
            out[f"digit_kept_{key}"] = (pred == labels[:nd].repeat_interleave(n_z)).float().mean().item()
            gt = judge_model.predict(domains.resize(grey_digit(x[t], t), size))
            out[f"judge_acc_gt_{TAG[t]}"] = (gt == labels).float().mean().item()
    return out
