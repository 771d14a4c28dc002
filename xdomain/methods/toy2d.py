"""DiscoGAN's 2-D toy experiment: standard GAN vs GAN+reconstruction vs DiscoGAN (§3.1, Figure 4).

Kim et al., *Learning to Discover Cross-Domain Relations with Generative Adversarial Networks*,
ICML 2017 (``../shared/papers/discogan_kim2017.txt``). Domain A is a 5-mode Gaussian mixture,
domain B has 10 modes spread around an arc of a circle; the question is whether translating A
into B collapses several A modes onto one B mode and leaves B modes uncovered.

Losses (wired once in :mod:`xdomain.variants`, chosen by ``cfg.variant``)::

    gan        L_G = L_GAN_B                                   L_D = L_D_B
    gan_recon  L_G = L_GAN_B + L_CONST_A                       L_D = L_D_B
    discogan   L_G = L_GAN_B + L_CONST_A + L_GAN_A + L_CONST_B  L_D = L_D_A + L_D_B

    L_GAN_B = −E[log D_B(G_AB(x_A))]      L_CONST_A = d(G_BA(G_AB(x_A)), x_A),  d = ``cfg.recon``

Networks (paper §3.1): the generator is "three linear layers that are each followed by a ReLU",
the discriminator "five linear layers each followed by a ReLU, except for the last layer which is
switched out with a sigmoid". D returns logits and the losses use BCE-with-logits (the same
objective as sigmoid + log, numerically safer).

**The last generator ReLU.** Taken literally, a ReLU after the third layer confines G's outputs to
the positive quadrant and a coordinate whose pre-activation starts negative for every input gets
no gradient ever again (the near-zero initialisation the paper describes — "all the A domain
modes map to almost a single point" — makes that likely). So by default the last ReLU is
**dropped** (``g_last_relu=False``: linear → ReLU → linear → ReLU → linear). The default layout
nevertheless puts both domains in the positive quadrant, so ``g_last_relu=True`` runs the literal
architecture on the same data.

Symbols → code: x_A, x_B ↔ ``batch["A"]``, ``batch["B"]`` ([B, 2]); G_AB, G_BA, D_A, D_B ↔ the
sub-modules of the same names; mode labels ↔ ``batch["label_A"]``; σ_A, σ_B ↔ ``sigma_a``,
``sigma_b``; the arc ↔ ``b_arc_center``, ``b_arc_radius``, ``b_arc_degrees``.

CPU scaling: the paper trains 50,000 iterations and gives no widths, batch size or learning rate
for the toy. The default config is the app's "paper preset": 1,500 iterations, batch 64, Adam
(lr 1e-3, β = (0.5, 0.999)), 64 hidden units, PyTorch's default init (G starts by mapping every
A mode to a small cluster near the origin, as in Figure 4a), so that all three variants train
together in about 30 s on two CPU cores. Those values were picked on held-out seeds (100, 101) by
the mean high-quality fraction over *all three* variants (i.e. by how well the GAN objective
converges), never by which variant wins.
"""
from __future__ import annotations

import math
from typing import Any

import torch

from xdomain.methods.toy2d_config import Toy2DConfig  # noqa: F401 - torch-free (the app's toy tab reads it)
from xdomain.methods.base import Domains, TwoDomainGAN
from xdomain.metrics.toy2d import toy_metrics
from xdomain.nn.blocks import init_weights, mlp
from xdomain.variants import VariantGAN

_SPLIT_SEED = {"train": 1, "test": 2, "val": 3}


def mode_centers(cfg: Toy2DConfig, domain: str) -> torch.Tensor:
    """[K, 2] mode centres of domain ``"A"`` (circle) or ``"B"`` (arc), unless given explicitly."""
    if domain == "A":
        if cfg.centers_a:
            return torch.tensor(cfg.centers_a, dtype=torch.float32)
        ang = [2 * math.pi * k / cfg.n_modes_a + math.pi / 2 for k in range(cfg.n_modes_a)]
        (cx, cy), r = cfg.a_center, cfg.a_radius
    else:
        if cfg.centers_b:
            return torch.tensor(cfg.centers_b, dtype=torch.float32)
        lo, hi = (math.radians(d) for d in cfg.b_arc_degrees)
        n = cfg.n_modes_b
        ang = [lo + (hi - lo) * k / max(n - 1, 1) for k in range(n)]
        (cx, cy), r = cfg.b_arc_center, cfg.b_arc_radius
    return torch.tensor([[cx + r * math.cos(a), cy + r * math.sin(a)] for a in ang], dtype=torch.float32)


def sample_mixture(centers: torch.Tensor, sigma: float, n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n points of an equal-weight isotropic Gaussian mixture → (x [n, 2], mode label [n])."""
    labels = torch.randint(0, centers.shape[0], (n,), generator=gen)
    return centers[labels] + sigma * torch.randn(n, 2, generator=gen), labels


def split_generator(cfg: Toy2DConfig, split: str, domain: str) -> torch.Generator:
    return torch.Generator().manual_seed(cfg.seed * 1009 + _SPLIT_SEED[split] * 31 + (domain == "B"))


def eval_set(cfg: Toy2DConfig, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The seeded held-out A sample every metric of this method is computed on."""
    return sample_mixture(mode_centers(cfg, "A"), cfg.sigma_a, n, split_generator(cfg, "test", "A"))


class Toy2D(VariantGAN, TwoDomainGAN):
    Config = Toy2DConfig
    name = "toy2d"

    def __init__(self, cfg: Toy2DConfig):
        super().__init__(cfg)
        self.use_variant(cfg.variant)
        self.inference_modules = self.spec.nets  # D_B ships too: Figure 4 draws its output
        g_sizes = [2, cfg.g_hidden, cfg.g_hidden, 2]  # three linear layers
        d_sizes = [2] + [cfg.d_hidden] * 4 + [1]  # five linear layers → logit
        for n in self.spec.nets:  # build order is fixed, so equal seeds give equal G_AB/D_B inits
            net = mlp(g_sizes, "relu", "relu" if cfg.g_last_relu else "none") if n.startswith("G") else mlp(d_sizes, "relu")
            setattr(self, n, init_weights(net, cfg.init_std) if cfg.init_std > 0 else net)

    input_kind = "points"
    fused_adam = True  # tiny MLPs: the fused update is measurably faster

    # ------------------------------------------------------------------ contract
    @classmethod
    def tiny_config(cls) -> Toy2DConfig:
        return Toy2DConfig(steps=4, batch_size=16, g_hidden=8, d_hidden=8, n_train=256, eval_limit=64, log_every=1)

    @classmethod
    def load_data(cls, cfg: Toy2DConfig, root: Any = None, split: str = "train") -> Domains:
        """Pre-sampled seeded points; ``root`` is unused (the data is synthetic)."""
        xa, la = sample_mixture(mode_centers(cfg, "A"), cfg.sigma_a, cfg.n_train, split_generator(cfg, split, "A"))
        xb, lb = sample_mixture(mode_centers(cfg, "B"), cfg.sigma_b, cfg.n_train, split_generator(cfg, split, "B"))
        return Domains({"A": xa, "label_A": la, "B": xb, "label_B": lb},
                       groups={"A": ["A", "label_A"], "B": ["B", "label_B"]})

    @torch.no_grad()
    def translate(self, x: torch.Tensor, direction: str = "a2b", *, seed: int | None = None,
                  code: torch.Tensor | None = None) -> torch.Tensor:
        """[N, 2] points → [N, 2] points (deterministic: no code)."""
        self.check_direction(direction)
        return getattr(self, "G_AB" if direction == "a2b" else "G_BA")(x.to(self.device, torch.float32)).cpu()

    @torch.no_grad()
    def compute_metrics(self, data: Any = None, judges: Any = None, limit: int | None = None) -> dict[str, float]:
        """B modes covered, A-mode collisions, high-quality fraction (+ A→B→A error) on the seeded held-out A
        sample (synthetic: no judge, and the split's tensors are not needed)."""
        cfg = self.cfg
        x_a, labels = eval_set(cfg, limit or cfg.eval_limit)  # [N, 2], [N]
        x_ab = self.translate(x_a)
        x_aba = self.G_BA(x_ab.to(self.device)).cpu() if "G_BA" in self.spec.nets else None
        return toy_metrics(x_ab, labels, cfg.n_modes_a, mode_centers(cfg, "B"), cfg.sigma_b, x_a=x_a, x_aba=x_aba,
                           min_frac=cfg.mode_min_frac, majority=cfg.collision_majority)

    def model_card(self) -> str:
        return (
            f"Variant **{self.cfg.variant}** — {self.spec.summary}; networks: {', '.join(self.spec.nets)} "
            f"(D_B ships with the weights because the toy figure draws its output). "
            f"Synthetic data: A = {self.cfg.n_modes_a}-mode Gaussian mixture, B = {self.cfg.n_modes_b} modes on an "
            f"arc; no dataset license applies. Scaled for CPU: {self.cfg.steps} iterations at lr {self.cfg.lr} "
            "instead of the paper's 50,000."
        )
