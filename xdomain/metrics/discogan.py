"""DiscoGAN metrics on images (Kim et al., ICML 2017, §3.2), judged by networks the translators never saw.

The paper shows CelebA results only as pictures (Figure 7); these numbers make its claims checkable.
All images are in [-1, 1]; "L1" below is the mean absolute pixel difference on the [0, 1] scale
(``|a − b| / 2`` averaged over pixels and channels).

CelebA pairs (judge = ``cfg.judge``, by default ``judge-celeba-robust``: a 40-attribute classifier
trained by this project on CelebA *train* identities, with half of its training images degraded by
pixel noise or blur so that it reads attributes rather than texture; its per-attribute accuracy on
*test* identities is copied next to the numbers as ``judge_test_acc_<attr>``). The same figures from
the plain judge ``judge-celeba-attrs`` (no degradation; also DTN's f) are stored with the prefix
``plain_judge_``: that judge calls 91% of clean test women young but 56% after adding N(0, 0.1²)
noise, so generator artifacts alone move its "Young" and "Smiling" verdicts.

With ``in_A`` / ``in_B`` the judge's verdict that an image belongs to domain A / B (e.g. Male /
not Male; Blond_Hair ∧ ¬Black_Hair / Black_Hair ∧ ¬Blond_Hair):

* ``flipped_a2b`` = mean in_B(G_AB(x_A)) over test x_A (``flipped_b2a`` likewise); beside it
  ``judge_in_B_real_B`` (the judge on real B: the ceiling) and ``judge_in_B_real_A`` (the floor).
* ``kept_<attr>_a2b`` for each of Male, Blond_Hair, Black_Hair, Eyeglasses, Smiling, Young that the
  pair does not change: the share of test faces where the judge says the same on x and on G(x);
  ``kept_mean_a2b`` averages them; ``kept_chance_<attr>_a2b`` is the agreement of two independent
  draws at the test-set rate, so a translator that ignores its input scores about that.

Bags ↔ shoes (judge = ``judge-fashion``, a Fashion-MNIST classifier): ``flipped_a2b`` = share of
G_AB(bag) read as footwear (Sandal, Sneaker or Ankle boot), ``flipped_b2a`` = share of G_BA(shoe) read
as Bag.

Every pair and variant:

* ``cycle_l1_a`` = L1(G_BA(G_AB(x_A)), x_A), ``cycle_l1_b`` likewise (variants with G_BA).
* ``drift_l1_a_k`` for k = 1, 2, 4 round trips x → (G_BA ∘ G_AB)^k(x) (Figure 7f's repeated conversions).
* ``diversity_a2b`` = mean pairwise L2 distance between translations ÷ the same between their inputs
  (over ``n_div`` test images): about 1 when the mapping keeps its inputs' variety, → 0 under mode
  collapse (the paper's §3.1 claim for DiscoGAN vs the two baselines).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from xdomain.data import sources
from xdomain.data.domains import celeba_columns
from xdomain.judges import judged_logits
from xdomain.metrics.attributes import attribute_agreement
from xdomain.registry import register_metric

if TYPE_CHECKING:
    from xdomain.methods.discogan import DiscoGAN

PLAIN_CELEBA_JUDGE = "judge-celeba-attrs"  # also DTN's f; reads pixel noise as age (see judge-celeba-robust)
KEPT_ATTRS = ("Male", "Blond_Hair", "Black_Hair", "Eyeglasses", "Smiling", "Young")
FASHION_SHOES = (5, 7, 9)  # Sandal, Sneaker, Ankle boot
FASHION_BAG = 8
ROUND_TRIPS = (1, 2, 4)


def pair_attributes(dataset: str) -> tuple[str, ...]:
    """The CelebA attributes a pair changes (so they are not counted as "kept")."""
    if dataset == "celeba_blond_black":
        return ("Blond_Hair", "Black_Hair")
    return (dataset[len("celeba_"):],)


def kept_attributes(dataset: str) -> list[str]:
    """The attributes *kept* reads for a CelebA pair: :data:`KEPT_ATTRS` less the ones the pair changes."""
    return [a for a in KEPT_ATTRS if a not in pair_attributes(dataset)]


def domain_verdicts(dataset: str, logits: torch.Tensor, judge) -> dict[str, torch.Tensor]:
    """Judge logits → {"A": bool [N], "B": bool [N]}: does the judge place each image in A / in B?

    Blond ↔ Black is read as a two-way decision between the pair's attributes: in B when the judge
    scores Black_Hair above its calibrated threshold *and* above Blond_Hair (and vice versa). At the
    default probability 0.5 the robust judge reads only 49% of real black-haired test faces as
    black-haired, so "flipped" would mostly measure the judge; with the thresholds chosen on validation
    identities (``judge.calibration``) it reads 91% / 82% of real blond / black-haired test faces as
    their own side. Without a calibration the thresholds are logit 0."""
    pred = judge.decide(logits)
    if dataset == "fashion_bags_shoes":
        return {"A": pred == FASHION_BAG, "B": torch.isin(pred, torch.tensor(FASHION_SHOES))}
    if dataset == "celeba_blond_black":
        cal = getattr(judge, "calibration", {}) or {}
        z = {a: logits[:, sources.CELEBA_ATTRS.index(a)] for a in ("Blond_Hair", "Black_Hair")}
        over = {a: z[a] > cal.get(a, {}).get("threshold", 0.0) for a in z}
        return {"A": over["Blond_Hair"] & (z["Blond_Hair"] > z["Black_Hair"]),
                "B": over["Black_Hair"] & (z["Black_Hair"] > z["Blond_Hair"])}
    attr = pred[:, sources.CELEBA_ATTRS.index(dataset[len("celeba_"):])].bool()
    return {"A": attr, "B": ~attr}


@register_metric("l1_01")
def l1_01(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean absolute difference of two image batches in [-1, 1], on the [0, 1] scale."""
    return (a - b).abs().mean().item() / 2


@register_metric("diversity_ratio")
def diversity_ratio(inputs: torch.Tensor, outputs: torch.Tensor) -> float:
    """Mean pairwise L2 distance of the outputs ÷ that of the inputs (1 = variety kept, 0 = collapse)."""
    d_in = torch.pdist(inputs.flatten(1)).mean()
    d_out = torch.pdist(outputs.flatten(1)).mean()
    return (d_out / d_in.clamp_min(1e-12)).item()


@torch.no_grad()
def discogan_metrics(model: "DiscoGAN", data: dict[str, torch.Tensor], judges: dict, limit: int | None = None, *,
                     n_div: int = 500) -> dict[str, float]:
    """All metrics on one split's tensors (``data["A"]``, ``data["B"]``), read by ``judges["attributes"]``
    (and, for CelebA, ``judges["plain"]`` under the prefix ``plain_judge_``); a missing judge (``None``)
    leaves its figures out. ``n_test_A`` / ``n_test_B`` count the faces of whichever split was given."""
    cfg = model.cfg
    n = {s: min(limit or len(data[s]), len(data[s])) for s in "AB"}
    x = {s: data[s][:n[s]] for s in "AB"}
    out: dict[str, float] = {"n_test_A": float(n["A"]), "n_test_B": float(n["B"])}
    fake = {d: model.translate_batched(x[d[0].upper()], d) for d in model.directions}  # "a2b" from A

    for d in model.directions:
        src = d[0].upper()
        k = min(n_div, n[src])
        out[f"diversity_{d}"] = diversity_ratio(x[src][:k], fake[d][:k])
        if model.two_way:
            trips = model.round_trips(x[src][:k], d, max(ROUND_TRIPS))
            for r in ROUND_TRIPS:
                out[f"drift_l1_{src.lower()}_{r}"] = l1_01(trips[2 * r], trips[0])
    if "G_BA" in model.generator_names:  # gan_recon has G_BA for L_CONST_A; its cycle error is still defined
        out["cycle_l1_a"] = l1_01(model.translate_batched(fake["a2b"], "b2a"), x["A"])
    if "b2a" in model.directions:
        out["cycle_l1_b"] = l1_01(model.translate_batched(fake["b2a"], "a2b"), x["B"])

    out |= _judged_metrics(cfg.dataset, judges.get("attributes"), x, fake, model.directions)
    if judges.get("plain") is not None:
        plain = _judged_metrics(cfg.dataset, judges["plain"], x, fake, model.directions)
        out |= {f"plain_judge_{k}": v for k, v in plain.items()}
    return out


def _judged_metrics(dataset: str, judge, x: dict, fake: dict, directions) -> dict[str, float]:
    """flipped / kept / the judge's own accuracy, as read by one judge (empty if it is not available)."""
    out: dict[str, float] = {}
    if judge is None:
        return out
    real_z = {s: judged_logits(judge, x[s]) for s in "AB"}
    real = {s: judge.decide(z) for s, z in real_z.items()}
    for s in "AB":
        v = domain_verdicts(dataset, real_z[s], judge)
        for t in "AB":
            out[f"judge_in_{t}_real_{s}"] = v[t].float().mean().item()
    for d in directions:
        src, dst = d[0].upper(), d[-1].upper()
        z = judged_logits(judge, fake[d])
        p = judge.decide(z)
        out[f"flipped_{d}"] = domain_verdicts(dataset, z, judge)[dst].float().mean().item()
        if dataset.startswith("celeba_"):
            keep = kept_attributes(dataset)
            idx = celeba_columns(keep)
            agree = attribute_agreement(real[src][:, idx], p[:, idx], keep)
            for a in keep:
                out[f"kept_{a}_{d}"] = agree[f"agree_{a}"]
                out[f"kept_chance_{a}_{d}"] = agree[f"agree_chance_{a}"]
            out[f"kept_mean_{d}"] = sum(out[f"kept_{a}_{d}"] for a in keep) / len(keep)
    jm = getattr(judge, "stored_metrics", {})
    for a in (KEPT_ATTRS if dataset.startswith("celeba_") else ()):
        if f"acc_{a}" in jm:
            out[f"judge_test_acc_{a}"] = jm[f"acc_{a}"]
    if "test_accuracy" in jm:
        out["judge_test_accuracy"] = jm["test_accuracy"]
    return out
