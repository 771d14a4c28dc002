"""Loss functions, pure: tensors in, ``(loss, {name: float})`` or a scalar tensor out.

Adversarial conventions (D outputs *logits* unless stated):

* ``gan_d_loss``   L_D = −E[log D(x_real)] − E[log(1 − D(x_fake))]          (BCE)
* ``gan_g_loss``   L_GAN = −E[log D(G(x))]                                    (non-saturating)
* ``wgan_d_loss``  L_D = E[D(fake)] − E[D(real)] + λ_gp E[(‖∇D(x̂)‖₂ − 1)²]   (WGAN-GP)
* ``wgan_g_loss``  L_G = −E[D(fake)]
* ``recon_loss``   L_CONST = d(x, x̂) with d ∈ {l1, l2, mse} (DiscoGAN allows any distance)

Domain adaptation on a discriminator's features (UNIT, CoGAN), ``(loss, {name: float})``:

* ``classification_loss``    L_CLS = −E[log c(y | h(x))] on labelled source images
* ``feature_matching_loss``  L_FEAT = d(h1(x̃1), h2(x̃2)) for a generated pair (one code, both domains)

Attribute consistency through a frozen attribute reader a(·) (DTN's and UNIT's flags beyond their papers):

* ``attribute_consistency_loss``  L_ATTR = BCE(a(G(x)), σ(a(x)))
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F


def gan_d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits)) + \
        F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))


def gan_g_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def recon_loss(x: torch.Tensor, x_hat: torch.Tensor, kind: str = "l1") -> torch.Tensor:
    if kind == "l1":
        return (x - x_hat).abs().mean()
    if kind in ("l2", "mse"):
        return F.mse_loss(x_hat, x)
    raise KeyError(f"unknown reconstruction distance {kind!r}")


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                     cond: torch.Tensor | None = None) -> torch.Tensor:
    """E[(‖∇_x̂ D(x̂)‖₂ − 1)²] on random interpolates x̂ = εx + (1−ε)x̃ (Gulrajani et al. 2017)."""
    eps = torch.rand(real.shape[0], *([1] * (real.ndim - 1)), device=real.device)
    x_hat = (eps * real + (1 - eps) * fake.detach()).requires_grad_(True)
    out = critic(x_hat) if cond is None else critic(x_hat, cond)
    (grad,) = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def r1_penalty(logits: torch.Tensor, *real: torch.Tensor) -> torch.Tensor:
    """E_x[‖∇_x D(x)‖²] on real images x (Mescheder et al., ICML 2018; the loss adds γ/2 times it): ``logits``
    [N, 1] or [N] = D(x), one per image of the batches ``real`` (``requires_grad``, their rows in order);
    differentiable (create_graph), so D is trained on it."""
    grads = torch.autograd.grad(logits.sum(), real, create_graph=True)
    return sum(g.pow(2).sum() for g in grads) / sum(len(g) for g in grads)


def wgan_d_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    return fake_scores.mean() - real_scores.mean()


def wgan_g_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    return -fake_scores.mean()


def classification_loss(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
    """Cross-entropy of a K-way head on labelled source images; logs it and the batch accuracy."""
    ce = F.cross_entropy(logits, labels.long())
    return ce, {"cls": ce.item(), "acc_src_batch": (logits.argmax(1) == labels).float().mean().item()}


def feature_matching_loss(f_1: torch.Tensor, f_2: torch.Tensor, kind: str = "l1"
                          ) -> tuple[torch.Tensor, dict[str, float]]:
    """Distance between two discriminators' features [B, …] of a generated pair: ``"l1"`` = mean |Δ| (the UNIT
    authors' code), ``"l2sum"`` = Σ over features of Δ², averaged over the batch (the CoGAN authors' code)."""
    d = f_1 - f_2
    if kind == "l1":
        fm = d.abs().mean()
    elif kind == "l2sum":
        fm = d.pow(2).flatten(1).sum(1).mean()
    else:
        raise KeyError(f"unknown feature-matching distance {kind!r}")
    return fm, {"feat": fm.item()}


def attribute_consistency_loss(logits_x: torch.Tensor, logits_gx: torch.Tensor) -> torch.Tensor:
    """L_ATTR = BCE(a(G(x)), σ(a(x))): the reader's attribute logits [B, K] on G(x) should give the same readings as
    on x (soft targets, no gradient through them)."""
    return F.binary_cross_entropy_with_logits(logits_gx, torch.sigmoid(logits_x.detach()))


def semantic_consistency_loss(logits_gx: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """L_SEM = BCE(s(G(x)), t): a frozen avatar reader's logits [B, K] on G(x) against the targets [B, K] in [0, 1]
    of the parameters the teacher drew for x (DTN revision 18)."""
    return F.binary_cross_entropy_with_logits(logits_gx, targets)


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Anisotropic TV: mean |∂x/∂h| + mean |∂x/∂w| (DTN's L_TV smoothness prior)."""
    return (x[..., 1:, :] - x[..., :-1, :]).abs().mean() + (x[..., :, 1:] - x[..., :, :-1]).abs().mean()
