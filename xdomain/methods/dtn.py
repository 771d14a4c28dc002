"""Domain Transfer Network (DTN): Taigman, Polyak & Wolf, *Unsupervised Cross-Domain Image
Generation*, ICLR 2017 (notes: ``shared/papers/dtn_taigman2017_notes.txt``).

G maps a source domain S into a target domain T through a *fixed, pre-trained* context encoder f:
G = g(f(x)). The discriminator D is ternary: class 1 = G(x) for x ∈ S, class 2 = G(x) for x ∈ T,
class 3 = a real x ∈ T (code labels 0, 1, 2). With D_i the softmax probabilities:

    L_D    = −E_{x∈S} log D_1(G(x)) − E_{x∈T} log D_2(G(x)) − E_{x∈T} log D_3(x)
    L_GANG = −E_{x∈S} log D_3(G(x)) − E_{x∈T} log D_3(G(x))
    L_CONST = Σ_{x∈S} d(f(x), f(G(x)))          d = MSE (on L2-normalised features if ``l2_features``)
    L_TID   = Σ_{x∈T} d_2(x, G(x))               d_2 = MSE
    L_TV    = total variation of G(x)
    L_G    = L_GANG + α L_CONST + β L_TID + γ L_TV       (g is trained; f is frozen)

Flag beyond the paper (``delta`` > 0; 0 = the paper's model): attribute consistency through f's own
attribute head a(·) (an f trained with ``aux_outputs``, e.g. ``encoder-celeba-id``):
    L_ATTR = BCE(a(G(x)), σ(a(x)))  for x ∈ S,      L_G += δ L_ATTR
and (``epsilon`` > 0 with a ``teacher`` reader) a parametric teacher: R(p̂(x)) is the DiceBear avatar that
the parametric path (:mod:`xdomain.avatar_fit`) draws for x — the teacher's attribute reading, skin by ITA,
variant seed 0 and, where the teacher's calibration adopts it, the variant f chooses (revisions 6–10) — and G is
pulled towards it (pseudo-pairs; none of the avatar judges is involved; drawn once per batch):
    L_PAR = ‖G(x) − R(p̂(x))‖₁ (mean)  for x ∈ S,      L_G += ε L_PAR
(``teacher_frames="contrast"``: R draws glasses frames in the darker frame colour of highest contrast to the
skin, :func:`xdomain.avatar_fit.contrast_frames`, instead of the style's mostly pastel frame palette)
and (``reader_input``: a CelebA attribute reader r, e.g. the teacher's) g reads r's 40 attribute logits beside
f's features — f's context widened by the decisions the teacher draws from, both frozen, L_CONST still on f:
    G(x) = g([f(x); r(x)])     (each part standardised)
and (``zeta`` > 0, with the teacher) semantic consistency (revision 18): s is a frozen avatar attribute reader
trained only on the DTN's own target set (``sem_reader``, e.g. ``reader-avatar-attrs``; never an avatar judge),
t(p̂(x)) the targets of the teacher's parameters for x in the avatar judge's output layout
(:func:`xdomain.data.avatars.params_targets`: tone soft, hair colour and style one-hot, glasses, facial hair,
smiling), so a faint frame or a wrong hair colour costs what the attribute is worth, not the pixels it covers:
    L_SEM = BCE(s(G(x)), t(p̂(x)))  for x ∈ S,      L_G += ζ L_SEM
and (``decision_input``, revision 22, with ``reader_input`` = ``teacher``) g also reads the teacher's decisions
for x, t(p̂(x)) (L_SEM's 12 targets: tone, hair colour and style one-hot, glasses, facial hair, smiling), thresholded
from r(x) with the teacher's validation thresholds (copied into ``decision_calibration``) and the ITA of x, so g
need not learn the thresholds itself:
    G(x) = g([f(x); r(x); 2 t(p̂(x)) − 1])
and (``ema`` = β' > 0, revision 20) generator weight averaging: a shadow g' ← β'·g' + (1 − β')·g after every
G step ships and translates (:meth:`~xdomain.methods.base.TwoDomainGAN.average_weights`); training is unchanged.

Paper symbols ↔ code: f ↔ ``self.f`` (a frozen :class:`~xdomain.methods.classifier.Classifier`,
``f.features``), g ↔ ``self.g``, D ↔ ``self.D``, α/β/γ ↔ ``alpha``/``beta``/``gamma``; flags δ/ε/ζ ↔
``delta``/``epsilon``/``zeta``, R ↔ ``self.teacher``, s ↔ ``self._sem`` (not a module of the checkpoint).
The sums are batch means here (the scale is absorbed by α, β).

Presets (:data:`PRESETS`, ``DTN.preset(name)``; ``python -m xdomain train dtn --config`` a saved
config or ``--set preset=…`` fields by hand):

* ``digits``: USPS → MNIST at 32×32 (SVHN is not obtainable here); f = the USPS classifier
  ``judge-usps`` (4 convs 64-128-256-128, max-pool, ReLU, 128-d); α = β = 15, γ = 0. USPS is put in
  MNIST's 20-pixel digit box (``usps20_mnist``): an f trained on full-frame USPS reads MNIST at
  chance (18 %), so L_TID/L_CONST had nothing to hold on to and G collapsed classes (7→1, 8→0).
* ``avatars``: CelebA → DiceBear avatars (``avatar_style``, rendered with their parameters as labels,
  :mod:`xdomain.data.avatars`) at 64×64; f = ``encoder-celeba-id``, trained on CelebA train identities
  *and* attributes with stylisation augmentation (the paper's f, DeepFace, is an identity network);
  the faces preset's losses and weights. Judged by :mod:`xdomain.metrics.avatars` (issue 16).
* ``faces``: CelebA → emoji at 64×64; f = a CelebA 40-attribute network ``judge-celeba-attrs``
  (the paper's DeepFace is not available); α = 100, β = 1, γ = 0.05.

One iteration is ``d_steps`` (1) D update then ``g_steps`` G updates on the same batch (2 in both presets;
public re-implementations use 4-6): with one G step the ternary D wins within a few hundred steps
and G drifts towards whatever f accepts (measured here: blob-like "0"s that f still classifies right).

Two measured pitfalls (``shared/FINDINGS.md``, DTN section) are built in: g reads f's features
*standardised* per dimension (running statistics kept as buffers in ``self.norm``), and the source and
target batches go through g in ONE forward so g's BatchNorm statistics are shared.

The DTN checkpoint is self-contained: f's config is copied into ``encoder_config`` and f's weights
are an inference module, so loading never needs the encoder checkpoint. Building a DTN does no I/O:
before training, :meth:`DTN.resolve_config` copies the named encoder's config and
:meth:`DTN.load_pretrained` its weights (the training loop calls both).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from xdomain.config import BaseConfig
from xdomain.data import avatars, domains, sources
from xdomain.losses import attribute_consistency_loss, semantic_consistency_loss, total_variation
from xdomain.methods.base import Domains, TwoDomainGAN
from xdomain.methods.classifier import Classifier, ClassifierConfig
from xdomain.metrics import dtn as dtn_metrics
from xdomain.nn.blocks import conv_discriminator, deconv_block, deconv_stack, init_weights

# D's three classes (paper's D_1, D_2, D_3)
FAKE_S, FAKE_T, REAL_T = 0, 1, 2
REAL_SKIN_TONES = ("light", "medium-light", "medium", "medium-dark", "dark")
AVATAR_JUDGES = {"avatar": "judge-avatar-attrs", "identity": "judge-celeba-identity",
                 "avatarness": "judge-face-avatar"}  # issue 16's independent judges, by role
AGREEMENT_ATTRS = ("Male", "Blond_Hair", "Black_Hair", "Eyeglasses", "Smiling")


# ------------------------------------------------------------------------------ losses (pure)
def dtn_d_loss(logits_gs: torch.Tensor, logits_gt: torch.Tensor, logits_t: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
    """L_D on D's 3-way logits [B, 3] for G(x_s), G(x_t) and real x_t."""
    ce = lambda z, c: F.cross_entropy(z, torch.full((len(z),), c, dtype=torch.long, device=z.device))  # noqa: E731
    l1, l2, l3 = ce(logits_gs, FAKE_S), ce(logits_gt, FAKE_T), ce(logits_t, REAL_T)
    return l1 + l2 + l3, {"d_gs": l1.item(), "d_gt": l2.item(), "d_real": l3.item()}


def dtn_g_adv_loss(logits_gs: torch.Tensor, logits_gt: torch.Tensor) -> torch.Tensor:
    """L_GANG: both generated batches should be called "real target" (class 3)."""
    real = lambda z: torch.full((len(z),), REAL_T, dtype=torch.long, device=z.device)  # noqa: E731
    return F.cross_entropy(logits_gs, real(logits_gs)) + F.cross_entropy(logits_gt, real(logits_gt))


def dtn_g_loss(logits_gs, logits_gt, f_s, f_gs, x_t, g_t, g_all, alpha: float, beta: float, gamma: float
               ) -> tuple[torch.Tensor, dict[str, float]]:
    """L_G = L_GANG + α L_CONST + β L_TID + γ L_TV (features/images as given; MSE distances)."""
    gang = dtn_g_adv_loss(logits_gs, logits_gt)
    const = F.mse_loss(f_gs, f_s)
    tid = F.mse_loss(g_t, x_t)
    tv = total_variation(g_all) if gamma else torch.zeros((), device=g_all.device)
    loss = gang + alpha * const + beta * tid + gamma * tv
    return loss, {"g_gang": gang.item(), "g_const": const.item(), "g_tid": tid.item(), "g_tv": tv.item()}


# ------------------------------------------------------------------------------ config
def attribute_consistency(f: Classifier, xs: torch.Tensor, gs: torch.Tensor) -> torch.Tensor:
    """L_ATTR = BCE(a(G(x)), σ(a(x))): f's attribute head should read the same attributes on x and G(x)."""
    n = f.cfg.n_classes
    with torch.no_grad():
        target = f.net(xs)[:, n:]
    return attribute_consistency_loss(target, f.net(gs)[:, n:])


def _plain(d: dict) -> dict:
    """Tuples → lists, as the dict reads back from config.json."""
    return json.loads(json.dumps(d))


@dataclass
class DTNConfig(BaseConfig):
    dataset: str = "usps20_mnist"  # "usps20_mnist"/"usps_mnist" (digits) or "celeba_emoji" (faces)
    preset: str = "digits"  # which PRESETS entry this config came from (documentation)
    encoder: str = "judge-usps"  # checkpoint (name or folder) of the Classifier used as f
    encoder_config: dict = field(default_factory=dict)  # filled from the encoder; rebuilds f on load
    image_size: int = 32
    channels: int = 1
    g_widths: tuple[int, ...] = (256, 128, 64)  # 1×1 → 4×4, then ×2 per width; the last deconv gives the image
    d_widths: tuple[int, ...] = (64, 128, 256)  # each halves H, W; then a conv to 3 logits
    alpha: float = 15.0
    beta: float = 15.0
    gamma: float = 0.0
    delta: float = 0.0  # weight of L_ATTR (attribute consistency through f's attribute head); 0 = the paper
    epsilon: float = 0.0  # weight of L_PAR (L1 to the teacher's parametric avatar of x); 0 = the paper
    teacher: str = ""  # attribute reader checkpoint for L_PAR (e.g. "judge-celeba-attrs"; never an avatar judge)
    teacher_frames: str = ""  # "": the teacher's glasses frames as the parametric path draws them; "contrast": dark
    reader_input: str = ""  # attribute reader checkpoint whose logits g also reads ("" = g reads f alone, the paper)
    reader_config: dict = field(default_factory=dict)  # filled from reader_input; rebuilds r on load
    zeta: float = 0.0  # weight of L_SEM (revision 18: s reads G(x) against the teacher's parameters); 0 = the paper
    sem_reader: str = ""  # avatar reader checkpoint for L_SEM, trained on the DTN's own targets (never a judge)
    ema: float = 0.0  # decay of a moving average of g that ships and translates (0 = off, the paper)
    decision_input: bool = False  # revision 22: g also reads the teacher's decisions (needs reader_input = teacher)
    decision_calibration: dict = field(default_factory=dict)  # the teacher's thresholds; filled from the teacher
    ship_dtype: str = "float32"  # dtype of the shipped weights ("float16" halves checkpoints/; compute stays float32)
    avatar_style: str = "avataaars"  # target style of the "celeba_avatars" dataset
    l2_features: bool = False  # L2-normalise f(x) before L_CONST and g (faces: makes α = 100 sensible)
    target_batch: int = 0  # target images per step (0: batch_size)
    shift_aug: int = 0  # random shift (pixels) of everything D sees
    emoji_vendors: tuple[str, ...] = ("twitter",)
    emoji_subcategories: tuple[str, ...] = ("person",)
    emoji_skin_tones: tuple[str, ...] = REAL_SKIN_TONES
    judge: str = "judge-mnist"  # digits: MNIST classifier; faces: face-vs-emoji classifier
    steps: int = 3000

    def __post_init__(self) -> None:
        self.encoder_config = _plain(self.encoder_config)  # JSON form, so a saved config compares equal
        self.reader_config = _plain(self.reader_config)
        if self.zeta and not (self.epsilon and self.sem_reader):
            raise ValueError("zeta > 0 needs the teacher flag (epsilon > 0) and a sem_reader")
        if self.sem_reader in AVATAR_JUDGES.values():
            raise ValueError(f"sem_reader {self.sem_reader!r} is an avatar judge: judges never train a model")
        if self.decision_input and not (self.reader_input and self.reader_input == self.teacher):
            raise ValueError("decision_input needs reader_input = teacher (g reads the decisions the teacher draws from)")
        if self.teacher_frames:
            from xdomain.avatar_fit import FRAMES

            if self.teacher_frames not in FRAMES:
                raise ValueError(f"teacher_frames must be one of {FRAMES}, got {self.teacher_frames!r}")


PRESETS: dict[str, dict[str, Any]] = {
    "digits": dict(dataset="usps20_mnist", preset="digits", encoder="judge-usps", image_size=32, channels=1,
                   alpha=15.0, beta=15.0, gamma=0.0, g_steps=2, judge="judge-mnist"),
    "avatars": dict(dataset="celeba_avatars", preset="avatars", encoder="encoder-celeba-id", image_size=64,
                    channels=3, g_widths=(256, 128, 64, 32), d_widths=(32, 64, 128, 256), alpha=100.0, beta=1.0,
                    gamma=0.05, l2_features=True, batch_size=32, target_batch=16, shift_aug=3, g_steps=2,
                    judge=AVATAR_JUDGES["avatarness"]),
    "faces": dict(dataset="celeba_emoji", preset="faces", encoder="judge-celeba-attrs", image_size=64, channels=3,
                  g_widths=(256, 128, 64, 32), d_widths=(32, 64, 128, 256), alpha=100.0, beta=1.0, gamma=0.05,
                  l2_features=True, batch_size=32, target_batch=16, shift_aug=3, g_steps=2, judge="judge-face-emoji"),
}


class Standardise(nn.Module):
    """Per-dimension (x − mean) / std with running statistics (cumulative average over training batches)."""

    def __init__(self, dim: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("var", torch.ones(dim))
        self.register_buffer("count", torch.zeros(()))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.training:
            with torch.no_grad():
                n = self.count + 1
                self.mean.mul_((n - 1) / n).add_(z.mean(0) / n)
                self.var.mul_((n - 1) / n).add_(z.var(0, unbiased=False) / n)
                self.count.copy_(n)
        return (z - self.mean) / (self.var + 1e-6).sqrt()


def random_shift(x: torch.Tensor, pixels: int, gen: torch.Generator) -> torch.Tensor:
    """Translate each image by up to ±pixels (edge-replicated), the augmentation D sees."""
    if not pixels:
        return x
    pad = F.pad(x, (pixels,) * 4, mode="replicate")
    off = torch.randint(0, 2 * pixels + 1, (len(x), 2), generator=gen).tolist()
    h, w = x.shape[-2:]
    return torch.stack([pad[i, :, a:a + h, b:b + w] for i, (a, b) in enumerate(off)])


def emoji_target(root, cfg: DTNConfig) -> np.ndarray:
    """The emoji domain T: uint8 [N, 64, 64, 3] with mirror flips appended (heads are symmetric enough)."""
    d = sources.load_emoji(root, vendors=cfg.emoji_vendors or None, subcategories=cfg.emoji_subcategories or None,
                           skin_tones=cfg.emoji_skin_tones or None)
    x = d["images"]
    return np.concatenate([x, x[:, :, ::-1]])


def load_teacher(name: str):
    """The parametric teacher R of L_PAR: :class:`~xdomain.avatar_fit.AvatarFitter` of the reader ``name``, its
    chooser's candidate bank warm (revision 6: ~13 ms a face instead of ~0.5 s), drawing without revision 21's
    geometry (the target set's avatars are never stretched or mirrored)."""
    from xdomain.avatar_fit import AvatarFitter

    teacher = AvatarFitter.load(name)
    teacher.geometry_styles = ()
    teacher.warm()
    return teacher


# ------------------------------------------------------------------------------ method
class DTN(TwoDomainGAN):
    Config = DTNConfig
    name = "dtn"
    presets = PRESETS
    inference_modules = ("f", "norm", "r", "r_norm", "g")  # r, r_norm: empty unless reader_input
    generator_names = ("g",)
    discriminator_names = ("D",)
    directions = ("a2b",)  # one-way: S → T

    def __init__(self, cfg: DTNConfig):
        super().__init__(cfg)
        if not cfg.encoder_config:
            raise ValueError("DTNConfig.encoder_config is empty: call DTN.resolve_config(cfg) first "
                             "(it copies the encoder checkpoint's config)")
        self.f = Classifier(ClassifierConfig.from_dict(cfg.encoder_config))
        self.f.requires_grad_(False).eval()
        with torch.no_grad():
            dim = self.f.features(torch.zeros(2, cfg.channels, cfg.image_size, cfg.image_size)).shape[1]
        self.norm = Standardise(dim)
        self.r, self.r_norm = nn.Module(), nn.Module()  # no weights: g reads f alone (the paper)
        if cfg.reader_input or cfg.reader_config:
            if not cfg.reader_config:
                raise ValueError("DTNConfig.reader_config is empty: call DTN.resolve_config(cfg) first")
            self.r = Classifier(ClassifierConfig.from_dict(cfg.reader_config))
            self.r.requires_grad_(False).eval()
            from xdomain.avatar_fit import attribute_logits

            if attribute_logits(self.r, None) is None:
                raise ValueError(f"reader_input {cfg.reader_input!r} has no 40 CelebA attribute outputs")
            self.r_norm = Standardise(len(sources.CELEBA_ATTRS))
            dim += len(sources.CELEBA_ATTRS)
        if cfg.decision_input:  # revision 22: the teacher's decisions, thresholded from r (no weights of its own)
            from xdomain.avatar_fit import AvatarFitter

            object.__setattr__(self, "_decider", AvatarFitter(self.r, cfg.decision_calibration, cue_styles=(),
                                                              choice_styles=(), guard_styles=()))
            dim += len(avatars.JUDGE_OUTPUTS)

        n_up = int(math.log2(cfg.image_size // 4))
        if len(cfg.g_widths) != n_up:
            raise ValueError(f"g_widths needs {n_up} entries for {cfg.image_size}×{cfg.image_size}, got {cfg.g_widths}")
        w = cfg.g_widths
        g = [deconv_block(dim, w[0], k=4, s=1, p=0)]  # [B, D, 1, 1] → [B, w0, 4, 4]
        self.g = init_weights(nn.Sequential(*g, *deconv_stack(w[0], w[1:], cfg.channels)))  # ×2 each → [B, C, S, S]
        self.D = init_weights(conv_discriminator(cfg.channels, cfg.d_widths, cfg.image_size, n_out=3))  # [B, 3] logits
        self.average_weights(("g",))  # cfg.ema: the shipped g is a moving average

    @classmethod
    def resolve_config(cls, cfg: DTNConfig) -> DTNConfig:
        """Copy the named encoder checkpoint's config into ``encoder_config`` (I/O; before building)."""
        from xdomain import hub

        if not cfg.encoder_config:
            cfg = cfg.replace(encoder_config=hub.read_meta(hub.resolve(cfg.encoder))["config"])
        if cfg.reader_input and not cfg.reader_config:
            cfg = cfg.replace(reader_config=hub.read_meta(hub.resolve(cfg.reader_input))["config"])
        if cfg.decision_input and not cfg.decision_calibration:
            from xdomain.avatar_fit import CALIBRATION_KEY, USED_ATTRS

            cal = hub.read_meta(hub.resolve(cfg.teacher)).get(CALIBRATION_KEY, {})
            cfg = cfg.replace(decision_calibration={k: cal[k] for k in (*USED_ATTRS, "hair_offsets") if k in cal})
        return cfg

    def load_pretrained(self) -> None:
        """f's trained weights from the named encoder checkpoint (a tiny test config names none)."""
        if self.cfg.encoder:
            from xdomain import hub

            enc = hub.load_model(self.cfg.encoder)
            self.f.load_state_dict(enc.state_dict())
        if self.cfg.reader_input:
            from xdomain import hub

            self.r.load_state_dict(hub.load_model(self.cfg.reader_input).state_dict())
        if self.cfg.epsilon:
            if not self.cfg.teacher:
                raise ValueError("epsilon > 0 needs a teacher (an attribute reader checkpoint)")
            self.teacher = load_teacher(self.cfg.teacher)
        if self.cfg.zeta:
            from xdomain import hub

            self.set_sem_reader(hub.load_model(self.cfg.sem_reader))

    def set_sem_reader(self, reader: nn.Module) -> None:
        """s for L_SEM, frozen; kept outside the module tree, so it is neither trained nor saved."""
        object.__setattr__(self, "_sem", reader.requires_grad_(False).eval())

    def train(self, mode: bool = True) -> "DTN":
        super().train(mode)
        self.f.eval()  # f is fixed: its BatchNorm keeps its own statistics
        self.r.eval()
        return self

    @property
    def domain_names(self) -> tuple[str, str]:
        """Labels for the UI (S, T)."""
        return domains.dataset_info(self.cfg.dataset).domain_names

    @classmethod
    def tiny_config(cls) -> DTNConfig:
        enc = ClassifierConfig(widths=(8, 8), image_size=16, global_pool=True, channels=1)
        return DTNConfig(encoder="", encoder_config=enc.to_dict(), image_size=16, g_widths=(16, 8),
                         d_widths=(8, 16), steps=2, batch_size=4, eval_limit=16, shift_aug=1)

    # -------------------------------------------------------------- data
    @classmethod
    def load_data(cls, cfg: DTNConfig, root, split: str) -> Domains:
        if cfg.dataset == "celeba_avatars":
            x, cols = domains.celeba_split(root, split)
            a = domains.resize(domains.to_tensor(np.asarray(x[cols["index"]])), cfg.image_size)
            i = list(domains.AVATAR_SPLITS).index(split)  # the DTN's target set is avatar dataset seed 0
            av = avatars.avatar_dataset(cfg.avatar_style, domains.AVATAR_SPLITS[split], i)
            b = domains.resize(domains.to_tensor(av["images"]), cfg.image_size)
            attrs = torch.from_numpy(np.stack([cols[k] for k in sources.CELEBA_ATTRS], 1))
            return Domains({"A": a, "attrs_A": attrs, "identity_A": torch.from_numpy(cols["identity"].astype(np.int64)),
                            "B": b}, groups={"A": ["A", "attrs_A", "identity_A"]})
        if cfg.dataset == "celeba_emoji":
            x, cols = domains.celeba_split(root, split)
            a = domains.to_tensor(np.asarray(x[cols["index"]]))
            b = domains.to_tensor(emoji_target(root, cfg))
            out = {"A": domains.resize(a, cfg.image_size), "B": domains.resize(b, cfg.image_size)}
            return Domains(out | {"attrs_A": torch.from_numpy(np.stack([cols[k] for k in sources.CELEBA_ATTRS], 1))},
                           groups={"A": ["A", "attrs_A"]})
        d = domains.get_domains(cfg.dataset, root, split, cfg.seed, size=cfg.image_size)
        return Domains({"A": d["A"], "label_A": d["label_A"], "B": d["B"], "label_B": d["label_B"]},
                       groups={"A": ["A", "label_A"], "B": ["B", "label_B"]})

    # -------------------------------------------------------------- networks
    def context(self, x: torch.Tensor) -> torch.Tensor:
        """f(x) as L_CONST compares it: [B, D], L2-normalised if configured."""
        z = self.f.features(x)
        return F.normalize(z, dim=1) if self.cfg.l2_features else z

    def reading(self, x: torch.Tensor) -> torch.Tensor | None:
        """r(x), the reader's 40 attribute logits [B, 40] g also reads (``reader_input``), else None."""
        if not isinstance(self.r, Classifier):
            return None
        from xdomain.avatar_fit import attribute_logits

        return attribute_logits(self.r, x)

    def decisions(self, x: torch.Tensor, a: torch.Tensor | None = None) -> torch.Tensor | None:
        """t(p̂(x)) [B, 12], the teacher's decisions for x as L_SEM's targets (``decision_input``; ``a``: r(x) when
        the caller has it), else None."""
        if not self.cfg.decision_input:
            return None
        from xdomain import avatar_fit

        a = self.reading(x) if a is None else a
        readings = self._decider.read(x.detach().float().cpu(), a.detach().float().cpu())
        params = [avatar_fit.params_for(r, self.cfg.avatar_style, 0) for r in readings]
        return torch.from_numpy(avatars.params_targets(params)).to(x.device)

    def generate(self, z: torch.Tensor, a: torch.Tensor | None = None, g: nn.Module | None = None,
                 t: torch.Tensor | None = None) -> torch.Tensor:
        """g (the live one unless ``g`` is given) on context vectors [B, D] (and reader logits [B, 40] with
        ``reader_input``, decisions [B, 12] with ``decision_input``) → images [B, C, S, S]."""
        parts = [self.norm(z)] + ([] if a is None else [self.r_norm(a)]) + ([] if t is None else [2 * t - 1])
        h = torch.cat(parts, 1)
        return (self.g if g is None else g)(h[:, :, None, None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """G(x) = g(f(x)) (g([f(x); r(x)]) with ``reader_input``, g([f(x); r(x); 2t − 1]) with ``decision_input``),
        through the shipped g (the average with ``ema``)."""
        a = self.reading(x)
        return self.generate(self.context(x), a, self.inference_net("g"), self.decisions(x, a))

    def _split_batch(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        nt = self.cfg.target_batch or len(batch["B"])
        return batch["A"], batch["B"][:nt]

    def _generate_both(self, xs: torch.Tensor, xt: torch.Tensor):
        """One g forward over [x_s; x_t] so BatchNorm sees both (FINDINGS: else G ignores its input)."""
        with torch.no_grad():  # f (and r) are fixed: their features need no gradient
            zs, zt = self.context(xs), self.context(xt)
            a = self.reading(torch.cat([xs, xt]))
            t = self.decisions(torch.cat([xs, xt]), a)
        g_all = self.generate(torch.cat([zs, zt]), a, t=t)  # [Bs + Bt, C, S, S]
        return zs, g_all[: len(xs)], g_all[len(xs):], g_all

    def _d_logits(self, *xs: torch.Tensor, step: int) -> list[torch.Tensor]:
        """D on several batches in one forward (shared BatchNorm statistics), with shift augmentation."""
        x = torch.cat(xs)
        x = random_shift(x, self.cfg.shift_aug, torch.Generator().manual_seed(step))
        return list(self.D(x).split([len(t) for t in xs]))

    def d_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        xs, xt = self._split_batch(batch)
        with torch.no_grad():
            _, gs, gt, _ = self._generate_both(xs, xt)
        ls, lt, lr = self._d_logits(gs, gt, xt, step=step)
        loss, logs = dtn_d_loss(ls, lt, lr)
        self.optimize("D", loss)
        return logs | {"d_loss": loss.item()}

    def g_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        c = self.cfg
        xs, xt = self._split_batch(batch)
        zs, gs, gt, g_all = self._generate_both(xs, xt)
        # x_t rides along (logits unused) so D's BatchNorm sees the same mix as in the D-step
        ls, lt, _ = self._d_logits(gs, gt, xt, step=step + 1)
        loss, logs = dtn_g_loss(ls, lt, zs, self.context(gs), xt, gt, g_all, c.alpha, c.beta, c.gamma)
        if c.delta:
            l_attr = attribute_consistency(self.f, xs, gs)
            loss = loss + c.delta * l_attr
            logs["attr"] = l_attr.item()
        if c.epsilon:
            if getattr(self, "teacher", None) is None:
                raise RuntimeError("epsilon > 0: call load_pretrained() first (it loads the teacher)")
            target, sem_target = self._teacher_target(xs)
            l_par = F.l1_loss(gs, target)
            loss = loss + c.epsilon * l_par
            logs["par"] = l_par.item()
            if c.zeta:
                sem = getattr(self, "_sem", None)
                if sem is None:
                    raise RuntimeError("zeta > 0: call load_pretrained() first (it loads the sem_reader)")
                l_sem = semantic_consistency_loss(sem.to(gs.device)(gs), sem_target)
                loss = loss + c.zeta * l_sem
                logs["sem"] = l_sem.item()
        self.optimize("G", loss)
        self.update_average()
        return logs | {"g_loss": loss.item()}

    def _teacher_target(self, xs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(R(p̂(x)), with ``zeta`` L_SEM's targets t(p̂(x)) [B, K]) for the face batch, drawn once per batch: the
        ``g_steps`` G-steps of an iteration share them."""
        from xdomain import avatar_fit

        memo = getattr(self, "_teacher_memo", None)
        if memo is None or memo[0] is not xs:
            drawn, params = avatar_fit.draw(self.teacher, xs, self.cfg.avatar_style, frames=self.cfg.teacher_frames,
                                            with_params=True)
            t = torch.from_numpy(avatars.params_targets(params)).to(xs.device) if self.cfg.zeta else None
            self._teacher_memo = memo = (xs, drawn, t)
        return memo[1], memo[2]

    # -------------------------------------------------------------- inference
    @torch.no_grad()
    def translate(self, x: torch.Tensor, direction: str = "a2b", *, seed: int | None = None,
                  code: torch.Tensor | None = None) -> torch.Tensor:
        """Source images (any channels / size) → target images [N, C, S, S] (deterministic: no code)."""
        self.check_direction(direction)
        x = x.to(self.device)
        if x.shape[1] != self.cfg.channels:
            x = x.mean(1, keepdim=True) if self.cfg.channels == 1 else x.expand(-1, self.cfg.channels, -1, -1)
        x = domains.resize(x, self.cfg.image_size)
        was = self.training
        self.eval()
        y = self(x)
        self.train(was)
        return y

    # -------------------------------------------------------------- metrics
    def judge_names(self) -> dict[str, str]:
        if self.cfg.dataset == "celeba_avatars":
            return dict(AVATAR_JUDGES)
        return {"target": self.cfg.judge}

    @torch.no_grad()
    def compute_metrics(self, data, judges, limit=None) -> dict[str, float]:
        if self.cfg.dataset == "celeba_avatars":
            from xdomain.metrics import avatars as avatar_metrics

            gx = self.translate_batched(data["A"][:limit])
            return avatar_metrics.face_avatar_metrics(gx, data, judges, reference=data["B"])
        if self.cfg.dataset == "celeba_emoji":
            return dtn_metrics.face_metrics(self, data, judges.get("target"), limit)
        return dtn_metrics.digit_metrics(self, data, judges.get("target"), limit)

    def model_card(self) -> str:
        c = self.cfg
        if c.dataset == "celeba_avatars":
            from xdomain.data import avatars

            return (
                f"DTN `{c.preset}` preset: G = g(f(x)) from CelebA faces (official identity-disjoint train split) "
                f"to DiceBear `{c.avatar_style}` avatars (10,000 renders; "
                f"{'their parameters train only the L_SEM reader' if c.zeta else 'their parameters never used in training'}) "
                f"at {c.image_size}×{c.image_size}. f is the frozen `{c.encoder}` (identity + attributes, its "
                f"weights ship inside this checkpoint); g has {len(c.g_widths) + 1} deconv+BN+ReLU blocks ending "
                f"in tanh; D is ternary. α={c.alpha}, β={c.beta}, γ={c.gamma}, δ={c.delta}, ε={c.epsilon}"
                f"{f' (teacher `{c.teacher}`)' if c.epsilon else ''}, ζ={c.zeta}"
                f"{f' (avatar reader `{c.sem_reader}`, trained on this target set, never a judge)' if c.zeta else ''}"
                " (0: the paper's losses)"
                f"{f'; g also reads the 40 attribute logits of the frozen `{c.reader_input}` (its weights ship here too)' if c.reader_input else ''}"
                f"{'; and the decisions the teacher draws from them (its validation thresholds ship in the config; not in the paper)' if c.decision_input else ''}"
                f"{f'; the shipped g is a moving average of its weights (decay {c.ema:g}, not in the paper)' if c.ema else ''}; "
                "scaled down for CPU training. Licences: CelebA is non-commercial research only; "
                f"`{c.avatar_style}`: {avatars.STYLE_LICENSES[c.avatar_style]}, by "
                f"{avatars.STYLE_CREATORS[c.avatar_style]} (DiceBear, MIT)."
            )
        src, tgt = ("CelebA faces (official identity-disjoint train split)",
                    f"emoji ({', '.join(c.emoji_vendors)}; {', '.join(c.emoji_subcategories)}; "
                    f"skin tones {', '.join(c.emoji_skin_tones)}; mirror flips)") \
            if c.dataset == "celeba_emoji" else (f"USPS (`{c.dataset}`: 16×16 resized into MNIST's 20-pixel digit box)"
                                                 if c.dataset == "usps20_mnist" else "USPS (16×16 resized to the frame)",
                                                 "MNIST (28×28 padded to 32)")
        return (
            f"DTN `{c.preset}` preset: G = g(f(x)) from {src} to {tgt} at {c.image_size}×{c.image_size}. "
            f"f is the frozen classifier `{c.encoder}` (its weights ship inside this checkpoint); g has "
            f"{len(c.g_widths) + 1} deconv+BN+ReLU blocks ending in tanh; D is ternary. "
            f"α={c.alpha}, β={c.beta}, γ={c.gamma}; scaled down for CPU training. "
            "Data licences: CelebA is non-commercial research only; Twemoji is CC BY 4.0 (attribution: Twitter, Inc.)."
        )
