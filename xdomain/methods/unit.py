"""UNIT: Liu, Breuel & Kautz, *Unsupervised Image-to-Image Translation Networks*, NeurIPS 2017
(``shared/papers/unit_liu2017.txt``: §3, Appendix A/B, Tables 3–5).

Two coupled VAE-GANs with one shared latent space. Side "A" is the paper's domain 1, "B" domain 2.
E1/E2 output μ; z = μ + η, η ~ N(0, I) (a unit-variance Gaussian q(z|x) = N(μ, I), §3)::

    x̃_{1→1} = G1(z1), x̃_{1→2} = G2(z1), z1 = E1(x1) + η                      (reconstruction, translation)
    KL(z|x)  = KL(N(μ, I) ‖ N(0, I)) = ½‖μ‖²
    L_VAE1   = λ1 KL(q1(z1|x1)) + λ2 ‖G1(z1) − x1‖₁                               (3; Laplacian p_G → L1)
    L_GAN1   = λ0 E[log D1(x1)] + λ0 E[log(1 − D1(G1(z2)))], z2 ~ q2(z2|x2)       (5; translation stream only)
    L_CC1    = λ3 KL(q1(z1|x1)) + λ3 KL(q2(z2|x̃_{1→2})) + λ4 ‖G1(E2(x̃_{1→2}) + η) − x1‖₁   (7)
    min_{E,G} max_D  L_VAE1 + L_GAN1 + L_CC1 + L_VAE2 + L_GAN2 + L_CC2                 (2)

λ0 = 10, λ1 = λ3 = 0.1, λ2 = λ4 = 100, Adam lr 10⁻⁴, β = (0.5, 0.999) (§4). G uses the non-saturating
form −λ0 E[log D(G(z))]; D minimises the BCE form of (5) (:func:`gan_dis_loss`), unscaled: Adam is
invariant to a constant factor, and D's extra terms below are weighted relative to it.

**Weight sharing** (§3) is structural: the last ``n_shared_enc`` layers of E1 and E2, the first
``n_shared_gen`` of G1 and G2 and (adaptation) the last ``n_shared_dis`` of D1 and D2 are *one*
module each, built once and placed in both nets; Adam runs over unique parameters (``self.adam``),
so a tied tensor gets one update per step (FINDINGS: a popular re-implementation updates it twice).
Shared layers see both domains in one batch (as the authors' code), so their batch norm is shared too.

**Domain adaptation** (§4, App. B; ``classifier=True``): a 10-way head ``C`` on D's top features
(Table 5 row 4b) is trained on labelled *source* images only (``source`` = "A"/"B", weight
``w_cls``); target images are classified through their own D's first layer and the tied trunk, so
target labels are never used (they are loaded for evaluation splits only). The paper's feature
matching — L1 between D1 and D2's top features of a generated pair (x̃_{1→1}, x̃_{1→2}) — is
``w_feat``, trained in the D-step as in the authors' code (``cocogan_trainer_da.py``). ``source_only=True`` is the baseline: the
same D_source trunk + C under the same budget, cross-entropy only, no translation network trained.
Not in the paper, per FINDINGS (a prototype that also classified translated source images got
worse as it trained): classify real source only (``cls_translated=False``), dropout on D's FC layer
(Table 5 row 3, ``dis_dropout``), ReLU after D's convs (the authors' ``CoDis32x32``); and, as a flag,
``twin_init``: domain 2's untied layers start as copies of domain 1's, so both paths (and the target path
of the classifier) start identical and only training pulls them apart (docs/unit.md: untied twins drawn
independently leave the two domains 2.3 apart per z dimension); ``out_init="fan_in"``: G's output layer
drawn at fan-in scale instead of DCGAN's 0.02 (the quarter-width digit G otherwise needs thousands of steps
to draw a background, docs/unit.md).

Paper symbol → code: E1, E2, G1, G2, D1, D2 ↔ ``self.E1`` … ``self.D2``; μ ↔ ``encode(x, side)[0]``;
η ↔ ``torch.randn_like(mu)``; λ0…λ4 ↔ ``w_gan, w_kl, w_rec, w_kl, w_cyc``; the classifier ↔ ``self.C``.
Log keys: ``vae_rec_A``, ``vae_kl_A``, ``gan_A`` (G's loss on x̃_{2→1}), ``cc_rec_A``, ``cc_kl_A``, ``attr``, ``d_A``,
``cls``, ``feat``.

Presets (``UNIT.preset(name)``), scaled for CPU:

* ``digits``: MNIST ↔ USPS at 32×32 grey (``usps20_mnist``: A = USPS in MNIST's 20-px box, B = MNIST;
  source B, i.e. MNIST → USPS). E/G per Table 4 (conv k5 s2, conv k5 s2, conv k(S/4), conv 1×1, μ 1×1;
  deconv k4 from 1×1 then ×2 per layer, 1×1 output). E at half Table 4's widths (32-64-128-256, z 256-d;
  paper 64-128-256-512, z 1024-d), G at a quarter (128-64-32-16; paper 512-256-128-64): G's deconvs
  run on both domains' codes for two streams and dominate the cost (G at half width: 1.9 s per
  batch-64 step on one busy thread; at a quarter: 1.1 s). Tied as in Table 4 (E's last 4, G's first 3);
  D per Table 5 (conv20 k5 + pool, conv50 k5 + pool, FC500, FC1 / FC10; the last three tied). The
  dataclass defaults (no cycle terms, KL per sample, lr 10⁻⁴, DCGAN init) are what the first runs used and
  stayed under the source-only baseline; the adaptation recipe is ``configs/unit-digits-m2u.json`` /
  ``-u2m.json`` (probes R3/R4, docs/unit.md): the paper's cycle terms on, KL per element, lr 2·10⁻⁴ (the
  authors' DA code), ``twin_init`` and ``out_init="fan_in"``.
  Accuracies are the final model's on the test split (the authors reported the best test-set point
  seen during training, FINDINGS); their adaptation code also puts the reconstruction stream through
  the GAN and uses MSE reconstruction — the paper's form is kept here.
* ``faces``: a CelebA attribute pair at 64×64 (``celeba_Male``). E = three 4×4 stride-2 convs
  32-64-128 (Table 3: k7 s1 then two k3 s2 at 64-128-256) + two ResBlocks (paper four) with the last
  tied; G = two ResBlocks with the first tied + the mirrored deconvs; instance norm, leaky ReLU;
  ``face_layout="paper"`` keeps Table 3's layout instead (k7 s1, then k3 s2 convs, so μ sits at a quarter of
  the image side rather than an eighth; G: k3 s2 DCONVs back to full size and a k1 output);
  DiscoGAN's D (four stride-2 convs 32…256, one logit; paper: 5 convs 64…1024). z = 128×8×8. KL
  averaged over z's elements (a per-sample sum over 8,192 dims at λ1 = 0.1 swamps the L1 terms);
  attribute-balanced sampling (``balance``), flips and generator weight averaging (``ema``) as in DiscoGAN.

**Flag beyond the paper** (``w_attr`` > 0; 0 = the paper's model): attribute consistency through a frozen
attribute reader a(·) — the aux head of a CelebA classifier named by ``attr_reader`` (default ``encoder-celeba-id``,
DTN's f; never one of the judges the metrics read) — on the attributes ``attr_keep`` (default: ``balance``)::

    L_ATTR = ½ [BCE(a(x̃_{1→2}), σ(a(x1))) + BCE(a(x̃_{2→1}), σ(a(x2)))]   (one mean BCE over both batches)
    min_{E,G}  … + w_attr · L_ATTR

Translation x1 → 2 = G2(E1(x1)): μ at inference (``seed=None``), or μ + ``sample_std``·η with η drawn
from ``seed`` (``code`` sets η directly); ``encode``/``decode`` expose the shared code (``latent="shared"``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from xdomain.config import BaseConfig
from xdomain.data import domains
from xdomain.judges import judged
from xdomain.losses import (attribute_consistency_loss, classification_loss, feature_matching_loss, gan_d_loss,
                            gan_g_loss, recon_loss)
from xdomain.methods.base import Domains, TwoDomainGAN, unique_parameters
from xdomain.metrics.discogan import PLAIN_CELEBA_JUDGE, discogan_metrics, l1_01
from xdomain.nn.blocks import NORMS, ResBlock, conv_block, conv_stack, count_params, deconv_block, deconv_stack, init_weights

NUM = {"A": "1", "B": "2"}  # side → the paper's domain index
OTHER = {"A": "B", "B": "A"}
TRANSLATORS = ("E1", "E2", "G1", "G2")


# ------------------------------------------------------------------------------ losses (pure)
def kl_loss(mu: torch.Tensor, reduce: str = "sample") -> torch.Tensor:
    """KL(N(μ, I) ‖ N(0, I)) = ½‖μ‖²: summed over z and averaged over the batch ("sample"), or
    averaged over z's elements too ("element", the authors' later public code)."""
    sq = 0.5 * mu.pow(2)
    return sq.flatten(1).sum(1).mean() if reduce == "sample" else sq.mean()


def vae_loss(x: torch.Tensor, x_rec: torch.Tensor, mu: torch.Tensor, *, side: str, w_kl: float, w_rec: float,
             kl: bool = True, reduce: str = "sample") -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. (3)/(4): λ1 KL(q(z|x) ‖ N(0, I)) + λ2 ‖G(z) − x‖₁."""
    rec = recon_loss(x, x_rec, "l1")
    loss, logs = w_rec * rec, {f"vae_rec_{side}": rec.item()}
    if kl:
        k = kl_loss(mu, reduce)
        loss, logs[f"vae_kl_{side}"] = loss + w_kl * k, k.item()
    return loss, logs


def cc_loss(x: torch.Tensor, x_cyc: torch.Tensor, mu: torch.Tensor, mu_trans: torch.Tensor, *, side: str, w_kl: float,
            w_cyc: float, kl: bool = True, reduce: str = "sample") -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. (7)/(8): λ3 KL(q(z|x)) + λ3 KL(q(z|x̃_translated)) + λ4 ‖x̃_cycle − x‖₁."""
    rec = recon_loss(x, x_cyc, "l1")
    loss, logs = w_cyc * rec, {f"cc_rec_{side}": rec.item()}
    if kl:
        k = kl_loss(mu, reduce) + kl_loss(mu_trans, reduce)
        loss, logs[f"cc_kl_{side}"] = loss + w_kl * k, k.item()
    return loss, logs


def gan_gen_loss(fake_logits: torch.Tensor, *, side: str, w_gan: float) -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. (5)/(6) for E, G (non-saturating): λ0 · −E[log D(G(z))] on translated images."""
    g = gan_g_loss(fake_logits)
    return w_gan * g, {f"gan_{side}": g.item()}


def gan_dis_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, *, side: str
                 ) -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. (5)/(6) for D: −E[log D(x)] − E[log(1 − D(G(z)))]."""
    d = gan_d_loss(real_logits, fake_logits)
    return d, {f"d_{side}": d.item()}


# ------------------------------------------------------------------------------ config
@dataclass
class UNITConfig(BaseConfig):
    dataset: str = "usps20_mnist"
    preset: str = "digits"  # which PRESETS entry this config came from (documentation)
    arch: str = "digits"  # "digits" (Tables 4, 5) | "faces" (Table 3, scaled)
    image_size: int = 32
    channels: int = 1
    norm: str = "batch"  # E/G normalisation ("batch" | "instance")
    enc_widths: tuple[int, ...] = (32, 64, 128, 256)
    gen_widths: tuple[int, ...] = (128, 64, 32, 16)  # digits: the deconvs before the output (() = enc_widths reversed)
    z_dim: int = 256  # digits: channels of μ (1×1); faces: μ is the last ResBlock's map
    n_res: int = 2  # faces: ResBlocks in E and in G
    face_layout: str = "strided"  # faces: "strided" (every E conv 4×4 stride 2; μ at S/2^n) | "paper" (Table 3:
    #   K7 S1 first conv, K3 S2 after it, μ at S/2^(n−1); G mirrors it with K3 S2 DCONVs and a K1 output)
    face_up_kernel: int = 3  # faces, "paper" layout: kernel of G's stride-2 DCONVs (3 = Table 3; 4 = even overlap,
    #   K4 S2 P1, which removes the checkerboard a K3 S2 up-conv prints; not in the paper)
    face_conv_norm: str = ""  # faces, "paper" layout: norm of E's and G's non-residual convs ("" = ``norm``;
    #   "none" = the authors' released COCOResGen2: LeakyReLU convs without normalisation, IN only in ResBlocks)
    d_widths: tuple[int, ...] = (20, 50, 500)  # digits: conv, conv, FC (Table 5); faces: stride-2 convs
    dis_dropout: float = 0.5  # before D's heads (Table 5 row 3)
    n_shared_enc: int = 4  # tied last layers of E1/E2 (μ included); 0 = none
    n_shared_gen: int = 3  # tied first layers of G1/G2
    n_shared_dis: int = 3  # tied last layers of D1/D2 (heads included)
    cycle: bool = False  # L_CC terms (eq. 7, 8)
    kl: bool = True  # KL terms
    kl_reduce: str = "sample"  # "sample" (½‖μ‖² per image) | "element" (mean over z's elements)
    w_gan: float = 10.0  # λ0
    w_kl: float = 0.1  # λ1 = λ3
    w_rec: float = 100.0  # λ2
    w_cyc: float = 100.0  # λ4
    sample_std: float = 1.0  # scale of η when translate() is given a seed
    # domain adaptation
    classifier: bool = True  # a 10-way head on D's shared top features, trained on source labels
    n_classes: int = 10
    source: str = "B"  # the labelled side ("B" = MNIST in usps20_mnist: MNIST → USPS)
    source_only: bool = False  # baseline: D_source trunk + C by cross-entropy only; no translation network trained
    w_cls: float = 10.0  # authors' DA config: cls 10 vs GAN 1
    w_feat: float = 1.0  # feature matching between D1 and D2 (0 = off)
    twin_init: bool = False  # domain 2's untied layers start as copies of domain 1's (not in the paper)
    out_init: str = "dcgan"  # G's output layer: "dcgan" N(0, 0.02) like every layer | "fan_in" N(0, 1/fan_in)
    cls_translated: bool = False  # also classify translated source images with their source label (FINDINGS: hurt)
    # faces
    flip: bool = False
    balance: tuple[str, ...] = ()  # CelebA attributes equalised across A/B by sampling weights (DiscoGAN)
    ema: float = 0.0  # decay of a moving average of E/G that ships (0 = off)
    w_attr: float = 0.0  # L_ATTR weight (not in the paper): a frozen reader reads the same attributes on x and x̃
    attr_reader: str = "encoder-celeba-id"  # checkpoint with a 40-attribute CelebA aux head; never a metrics judge
    attr_keep: tuple[str, ...] = ()  # attributes L_ATTR keeps (() = ``balance``)
    judge: str = ""  # metrics only ("" = the dataset's judge)
    ship_dtype: str = "float32"  # dtype of the shipped weights ("float16" halves checkpoints/; compute stays float32)
    steps: int = 10000
    lr: float = 1e-4
    eval_limit: int = 2000


PRESETS: dict[str, dict[str, Any]] = {
    "digits": dict(),  # the dataclass defaults
    "faces": dict(dataset="celeba_Male", preset="faces", arch="faces", image_size=64, channels=3, norm="instance",
                  enc_widths=(32, 64, 128), n_res=2, d_widths=(32, 64, 128, 256), dis_dropout=0.0,
                  n_shared_enc=1, n_shared_gen=1, n_shared_dis=0, cycle=True, kl_reduce="element",
                  classifier=False, w_feat=0.0, flip=True, batch_size=32),
}


# ------------------------------------------------------------------------------ networks
def digit_encoder(c: int, w: tuple[int, ...], z_dim: int, size: int, norm: str) -> list[nn.Module]:
    """Table 4: [B,c,S,S] → k5 s2 → k5 s2 → k(S/4) s1 → 1×1 → μ 1×1: [B, z, 1, 1]."""
    k = lambda a, b, *kp: conv_block(a, b, *kp, norm=norm, act="lrelu")  # noqa: E731
    return [k(c, w[0], 5, 2, 2), k(w[0], w[1], 5, 2, 2), k(w[1], w[2], size // 4, 1, 0), k(w[2], w[3], 1, 1, 0),
            nn.Conv2d(w[3], z_dim, 1)]


def digit_generator(z_dim: int, w: tuple[int, ...], c: int, norm: str) -> list[nn.Module]:
    """Table 4: [B,z,1,1] → deconv k4 (1→4) → ×2 per layer → 1×1 deconv + tanh: [B, c, S, S]."""
    layers = [deconv_block(z_dim, w[0], 4, 2, 0, norm=norm, act="lrelu")]
    layers += [deconv_block(a, b, norm=norm, act="lrelu") for a, b in zip(w[:-1], w[1:])]
    return layers + [deconv_block(w[-1], c, 1, 1, 0, norm="none", act="tanh")]


def face_encoder(c: int, w: tuple[int, ...], n_res: int, norm: str, layout: str = "strided",
                 conv_norm: str = "") -> list[nn.Module]:
    """Table 3, scaled. ``strided``: 4×4 stride-2 convs, then ResBlocks: [B,c,S,S] → μ [B, w[-1], S/2^n, S/2^n].
    ``paper``: Table 3's layout, CONV-(K7,S1) then K3 S2 convs, then ResBlocks → μ [B, w[-1], S/2^(n−1), …];
    ``conv_norm`` ("" = ``norm``) normalises those convs ("none": the authors' released code, IN in ResBlocks only)."""
    if layout == "paper":
        k = lambda a, b, *kp: conv_block(a, b, *kp, norm=conv_norm or norm, act="lrelu")  # noqa: E731
        convs = [k(c, w[0], 7, 1, 3)] + [k(a, b, 3, 2, 1) for a, b in zip(w[:-1], w[1:])]
    else:
        convs = conv_stack(c, w, norm=norm)
    return convs + [ResBlock(w[-1], norm=norm, act="lrelu") for _ in range(n_res)]


def face_generator(w: tuple[int, ...], n_res: int, c: int, norm: str, layout: str = "strided",
                   up_kernel: int = 3, conv_norm: str = "") -> list[nn.Module]:
    """ResBlocks, then the mirrored deconvs and a tanh output deconv. ``paper``: Table 3's K3 S2 DCONVs back to
    full resolution (``up_kernel=4``: K4 S2 P1 instead, every output pixel fed by the same number of taps), then
    DCONV-(N3,K1,S1) + tanh; ``conv_norm`` as in ``face_encoder``."""
    up = list(reversed(w))
    res: list[nn.Module] = [ResBlock(w[-1], norm=norm, act="lrelu") for _ in range(n_res)]
    if layout == "paper":
        if up_kernel not in (3, 4):
            raise ValueError(f"face_up_kernel must be 3 (Table 3) or 4, got {up_kernel!r}")
        return res + [deconv_block(a, b, up_kernel, 2, 1, norm=conv_norm or norm, act="lrelu",
                                   output_padding=4 - up_kernel)
                      for a, b in zip(up[:-1], up[1:])] + [deconv_block(up[-1], c, 1, 1, 0, norm="none", act="tanh")]
    return res + deconv_stack(up[0], up[1:], c, norm=norm, act="lrelu")


def digit_dis(c: int, w: tuple[int, ...], size: int) -> list[nn.Module]:
    """Table 5: conv k5 + pool, conv k5 + pool, FC + ReLU, FC → 1 logit."""
    side = ((size - 4) // 2 - 4) // 2
    return [nn.Sequential(nn.Conv2d(c, w[0], 5), nn.ReLU(inplace=True), nn.MaxPool2d(2)),
            nn.Sequential(nn.Conv2d(w[0], w[1], 5), nn.ReLU(inplace=True), nn.MaxPool2d(2)),
            nn.Sequential(nn.Flatten(), nn.Linear(w[1] * side * side, w[2]), nn.ReLU(inplace=True)),
            nn.Linear(w[2], 1)]


def face_dis(c: int, w: tuple[int, ...], size: int) -> list[nn.Module]:
    """DiscoGAN's D: stride-2 convs, then one conv over the remaining map → 1 logit."""
    side = size // 2 ** len(w)
    return conv_stack(c, w) + [nn.Sequential(nn.Conv2d(w[-1], 1, min(4, side)), nn.Flatten())]


def tied(make: Callable[[], list[nn.Module]], n: int, last: bool) -> tuple[list[nn.Module], list[nn.Module]]:
    """Two layer lists from one factory whose last (``last``) or first ``n`` layers are the same modules."""
    a, b = make(), make()
    if not 0 <= n <= len(a):
        raise ValueError(f"cannot tie {n} of {len(a)} layers")
    for i in (range(len(a) - n, len(a)) if last else range(n)):
        b[i] = a[i]
    return a, b


class Discriminator(nn.Module):
    """``body`` → top features; dropout; ``head`` → one logit per image."""

    def __init__(self, layers: list[nn.Module], dropout: float):
        super().__init__()
        self.body, self.drop, self.head = nn.Sequential(*layers[:-1]), nn.Dropout(dropout), layers[-1]

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.body(x)  # digits [B, 500]; faces [B, w, 4, 4]
        return self.head(self.drop(f)).reshape(len(x)), f  # logits [B], features


# ------------------------------------------------------------------------------ method
class UNIT(TwoDomainGAN):
    Config = UNITConfig
    name = "unit"
    presets = PRESETS
    latent = "shared"
    latent_noise = True  # translate(code=η) decodes μ + η
    generator_names = TRANSLATORS

    def __init__(self, cfg: UNITConfig):
        super().__init__(cfg)
        c, s, w = cfg.channels, cfg.image_size, tuple(cfg.enc_widths)
        if cfg.source not in NUM:
            raise ValueError(f"source must be 'A' or 'B', got {cfg.source!r}")
        if cfg.source_only and not cfg.classifier:
            raise ValueError("source_only trains the classifier alone: it needs classifier=True")
        if cfg.kl_reduce not in ("sample", "element"):
            raise ValueError(f"kl_reduce must be 'sample' or 'element', got {cfg.kl_reduce!r}")
        if cfg.out_init not in ("dcgan", "fan_in"):
            raise ValueError(f"out_init must be 'dcgan' or 'fan_in', got {cfg.out_init!r}")
        if cfg.arch == "digits":
            gw = tuple(cfg.gen_widths) or tuple(reversed(w))
            if len(w) != 4 or 4 * 2 ** (len(gw) - 1) != s:
                raise ValueError(f"digits: 4 encoder widths and 1 + log2({s}/4) generator widths, got {w}, {gw}")
            enc = lambda: digit_encoder(c, w, cfg.z_dim, s, cfg.norm)  # noqa: E731
            gen = lambda: digit_generator(cfg.z_dim, gw, c, cfg.norm)  # noqa: E731
            dis, feat_dim = (lambda: digit_dis(c, tuple(cfg.d_widths), s)), cfg.d_widths[-1]
            self.z_shape = (cfg.z_dim, 1, 1)
        elif cfg.arch == "faces":
            if cfg.face_layout not in ("strided", "paper"):
                raise ValueError(f"face_layout must be 'strided' or 'paper', got {cfg.face_layout!r}")
            if cfg.face_conv_norm not in ("", *NORMS):
                raise ValueError(f"face_conv_norm must be '' (= norm) or one of {', '.join(NORMS)}, "
                                 f"got {cfg.face_conv_norm!r}")
            enc = lambda: face_encoder(c, w, cfg.n_res, cfg.norm, cfg.face_layout, cfg.face_conv_norm)  # noqa: E731
            gen = lambda: face_generator(w, cfg.n_res, c, cfg.norm, cfg.face_layout, cfg.face_up_kernel,  # noqa: E731
                                         cfg.face_conv_norm)
            dis = lambda: face_dis(c, tuple(cfg.d_widths), s)  # noqa: E731
            feat_dim = cfg.d_widths[-1] * (s // 2 ** len(cfg.d_widths)) ** 2
            down = 2 ** (len(w) - (cfg.face_layout == "paper"))
            self.z_shape = (w[-1], s // down, s // down)
        else:
            raise ValueError(f"arch must be 'digits' or 'faces', got {cfg.arch!r}")
        self.code_dim = self.z_shape[0] * self.z_shape[1] * self.z_shape[2]  # η has μ's shape
        e1, e2 = tied(enc, cfg.n_shared_enc, last=True)
        g1, g2 = tied(gen, cfg.n_shared_gen, last=False)
        d1, d2 = tied(dis, cfg.n_shared_dis, last=True)
        self.n_front_enc = len(e1) - cfg.n_shared_enc  # E_s[:n_front_enc] is side s's own
        self.E1, self.E2 = nn.Sequential(*e1), nn.Sequential(*e2)
        self.G1, self.G2 = nn.Sequential(*g1), nn.Sequential(*g2)
        self.D1, self.D2 = Discriminator(d1, cfg.dis_dropout), Discriminator(d2, cfg.dis_dropout)
        self.discriminator_names = ("D1", "D2")
        if cfg.classifier:
            self.C = nn.Linear(feat_dim, cfg.n_classes)  # one head on whichever D trunk reads the image
            self.discriminator_names += ("C",)
        init_weights(self)
        if cfg.out_init == "fan_in":
            self._fan_in_output_init()
        if cfg.twin_init:
            self._twin_init()
        self.inference_modules = TRANSLATORS + (self.discriminator_names if cfg.classifier else ())
        self.average_weights(TRANSLATORS)  # cfg.ema: the shipped E/G are a moving average (ties kept)

    def load_pretrained(self) -> None:
        """``w_attr`` > 0: the frozen attribute reader of L_ATTR (a training-only part, never shipped)."""
        c = self.cfg
        if not c.w_attr:
            return
        from xdomain import hub
        from xdomain.data.sources import CELEBA_ATTRS

        keep = tuple(c.attr_keep or c.balance)
        if not keep:
            raise ValueError("w_attr > 0 needs attributes to keep (attr_keep or balance)")
        if c.attr_reader in set(self.judge_names().values()) | {domains.dataset_info(c.dataset).judge, PLAIN_CELEBA_JUDGE}:
            raise ValueError(f"attr_reader {c.attr_reader!r} is a judge the metrics read; name another reader")
        reader = hub.load_model(c.attr_reader)
        if getattr(reader.cfg, "aux_outputs", 0) != len(CELEBA_ATTRS):
            raise ValueError(f"attr_reader {c.attr_reader!r} has no {len(CELEBA_ATTRS)}-attribute CelebA head")
        unknown = [a for a in keep if a not in CELEBA_ATTRS]
        if unknown:
            raise ValueError(f"unknown CelebA attributes in attr_keep: {unknown}")
        self.attr_index = [reader.cfg.n_classes + CELEBA_ATTRS.index(a) for a in keep]  # columns of the aux head
        self.attr_reader = reader.net.requires_grad_(False).eval()

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """A training state saved with L_ATTR carries the frozen reader (``attr_reader.*``); a model built without
        it (snapshot scoring, export, inference) ignores those tensors: the reader is never part of the model."""
        if getattr(self, "attr_reader", None) is None:
            state_dict = {k: v for k, v in state_dict.items() if not k.startswith("attr_reader.")}
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    def train(self, mode: bool = True) -> "UNIT":
        super().train(mode)
        if getattr(self, "attr_reader", None) is not None:
            self.attr_reader.eval()  # frozen: its batch norm keeps its own statistics
        return self

    def attr_loss(self, xa: torch.Tensor, xb: torch.Tensor, x_ab: torch.Tensor, x_ba: torch.Tensor
                  ) -> tuple[torch.Tensor, dict[str, float]]:
        """w_attr · L_ATTR on (x1, x̃_{1→2}) and (x2, x̃_{2→1})."""
        if getattr(self, "attr_reader", None) is None:
            raise RuntimeError("w_attr > 0: call load_pretrained() first (it loads the attribute reader)")
        with torch.no_grad():
            lx = self.attr_reader(torch.cat([xa, xb]))[:, self.attr_index]
        la = attribute_consistency_loss(lx, self.attr_reader(torch.cat([x_ab, x_ba]))[:, self.attr_index])
        return self.cfg.w_attr * la, {"attr": la.item()}

    @torch.no_grad()
    def _fan_in_output_init(self) -> None:
        """``out_init="fan_in"``: G1's and G2's output layer drawn N(0, 1/fan_in) instead of DCGAN's N(0, 0.02²).
        At the digit preset's 16 input channels the DCGAN draw keeps tanh's input below ~0.2, and Adam moves it
        ~lr per step, so G needs thousands of steps to even draw a black background (docs/unit.md); at fan-in
        scale (std 0.25 there) the VAE reconstructs in a few hundred. Not in the paper, which states no init."""
        for g in (self.G1, self.G2):
            out = [m for m in g.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))][-1]
            fan_in = out.in_channels * out.kernel_size[0] * out.kernel_size[1]
            nn.init.normal_(out.weight, 0.0, fan_in ** -0.5)

    @torch.no_grad()
    def _twin_init(self) -> None:
        """``twin_init``: start each untied layer of domain 2 as a copy of domain 1's (E, G and D), so the two
        paths begin identical and only training makes them differ (not in the paper; the ties are unchanged)."""
        for a, b in ((self.E1, self.E2), (self.G1, self.G2), (self.D1, self.D2)):
            for p1, p2 in zip(a.parameters(), b.parameters()):
                if p1 is not p2 and p1.shape == p2.shape:
                    p2.copy_(p1)

    @classmethod
    def tiny_config(cls, preset: str = "digits") -> UNITConfig:
        tiny = dict(image_size=16, enc_widths=(4, 8, 8, 8), gen_widths=(8, 8, 4), z_dim=8, d_widths=(4, 8, 16),
                    batch_size=4, steps=2, eval_limit=16)
        if preset == "faces":
            tiny = dict(image_size=16, enc_widths=(4, 8), n_res=1, d_widths=(4, 8), batch_size=4, steps=2,
                        eval_limit=16)
        return cls.preset(preset, **tiny)

    @property
    def domain_names(self) -> tuple[str, str]:
        return domains.dataset_info(self.cfg.dataset).domain_names

    # -------------------------------------------------------------- data
    @classmethod
    def load_data(cls, cfg: UNITConfig, root: Any, split: str) -> Domains:
        """A and B; labels of the source only in training (adaptation), of both for evaluation."""
        d = domains.get_domains(cfg.dataset, root, split, cfg.seed, size=cfg.image_size)
        keep = {k for k in d if k.startswith(("label_", "attrs_")) and split != "train"}
        if cfg.classifier and split == "train":
            keep = {f"label_{cfg.source}"}
        tensors = {"A": d["A"], "B": d["B"]} | {k: d[k] for k in sorted(keep)}
        weights = {}
        if cfg.balance and split == "train":
            weights = domains.balance_weights_for(d, cfg.balance)
        return Domains(tensors, groups={s: [s] + [k for k in tensors if k.endswith("_" + s)] for s in "AB"},
                       weights=weights)

    def augment(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        """Random horizontal flips (``flip``), the same in the D- and the G-step of an iteration."""
        return domains.random_flips(batch, self.cfg.seed, step) if self.cfg.flip else batch

    # -------------------------------------------------------------- inference API
    def net(self, kind: str, side: str) -> nn.Module:
        """``net("E", "A")`` → E1, the one that runs inference (the average when ``ema`` is on)."""
        return self.inference_net(kind + NUM[side])

    def encode(self, x: torch.Tensor, side: str) -> tuple[torch.Tensor, None]:
        """(μ [B, *z_shape], None): the shared code of side-``side`` images (no exclusive part)."""
        return self.net("E", side)(x), None

    def decode(self, z: torch.Tensor, exclusive: None, side: str) -> torch.Tensor:
        """Side-``side`` images [B, C, S, S] from shared codes z [B, *z_shape]."""
        return self.net("G", side)(z)

    @torch.no_grad()
    def translate(self, x: torch.Tensor, direction: str = "a2b", *, seed: int | None = None,
                  code: torch.Tensor | None = None) -> torch.Tensor:
        """G_dst(μ + η): η = 0 (``seed=None``), ``sample_std``·N(0, I) drawn from ``seed``, or ``code``
        ([d] or [N, d])."""
        src, dst = self.check_direction(direction)
        mu, _ = self.encode(x.to(self.device, torch.float32), src)  # [N, *z_shape]
        if code is not None:
            eta = torch.as_tensor(code, dtype=torch.float32, device=mu.device).reshape(-1, self.code_dim)
            mu = mu + eta.expand(len(mu), -1).reshape(mu.shape)
        elif seed is not None:
            mu = mu + self.cfg.sample_std * self.draw_code(len(mu), seed).reshape(mu.shape)
        return self.decode(mu, None, dst)

    @torch.no_grad()
    def classify(self, x: torch.Tensor, side: str) -> torch.Tensor:
        """Class logits [N, K] via side's D and the tied trunk (the source D for the source-only baseline)."""
        side = self.cfg.source if self.cfg.source_only else side
        return torch.cat([self._cls_logits(side, x[i:i + 500].to(self.device)).cpu() for i in range(0, len(x), 500)])

    def _cls_logits(self, side: str, x: torch.Tensor) -> torch.Tensor:
        d = getattr(self, "D" + NUM[side])
        return self.C(d.drop(d(x)[1]).flatten(1))  # [B, K]

    # -------------------------------------------------------------- training
    def _encode_pair(self, xa: torch.Tensor, xb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """μ of both batches; the tied top layers run once over [A; B] (shared batch statistics)."""
        k = self.n_front_enc
        mu = self.E1[k:](torch.cat([self.E1[:k](xa), self.E2[:k](xb)]))
        return mu[:len(xa)], mu[len(xa):]

    def _decode_pair(self, za: torch.Tensor, zb: torch.Tensor, cross_only: bool = False) -> tuple[torch.Tensor, ...]:
        """The tied bottom of G once over [z_a; z_b], then each side's own layers: (x_aa, x_ba, x_ab, x_bb);
        ``cross_only``: (G1(z_a), G2(z_b)) — the cycle stream, where z_a comes from a B-image."""
        k, n = self.cfg.n_shared_gen, len(za)
        h = self.G1[:k](torch.cat([za, zb]))
        if cross_only:
            return self.G1[k:](h[:n]), self.G2[k:](h[n:])
        ya, yb = self.G1[k:](h), self.G2[k:](h)  # [2B, C, S, S] each
        return ya[:n], ya[n:], yb[:n], yb[n:]

    def _forward(self, xa: torch.Tensor, xb: torch.Tensor, cycle: bool) -> dict[str, torch.Tensor]:
        """Reconstruction and translation streams (and the cycle stream), z = μ + η throughout."""
        o: dict[str, torch.Tensor] = {}
        o["mu_a"], o["mu_b"] = self._encode_pair(xa, xb)
        za, zb = o["mu_a"] + torch.randn_like(o["mu_a"]), o["mu_b"] + torch.randn_like(o["mu_b"])
        o["aa"], o["ba"], o["ab"], o["bb"] = self._decode_pair(za, zb)
        if cycle:
            o["mu_ba"], o["mu_ab"] = self._encode_pair(o["ba"], o["ab"])  # E1 reads x̃_{2→1}, E2 reads x̃_{1→2}
            o["aba"], o["bab"] = self._decode_pair(o["mu_ab"] + torch.randn_like(o["mu_ab"]),
                                                   o["mu_ba"] + torch.randn_like(o["mu_ba"]), cross_only=True)
        return o

    def d_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        c, b = self.cfg, self.augment(batch, step)
        src = c.source
        if c.source_only:
            loss, logs = classification_loss(self._cls_logits(src, b[src]), b[f"label_{src}"])
            self.optimize("D", c.w_cls * loss)
            return logs
        with torch.no_grad():
            o = self._forward(b["A"], b["B"], cycle=False)
        trans, recon = {"A": o["ba"], "B": o["ab"]}, {"A": o["aa"], "B": o["bb"]}  # generated side-s images
        real, fake, feats = {}, {}, {}
        for s, d in (("A", self.D1), ("B", self.D2)):
            real[s] = d(b[s])  # (logits [B], features)
            logit, f = d(torch.cat([trans[s], recon[s]]) if c.w_feat else trans[s])
            n = len(trans[s])
            fake[s], feats[s] = (logit[:n], f[:n]), f[n:]  # feats[s]: D_s's features of side s's reconstruction
        total, logs = 0.0, {}
        for s in "AB":
            loss, lg = gan_dis_loss(real[s][0], fake[s][0], side=s)
            total, logs = total + loss, logs | lg
        if c.w_feat:  # pairs from one z: (x̃_{1→1} by D1, x̃_{1→2} by D2), (x̃_{2→2} by D2, x̃_{2→1} by D1)
            fm, lg = feature_matching_loss(torch.cat([feats["A"], feats["B"]]), torch.cat([fake["B"][1], fake["A"][1]]))
            total, logs = total + c.w_feat * fm, logs | lg
        if c.classifier:
            d_src = getattr(self, "D" + NUM[src])
            ce, lg = classification_loss(self.C(d_src.drop(real[src][1]).flatten(1)), b[f"label_{src}"])
            if c.cls_translated:  # translated source images with their source labels, through the target D
                tgt = OTHER[src]
                ce = ce + F.cross_entropy(self.C(getattr(self, "D" + NUM[tgt]).drop(fake[tgt][1]).flatten(1)),
                                          b[f"label_{src}"].long())
            total, logs = total + c.w_cls * ce, logs | lg
        self.optimize("D", total)
        return logs

    def g_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        c, b = self.cfg, self.augment(batch, step)
        if c.source_only:  # the baseline trains no translation network
            return {}
        kw = dict(kl=c.kl, reduce=c.kl_reduce, w_kl=c.w_kl)
        with self.d_frozen():
            o = self._forward(b["A"], b["B"], cycle=c.cycle)
            terms = [vae_loss(b["A"], o["aa"], o["mu_a"], side="A", w_rec=c.w_rec, **kw),
                     vae_loss(b["B"], o["bb"], o["mu_b"], side="B", w_rec=c.w_rec, **kw),
                     gan_gen_loss(self.D1(o["ba"])[0], side="A", w_gan=c.w_gan),
                     gan_gen_loss(self.D2(o["ab"])[0], side="B", w_gan=c.w_gan)]
            if c.cycle:
                terms += [cc_loss(b["A"], o["aba"], o["mu_a"], o["mu_ab"], side="A", w_cyc=c.w_cyc, **kw),
                          cc_loss(b["B"], o["bab"], o["mu_b"], o["mu_ba"], side="B", w_cyc=c.w_cyc, **kw)]
            if c.w_attr:
                terms.append(self.attr_loss(b["A"], b["B"], o["ab"], o["ba"]))
            total = sum(t[0] for t in terms)
            self.optimize("G", total)
        self.update_average()
        return {k: v for _, lg in terms for k, v in lg.items()} | {"g_total": total.item()}

    # -------------------------------------------------------------- metrics / card
    def judge_names(self) -> dict[str, str]:
        judge = self.cfg.judge or domains.dataset_info(self.cfg.dataset).judge
        names = {"digits": judge} if self.cfg.arch == "digits" else {"attributes": judge}
        if self.cfg.dataset.startswith("celeba_") and judge != PLAIN_CELEBA_JUDGE:
            names["plain"] = PLAIN_CELEBA_JUDGE
        return {k: v for k, v in names.items() if v}

    @torch.no_grad()
    def z_diversity(self, x: torch.Tensor, direction: str, draws: int = 4) -> float:
        """Mean pairwise L1 ([0, 1] scale) between ``draws`` translations of each input with η ~ N(0, sample_std²)."""
        ys = torch.stack([self.translate_batched(x, direction, seed=1000 * i) for i in range(draws)])  # [k, N, C, S, S]
        pairs = [(i, j) for i in range(draws) for j in range(i + 1, draws)]
        return sum(l1_01(ys[i], ys[j]) for i, j in pairs) / len(pairs)

    @torch.no_grad()
    def compute_metrics(self, data, judges, limit=None) -> dict[str, float]:
        """Digits: target / source test accuracy of C (adaptation), digit kept by the judge, cycle error;
        faces: DiscoGAN's metrics (flip, kept attributes, cycle, drift, diversity). Both: z diversity."""
        n = {s: min(limit or len(data[s]), len(data[s])) for s in "AB"}
        x = {s: data[s][:n[s]] for s in "AB"}
        if self.cfg.arch == "faces":
            out = discogan_metrics(self, data, judges, limit, n_div=min(500, *n.values()))
            out["cycle_l1_a"] = l1_01(self.translate_batched(self.translate_batched(x["A"], "a2b"), "b2a"), x["A"])
        else:
            out = {"n_test_A": float(n["A"]), "n_test_B": float(n["B"])}
            fake = {d: self.translate_batched(x[d[0].upper()], d) for d in self.directions}
            out["cycle_l1_a"] = l1_01(self.translate_batched(fake["a2b"], "b2a"), x["A"])
            out["cycle_l1_b"] = l1_01(self.translate_batched(fake["b2a"], "a2b"), x["B"])
            y = {s: data[f"label_{s}"][:n[s]] for s in "AB" if f"label_{s}" in data}
            if self.cfg.classifier and len(y) == 2:
                src, tgt = self.cfg.source, OTHER[self.cfg.source]
                acc = {s: (self.classify(x[s], s).argmax(1) == y[s]).float().mean().item() for s in "AB"}
                out["acc_source_test"], out["acc_target_test"] = acc[src], acc[tgt]
            judge = judges.get("digits")
            if judge is not None and len(y) == 2:
                for s in "AB":
                    out[f"judge_acc_real_{s}"] = (judged(judge, x[s]) == y[s]).float().mean().item()
                for d in self.directions:
                    out[f"label_kept_{d}"] = (judged(judge, fake[d]) == y[d[0].upper()]).float().mean().item()
        k = {s: x[s][:min(200, n[s])] for s in "AB"}
        for d in self.directions:
            out[f"z_diversity_{d}"] = self.z_diversity(k[d[0].upper()], d)
        return out

    def model_card(self) -> str:
        c, j = self.cfg, lambda t: "-".join(map(str, t))  # noqa: E731
        translator = unique_parameters(*[getattr(self, n) for n in TRANSLATORS])
        data = ("MNIST (CC BY-SA 3.0) ↔ USPS, USPS put in MNIST's 20-pixel box" if c.arch == "digits"
                else "CelebA (non-commercial research only; official identity-disjoint split)")
        nets = (f"Table 4/5 networks scaled for CPU: encoder {j(c.enc_widths)} (paper 64-128-256-512), generator "
                f"{j(c.gen_widths)} (paper 512-256-128-64)" if c.arch == "digits" else
                f"Table 3 networks scaled for CPU: encoder {j(c.enc_widths)} + {c.n_res} ResBlocks (paper "
                f"64-128-256 + 4 ResBlocks), mirrored generator; "
                + ("Table 3's layout (K7 S1 first conv, K3 S2 convs, K1 output)"
                   + ("" if c.face_up_kernel == 3 else f", except G's stride-2 DCONVs are K{c.face_up_kernel} "
                      "(even overlap, no checkerboard; not in the paper)")
                   + ("" if c.face_conv_norm in ("", c.norm) else
                      f"; no normalisation in E's and G's plain convs, {c.norm} norm only inside the ResBlocks (as "
                      "the authors' released COCOResGen2)" if c.face_conv_norm == "none" else
                      f"; plain convs with {c.face_conv_norm} normalisation") if c.face_layout == "paper" else
                   "every E conv 4×4 stride 2 (paper: K7 S1 first, then K3 S2)"))
        src = self.domain_names["AB".index(c.source)]
        adapt = (f"Domain adaptation: source {src}; a {c.n_classes}-way head on the tied D trunk trained on real "
                 f"source labels only (weight {c.w_cls:g}), feature matching {c.w_feat:g}, D dropout {c.dis_dropout:g}; "
                 "target labels are never used in training. "
                 + ("**Source-only baseline**: only D_source's trunk and the head are trained. " if c.source_only else ""))
        return (
            f"UNIT `{c.preset}` preset (Liu, Breuel & Kautz, NeurIPS 2017): two VAE-GANs sharing one latent space; "
            f"x₁→₂ = G2(E1(x₁)) at μ, or μ + {c.sample_std:g}·η with a seed. Dataset `{c.dataset}` at "
            f"{c.image_size}×{c.image_size}×{c.channels}: {data}. {nets}, z {'×'.join(map(str, self.z_shape))}, "
            f"D {j(c.d_widths)}; tied layers E {c.n_shared_enc}, G {c.n_shared_gen}, D {c.n_shared_dis}; "
            f"{sum(p.numel() for p in translator) / 1e6:.2f}M E/G parameters (a tied tensor counted once), "
            f"{count_params(self.D1) / 1e6:.2f}M in D1. λ0={c.w_gan:g}, λ1=λ3={c.w_kl:g} (KL per {c.kl_reduce}"
            f"{'' if c.kl else ', off'}), λ2={c.w_rec:g}, λ4={c.w_cyc:g} (cycle terms {'on' if c.cycle else 'off'}); "
            f"Adam {c.lr:g} ({c.beta1}, {c.beta2}), batch {c.batch_size} per domain, {c.steps} iterations planned. "
            + (adapt if c.classifier else "")
            + (f"Attribute-balanced sampling over {', '.join(c.balance)} (not in the paper). " if c.balance else "")
            + (f"The shipped E/G are a moving average (decay {c.ema:g}, not in the paper). " if c.ema else "")
            + (f"**Not in the paper**: attribute consistency L_ATTR (weight {c.w_attr:g}) through the frozen "
               f"`{c.attr_reader}` attribute head on {', '.join(c.attr_keep or c.balance)}; no metrics judge is used "
               "in training. " if c.w_attr else "")
        )
