"""Face → avatar metrics (issue 16), on identity-disjoint CelebA test faces, by judges no translator saw.

DTN's own evaluation (Taigman et al., ICLR 2017, §5, faces → emoji) is identity retrieval: the emoji is a
query against a gallery of faces, embedded by a face network *other* than the f the DTN was trained
with (they used VGG-Face against their DeepFace f), and the figure is the median rank of the right person.
Here, for outputs ``y = G(x)`` of test faces ``x``:

* **Attributes** — the avatar attribute judge (trained only on rendered avatars and their parameters,
  :data:`xdomain.data.avatars.JUDGE_OUTPUTS`) reads ``y``; its reading is compared with the face's CelebA
  label by **balanced accuracy** ``½ (TPR + TNR)`` (so "never blond" scores 0.5): hair colour (one binary
  figure per colour blond / black / brown / grey, ``bal_acc_hair`` = their mean), eyeglasses, facial hair
  (``not No_Beard``), smiling.
* **Skin tone** — Spearman correlation between the photo's darkness ``−ITA`` and the judge's tone reading
  of ``y``. ITA (individual typology angle, Chardon et al. 1991) = ``atan2(L* − 50, b*)`` in degrees, of the
  median CIELAB colour of the face's central patch (cheeks and nose of the CelebA crop); larger = lighter.
* **Identity** — the identity judge embeds ``y`` (L2-normalised features) and ranks the gallery of all test
  faces by cosine similarity; rank (1-based) of the first face of the same person (``x`` itself is in the
  gallery, as in the paper); median over queries, also as a share of the gallery (random ≈ 0.5).
* **Avatar-ness** — mean probability the face-vs-avatar judge gives "avatar".
* **Diversity** — mean pairwise L2 distance of the outputs over that of real avatars (the DiscoGAN
  ``diversity_ratio``; ≈ 1: as varied as the avatar set; ≪ 1: everyone gets the same head).
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Mapping

import numpy as np
import torch
import torch.nn.functional as F

from xdomain.data import avatars, sources

HAIR_COLOURS = ("blond", "black", "brown", "grey")
CELEBA_HAIR = {"blond": "Blond_Hair", "black": "Black_Hair", "brown": "Brown_Hair", "grey": "Gray_Hair"}
BINARY_FACE = {"eyeglasses": "Eyeglasses", "smiling": "Smiling"}  # + facial_hair = not No_Beard
PATCH = (slice(30, 46), slice(22, 42))  # rows, cols of the 64×64 CelebA crop: cheeks and nose


def _col(name: str) -> int:
    return avatars.JUDGE_OUTPUTS.index(name)


# ------------------------------------------------------------------------------ small pure helpers
def balanced_accuracy(pred, label) -> float:
    """½ (TPR + TNR) of boolean predictions against boolean labels (NaN when a class is missing)."""
    pred, label = np.asarray(pred, bool), np.asarray(label, bool)
    if label.all() or not label.any():
        return float("nan")
    return float(0.5 * (pred[label].mean() + (~pred[~label]).mean()))


def spearman(a, b) -> float:
    import warnings

    from scipy.stats import spearmanr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a constant input gives NaN, reported as such
        r = spearmanr(np.asarray(a, np.float64), np.asarray(b, np.float64)).statistic
    return float(r) if np.isfinite(r) else float("nan")


def ita(images) -> np.ndarray:
    """Individual typology angle (degrees) of the central patch of 64×64 faces, uint8 [N, 64, 64, 3] or a
    tensor [N, 3, 64, 64] in [-1, 1]. Larger = lighter skin (> 55 very light … < −30 dark)."""
    import cv2

    if isinstance(images, torch.Tensor):
        if images.shape[-1] != 64:
            images = F.interpolate(images.float(), size=(64, 64), mode="bilinear", antialias=True, align_corners=False)
        images = ((images.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu().numpy()
    patch = np.ascontiguousarray(np.asarray(images)[:, PATCH[0], PATCH[1], :]).astype(np.float32) / 255.0
    lab = np.stack([cv2.cvtColor(p, cv2.COLOR_RGB2LAB) for p in patch])  # L* 0..100, b* signed
    L = np.median(lab[..., 0].reshape(len(lab), -1), 1)
    b = np.median(lab[..., 2].reshape(len(lab), -1), 1)
    return np.degrees(np.arctan2(L - 50.0, b))


def hex_ita(hex_colour: str) -> float:
    """ITA of a flat sRGB colour (a palette skin colour), comparable with :func:`ita`."""
    return _hex_ita(hex_colour.lstrip("#").lower())


@lru_cache(maxsize=1024)
def _hex_ita(h: str) -> float:
    px = np.full((1, 64, 64, 3), [int(h[i:i + 2], 16) for i in (0, 2, 4)], np.uint8)
    return float(ita(px)[0])


def face_labels(attrs) -> dict[str, np.ndarray]:
    """CelebA attribute rows (bool [N, 40]) → the labels the avatar judge's readings are compared with."""
    a = np.asarray(attrs, bool)
    col = {n: a[:, sources.CELEBA_ATTRS.index(n)] for n in sources.CELEBA_ATTRS}
    out = {f"hair_{c}": col[CELEBA_HAIR[c]] for c in HAIR_COLOURS}
    out |= {k: col[v] for k, v in BINARY_FACE.items()}
    out["facial_hair"] = ~col["No_Beard"]
    return out


def read_avatar(logits: torch.Tensor) -> dict[str, np.ndarray]:
    """The avatar judge's logits [N, K] → tone in [0, 1], hair colour (group name), hair style, and booleans."""
    z = logits.float().cpu()
    hc = slice(_col("hair_blond"), _col("hair_other") + 1)
    hs = slice(_col("style_short"), _col("style_bald") + 1)
    out = {"tone": torch.sigmoid(z[:, _col("tone")]).numpy(),
           "hair_color": np.array(avatars.GROUPS["hair_color"])[z[:, hc].argmax(1).numpy()],
           "hair_style": np.array(avatars.GROUPS["hair_style"])[z[:, hs].argmax(1).numpy()]}
    out |= {a: (z[:, _col(a)] > 0).numpy() for a in avatars.BINARY}
    return out


def judge_self_metrics(logits: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    """How well the avatar judge reads held-out avatars (its own test split): accuracy per output."""
    r = read_avatar(logits)
    y = y.float().cpu().numpy()
    hc = y[:, _col("hair_blond"):_col("hair_other") + 1]
    has = hc.sum(1) > 0
    truth_hc = np.array(avatars.GROUPS["hair_color"])[hc.argmax(1)]
    truth_hs = np.array(avatars.GROUPS["hair_style"])[y[:, _col("style_short"):_col("style_bald") + 1].argmax(1)]
    out = {"tone_spearman": spearman(y[:, 0], r["tone"]),
           "acc_hair_color": float((r["hair_color"][has] == truth_hc[has]).mean()),
           "acc_hair_style": float((r["hair_style"] == truth_hs).mean())}
    out |= {f"acc_{a}": float((r[a] == (y[:, _col(a)] > 0.5)).mean()) for a in avatars.BINARY}
    out["test_accuracy"] = float(np.mean([v for k, v in out.items() if k.startswith("acc_")]))
    out["n_test"] = float(len(y))
    return out


# ------------------------------------------------------------------------------ figures for G(x)
def attribute_figures(read: Mapping[str, np.ndarray], attrs, face_ita) -> dict[str, float]:
    """Balanced accuracies and the skin Spearman of the judge's readings of G(x) against the faces x."""
    lab = face_labels(attrs)
    out = {f"bal_acc_hair_{c}": balanced_accuracy(read["hair_color"] == c, lab[f"hair_{c}"]) for c in HAIR_COLOURS}
    out["bal_acc_hair"] = float(np.nanmean([out[f"bal_acc_hair_{c}"] for c in HAIR_COLOURS]))
    out["bal_acc_eyeglasses"] = balanced_accuracy(read["glasses"], lab["eyeglasses"])
    out["bal_acc_facial_hair"] = balanced_accuracy(read["facial_hair"], lab["facial_hair"])
    out["bal_acc_smiling"] = balanced_accuracy(read["smiling"], lab["smiling"])
    out["skin_spearman"] = spearman(-np.asarray(face_ita), read["tone"])
    return out


def identity_ranks(query: torch.Tensor, gallery: torch.Tensor, query_ids, gallery_ids) -> np.ndarray:
    """1-based rank of the first same-identity gallery item for each query (cosine similarity)."""
    q, g = F.normalize(query.float(), dim=1), F.normalize(gallery.float(), dim=1)
    qid, gid = torch.as_tensor(np.asarray(query_ids)), torch.as_tensor(np.asarray(gallery_ids))
    ranks = []
    for i in range(0, len(q), 512):
        sim = q[i:i + 512] @ g.T  # [b, M]
        same = qid[i:i + 512, None] == gid[None, :]
        best_same = torch.where(same, sim, torch.full_like(sim, -math.inf)).max(1).values
        ranks.append(((sim > best_same[:, None]).sum(1) + 1).numpy())
    return np.concatenate(ranks)


def retrieval_figures(ranks: np.ndarray, gallery_size: int) -> dict[str, float]:
    med = float(np.median(ranks))
    return {"id_median_rank": med, "id_median_rank_share": med / gallery_size, "id_top1": float((ranks == 1).mean()),
            "id_gallery": float(gallery_size)}


def diversity(outputs: torch.Tensor, reference: torch.Tensor, n: int = 500) -> float:
    """:func:`xdomain.metrics.discogan.diversity_ratio` of the first ``n`` outputs against the first ``n`` real
    avatars: mean pairwise L2 distance of outputs ÷ that of real avatars."""
    from xdomain.metrics.discogan import diversity_ratio

    return diversity_ratio(reference[:n].float(), outputs[:n].float())


@torch.no_grad()
def embed(judge, x: torch.Tensor, batch: int = 500) -> torch.Tensor:
    """The identity judge's L2-normalised features [N, D] of images (any size) in [-1, 1]."""
    from xdomain.judges import _fit

    was = judge.training
    judge.eval()
    out = torch.cat([judge.features(_fit(judge, x[i:i + batch]).to(judge.device)).cpu() for i in range(0, len(x), batch)])
    judge.train(was)
    return F.normalize(out, dim=1)


@torch.no_grad()
def pair_identity_distance(judge, x1: torch.Tensor, x2: torch.Tensor, perm: torch.Tensor) -> dict[str, float]:
    """Does a generated pair look like one person? (CoGAN faces, issue 15.) With e = :func:`embed` (the
    identity judge's L2-normalised features) and d(u, v) = 1 − u·v (cosine distance):

        pair_id_distance          = mean_i d(e(x1_i), e(x2_i))
        pair_id_distance_shuffled = mean_i d(e(x1_i), e(x2_perm(i)))   (random pairs: the scale)
        pair_id_ratio             = pair_id_distance / pair_id_distance_shuffled   (< 1: more alike than chance)
    """
    e1, e2 = embed(judge, x1), embed(judge, x2)
    same = (1 - (e1 * e2).sum(1)).mean().item()
    other = (1 - (e1 * e2[perm]).sum(1)).mean().item()
    return {"pair_id_distance": same, "pair_id_distance_shuffled": other, "pair_id_ratio": same / max(other, 1e-8)}


@torch.no_grad()
def face_avatar_metrics(outputs: torch.Tensor, faces: Mapping[str, torch.Tensor], judges: Mapping,
                        reference: torch.Tensor | None = None) -> dict[str, float]:
    """Every figure of this module for outputs [N, 3, H, W] (in [-1, 1]) of the first N faces of ``faces``.

    ``faces``: ``A`` [M, 3, 64, 64] (the whole split: the identity gallery), ``attrs_A`` bool [M, 40],
    ``identity_A`` [M]. ``judges``: roles ``avatar`` (attributes), ``identity``, ``avatarness`` (a judge that
    is ``None`` leaves its figures out). ``reference``: real avatars for the diversity ratio.
    """
    from xdomain.judges import judged, judged_logits

    n = len(outputs)
    out: dict[str, float] = {"n_test": float(n)}
    if judges.get("avatar") is not None:
        read = read_avatar(judged_logits(judges["avatar"], outputs))
        out |= attribute_figures(read, faces["attrs_A"][:n].numpy(), ita(faces["A"][:n]))
    if judges.get("identity") is not None:
        gallery = embed(judges["identity"], faces["A"])
        ranks = identity_ranks(embed(judges["identity"], outputs), gallery, faces["identity_A"][:n], faces["identity_A"])
        out |= retrieval_figures(ranks, len(gallery))
    if judges.get("avatarness") is not None:
        out["avatarness"] = judged(judges["avatarness"], outputs).float().mean().item()  # class 1 = avatar
    if reference is not None:
        out["diversity"] = diversity(outputs, reference)
    return out


@torch.no_grad()
def face_face_retrieval(judge, faces: Mapping[str, torch.Tensor], embedded: torch.Tensor | None = None
                        ) -> dict[str, float]:
    """The identity judge's sanity figure: each face as a query against the *other* faces of the split
    (``embedded``: :func:`embed` of ``faces["A"]`` when the caller has it already)."""
    e = embed(judge, faces["A"]) if embedded is None else embedded
    ids = np.asarray(faces["identity_A"])
    sim = e @ e.T
    sim.fill_diagonal_(-math.inf)
    same = torch.as_tensor(ids[:, None] == ids[None, :])
    best = torch.where(same, sim, torch.full_like(sim, -math.inf)).max(1).values
    ranks = ((sim > best[:, None]).sum(1) + 1).numpy()
    return {f"face_{k}": v for k, v in retrieval_figures(ranks, len(e) - 1).items()}
