"""Mode-collapse metrics for DiscoGAN's 2-D toy experiment (Kim et al. 2017, §3.1, Figure 4).

The paper judges Figure 4 by eye ("points of multiple colours are mapped to the same B mode",
"fail to cover all modes in B"). These functions turn those statements into numbers, computed on
translated samples x_AB = G_AB(x_A) whose source A mode is known:

* **B modes covered** — a B mode k counts when at least ``min_frac`` of all translated samples
  lie within ``radius``·σ_B of its centre μ_k (default 3σ and 2 %: a fifth of the fair share of
  1/10, fixed before any training run was looked at).
* **high-quality fraction** — the share of translated samples within 3σ_B of *any* B mode
  (the "high quality samples" of VEEGAN/PacGAN-style 2-D benchmarks).
* **A-mode collisions** — the number of pairs (i, j) of A modes for which some B mode k receives
  the *majority* (> ``majority``, default ½) of both mode i's and mode j's samples. Every A mode
  has at most one such "home" k, so collisions = Σ_k C(n_k, 2) with n_k the A modes homed at k.
* **reconstruction error** — mean Euclidean ‖x_A − G_BA(G_AB(x_A))‖₂ (only where G_BA exists).

All functions are pure: arrays in, numbers out. Samples are assigned to the *nearest* B centre and
count only if within the radius, so a point is never counted for two modes.
"""
from __future__ import annotations

import numpy as np
import torch

from xdomain.registry import register_metric


def _np(x) -> np.ndarray:
    return x.detach().cpu().numpy() if torch.is_tensor(x) else np.asarray(x)


def assign_modes(points, centers, sigma: float, radius: float = 3.0) -> np.ndarray:
    """Index of the nearest centre for each point, or −1 if it is farther than ``radius``·σ. [N]"""
    p, c = _np(points).astype(np.float64), _np(centers).astype(np.float64)
    d = np.linalg.norm(p[:, None, :] - c[None, :, :], axis=-1)  # [N, K]
    idx = d.argmin(axis=1)
    idx[d[np.arange(len(p)), idx] > radius * sigma] = -1
    return idx


def mode_histogram(points, labels_a, n_modes_a: int, centers_b, sigma_b: float, radius: float = 3.0) -> np.ndarray:
    """[K_A, K_B] fraction of each A mode's samples that land within radius·σ of each B mode."""
    idx = assign_modes(points, centers_b, sigma_b, radius)
    lab = _np(labels_a).astype(np.int64)
    k_b = len(_np(centers_b))
    h = np.zeros((n_modes_a, k_b))
    for i in range(n_modes_a):
        mine = idx[lab == i]
        if len(mine):
            h[i] = np.bincount(mine[mine >= 0], minlength=k_b) / len(mine)
    return h


@register_metric("toy2d_modes_covered")
def modes_covered(points, centers, sigma: float, min_frac: float = 0.02, radius: float = 3.0) -> int:
    """Number of modes that receive at least ``min_frac`` of all samples within radius·σ."""
    idx = assign_modes(points, centers, sigma, radius)
    counts = np.bincount(idx[idx >= 0], minlength=len(_np(centers)))
    return int((counts >= min_frac * max(len(idx), 1)).sum())


@register_metric("toy2d_high_quality")
def high_quality_fraction(points, centers, sigma: float, radius: float = 3.0) -> float:
    """Fraction of samples within radius·σ of any mode."""
    idx = assign_modes(points, centers, sigma, radius)
    return float((idx >= 0).mean()) if len(idx) else 0.0


def collision_pairs(hist: np.ndarray, majority: float = 0.5) -> list[tuple[int, int, int]]:
    """(i, j, k) for A modes i < j whose samples both mostly (> majority) land on B mode k."""
    home = np.where(hist.max(axis=1) > majority, hist.argmax(axis=1), -1)  # [K_A]
    return [(i, j, int(home[i])) for i in range(len(home)) for j in range(i + 1, len(home))
            if home[i] >= 0 and home[i] == home[j]]


@register_metric("toy2d_collisions")
def mode_collisions(points, labels_a, n_modes_a: int, centers_b, sigma_b: float,
                    majority: float = 0.5, radius: float = 3.0) -> int:
    """Number of A-mode pairs that mostly land on the same B mode."""
    return len(collision_pairs(mode_histogram(points, labels_a, n_modes_a, centers_b, sigma_b, radius), majority))


@register_metric("toy2d_recon_error")
def reconstruction_error(x, x_rec) -> float:
    """Mean Euclidean distance between points and their reconstructions."""
    a, b = _np(x).astype(np.float64), _np(x_rec).astype(np.float64)
    return float(np.linalg.norm(a - b, axis=-1).mean())


def toy_metrics(x_ab, labels_a, n_modes_a: int, centers_b, sigma_b: float, *, x_a=None, x_aba=None,
                min_frac: float = 0.02, majority: float = 0.5) -> dict[str, float]:
    """All four metrics for one set of translated samples (recon error only when ``x_aba`` is given)."""
    out = {
        "modes_covered": float(modes_covered(x_ab, centers_b, sigma_b, min_frac)),
        "collisions": float(mode_collisions(x_ab, labels_a, n_modes_a, centers_b, sigma_b, majority)),
        "high_quality": high_quality_fraction(x_ab, centers_b, sigma_b),
    }
    if x_aba is not None:
        out["recon_error_A"] = reconstruction_error(x_a, x_aba)
    return out
