"""DTN metrics (Taigman et al., ICLR 2017, §5): judge networks the translator never trained against.

Digits (the paper's protocol, §5.1): a classifier trained on the *target* domain (MNIST, the same
architecture as f) reads G(x) for x in the source test set; its accuracy against the *source* labels
says whether the digit survived the translation. Also reported: f's accuracy on the source test set
and the judge's accuracy on the target test set (the paper: 99.4 % on MNIST).

Faces (§5.2 has no numbers for CPU-sized models, so these are ours):

* **f-constancy** — mean d(f(x), f(G(x))) over test faces, beside the same distance between random
  pairs of test faces (ratio < 1 when G keeps what f sees) and beside d(f(x_i), f(G(x_j))) for another
  face j (``f_const_ratio_other_G``: < 1 when G(x) carries x's own features across the domain gap).
* **attribute agreement** — for Male, Blond_Hair, Black_Hair, Eyeglasses, Smiling: how often f's
  attribute head gives the same answer on x and on G(x). Circular (f also trained G) and f never saw
  emoji, so it is reported beside ``agree_chance`` = the agreement of two independent draws with the
  test-set attribute frequency.
* **emoji-ness** — share of G(x) that a face-vs-emoji classifier (trained on faces and emoji neither f
  nor G saw: CelebA *val* identities and 4/5 of the emoji, all vendors) calls emoji.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from xdomain.data.domains import celeba_columns
from xdomain.judges import judged
from xdomain.metrics.attributes import attribute_agreement
from xdomain.registry import register_metric

if TYPE_CHECKING:
    from xdomain.methods.dtn import DTN

EMOJI_CLASS = 1  # face-vs-emoji judge: 0 = photo, 1 = emoji


def accuracy(pred: torch.Tensor, labels: torch.Tensor) -> float:
    return (pred.cpu() == labels.cpu()).float().mean().item()


@register_metric("dtn_f_constancy")
def f_constancy(f_x: torch.Tensor, f_gx: torch.Tensor, seed: int = 0) -> dict[str, float]:
    """Mean MSE between f(x) and f(G(x)) vs between f(x_i) and f(x_j) for a random derangement j."""
    own = (f_x - f_gx).pow(2).mean(1).mean().item()
    g = torch.Generator().manual_seed(seed)
    n = len(f_x)
    perm = (torch.arange(n) + torch.randint(1, n, (n,), generator=g)) % n  # never i itself
    rand = (f_x - f_x[perm]).pow(2).mean(1).mean().item()
    other = (f_x - f_gx[perm]).pow(2).mean(1).mean().item()  # f(x_i) vs f(G(x_j)): same domain gap, other face
    return {"f_const_own": own, "f_const_random": rand, "f_const_ratio": own / max(rand, 1e-12),
            "f_const_other_G": other, "f_const_ratio_other_G": own / max(other, 1e-12)}


@torch.no_grad()
def digit_metrics(model: "DTN", data: dict[str, torch.Tensor], judge, limit: int | None) -> dict[str, float]:
    """``judge``: the MNIST classifier (``None`` if not available: its figures are left out)."""
    xs, ys = data["A"][:limit], data["label_A"][:limit]
    out = {"f_acc_on_source_test": accuracy(model.f.predict(xs), ys), "n_test": float(len(xs))}
    if judge is None:
        return out
    out["judge_acc_on_G_source_test"] = accuracy(judged(judge, model.translate_batched(xs)), ys)
    out["judge_acc_on_target_test"] = accuracy(judged(judge, data["B"][:limit]), data["label_B"][:limit])
    return out


@torch.no_grad()
def face_metrics(model: "DTN", data: dict[str, torch.Tensor], judge, limit: int | None) -> dict[str, float]:
    """``judge``: the face-vs-emoji classifier (``None`` if not available: emoji-ness is left out)."""
    x = data["A"][:limit]
    gx = model.translate_batched(x)
    ctx = lambda t: torch.cat([model.context(t[i:i + 500].to(model.device)).cpu() for i in range(0, len(t), 500)])  # noqa: E731
    out = f_constancy(ctx(x), ctx(gx))
    names = ["Male", "Blond_Hair", "Black_Hair", "Eyeglasses", "Smiling"]
    idx = celeba_columns(names)
    out |= attribute_agreement(model.f.predict(x)[:, idx], model.f.predict(gx)[:, idx], names)
    out["agree_mean"] = sum(out[f"agree_{n}"] for n in names) / len(names)
    if judge is not None:
        out["emojiness"] = (judged(judge, gx) == EMOJI_CLASS).float().mean().item()
        out["emojiness_of_real_faces"] = (judged(judge, x) == EMOJI_CLASS).float().mean().item()
    out["n_test"] = float(len(x))
    return out
