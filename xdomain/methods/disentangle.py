"""Cross-domain disentanglement (Gonzalez-Garcia, van de Weijer & Bengio, NeurIPS 2018).

Image-to-image translation for cross-domain disentanglement: each image's representation is split
into a *shared* part S (what both domains show: the digit) and an *exclusive* part E (what only
its domain shows: the colour of the digit in MNIST-CD, of the background in MNIST-CB).

Paper symbols → code (side "A" = X = MNIST-CD, side "B" = Y = MNIST-CB):

============================  ==========================================================
G_e, F_e  (encoders)          ``enc["A"]``, ``enc["B"]`` → (S [B,32,8,8], E [B,8])
G_d (→Y), F_d (→X)            ``dec["B"]``, ``dec["A"]``: (S, tiled 8-d code) → image
G_d^X, F_d^Y (exclusive dec.) ``exdec["B"]`` (E^X → Y), ``exdec["A"]`` (E^Y → X), GRL at input
D_Y, D_X  (WGAN-GP critics)   ``critic["B"]``, ``critic["A"]``, conditioned on the input image
critics of G_d^X, F_d^Y       ``excritic["B"]``, ``excritic["A"]`` (own critics, see FINDINGS)
D_z                           ``dz["A"]``, ``dz["B"]``: E vs z ~ N(0, I), original GAN loss
============================  ==========================================================

Losses (all L1 terms are means over elements; x ∈ X, y ∈ Y paired, z ~ N(0, I₈)):

* (S^X, E^X) = G_e(x) + n,  n ~ N(0, 0.1²) at training time (§2.1 "adding noise")
* L_S       = ‖S^X − S^Y‖₁                                                              (1)
* L_recon^X = ‖F_e(G_d(S^X, z)) − (S^X, z)‖₁  — the paper writes G_e(G_d(·)); the generated
  image is in Y, so it is re-encoded by Y's encoder F_e                                 (2)
* L_Disc^X  = E[D(ỹ|x)] − E[D(y|x)] + λ_gp E[(‖∇D(ŷ|x)‖₂ − 1)²],  L_Gen^X = −E[D(ỹ|x)]  (3, 4)
* L_auto^X  = ‖F_d(S^Y, E^X) − x‖₁  (cross-domain autoencoder)                          (5)
* exclusive branch: L_GAN^{G_d^X} = −E[D'(G_d^X(GRL(E^X)) | x)]; the GRL makes the encoder
  *maximise* it, so E^X keeps no information that could generate y
* D_z: L = −E[log D_z(z)] − E[log(1 − D_z(E))] for D_z;  −E[log D_z(E)] for the encoders
* total (6): w_GAN (L_GAN^X + L_GAN^Y + w_z L_z) + w_Ex (L_GAN^{G_d^X} + L_GAN^{F_d^Y})
             + w_L1 (L_S + L_auto^X + L_auto^Y + L_recon^X + L_recon^Y)

Ablation flags (paper Table 3), named in :data:`ABLATIONS`: ``cross_auto=False`` (no auto.),
``normal_auto=True`` (x' = F_d(S^X, E^X)), ``grl=False`` (the GRL removed: plain gradient),
``noise=False``, ``l_s=False``, ``l_recon=False``.

Scaled for CPU: 32×32 images instead of 256×256, two stride-2 convs (32-64) instead of five
(64…512) before the heads, S = 8×8×32 instead of 8×8×512, one-deconv-plus-output decoders (96),
narrow exclusive decoders/critics, and the gradient penalty applied lazily (every ``gp_every``
critic steps, scaled by ``gp_every``). E stays 8-d, as in the paper. S keeps the paper's 8×8 grid:
the paper widened S from 1×1 to 8×8 "to reduce the architectural bottleneck" (§3), and here too a
4×4×32 S (three convs) was the bottleneck — the cross-domain autoencoder itself, given the true E,
reproduced only ~90% of the digits an MNIST judge can read, and after 58 min of training random-z
translations kept the digit in 94.2 / 92.3% of cases; the 8×8 S learns about twice as fast per step.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from xdomain import losses
from xdomain.config import BaseConfig
from xdomain.data.domains import dataset_info, get_domains
from xdomain.methods.base import Domains, Translator
from xdomain.metrics.disentangle import cdcb_factors, evaluate_disentangle
from xdomain.nn.blocks import GradientReversal, Tile, conv_stack, count_params, deconv_stack, init_weights, mlp

SIDES = ("A", "B")
OTHER = {"A": "B", "B": "A"}
ABLATIONS: dict[str, dict[str, Any]] = {
    "full": {},
    "no_auto": {"cross_auto": False},
    "normal_auto": {"normal_auto": True},
    "no_grl": {"grl": False},
    "no_noise": {"noise": False},
    "no_ls": {"l_s": False},
    "no_recon": {"l_recon": False},
}


@dataclass
class DisentangleConfig(BaseConfig):
    dataset: str = "mnist_cd_cb"
    data_seed: int = 0  # colours of MNIST-CD/CB; independent of the training seed
    image_size: int = 32
    channels: int = 3
    exclusive_dim: int = 8
    enc_widths: tuple[int, ...] = (32, 64)  # stride-2 convs: 32 → 8 (S on the paper's 8×8 grid)
    shared_channels: int = 32
    dec_widths: tuple[int, ...] = (96,)  # + one output deconv: 8 → 32
    exdec_widths: tuple[int, ...] = (32,)
    critic_widths: tuple[int, ...] = (32, 64, 128)
    excritic_widths: tuple[int, ...] = (16, 32, 64)
    dz_hidden: int = 64
    dropout: float = 0.0  # paper: 0.5 on the first decoder layers; z already gives stochasticity
    noise_std: float = 0.1
    w_gan: float = 1.0
    w_ex: float = 0.1
    w_l1: float = 100.0
    w_z: float = 1.0
    grl_lambda: float = 1.0
    gp_lambda: float = 10.0
    gp_every: int = 2  # lazy gradient penalty
    drift: float = 1e-3  # ε·E[D(real)²] keeps WGAN scores near 0 (Karras et al. 2018)
    # ablations (Table 3)
    cross_auto: bool = True
    normal_auto: bool = False
    grl: bool = True
    noise: bool = True
    l_s: bool = True
    l_recon: bool = True
    steps: int = 3000
    ckpt_every: int = 200
    eval_limit: int = 2000


class Encoder(nn.Module):
    """x [B,3,32,32] → S [B,Cs,g,g] (conv head, g = 32 / 2^len(widths)) and E [B,8] (fully connected head)."""

    def __init__(self, cin: int, widths: tuple[int, ...], shared_ch: int, code_dim: int, image_size: int):
        super().__init__()
        self.trunk = nn.Sequential(*conv_stack(cin, widths))
        c, grid = widths[-1], image_size // 2 ** len(widths)
        self.shared = nn.Conv2d(c, shared_ch, 3, 1, 1)
        self.exclusive = nn.Linear(c * grid * grid, code_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.trunk(x)  # [B, widths[-1], g, g]
        return self.shared(h), self.exclusive(h.flatten(1))  # [B, Cs, g, g], [B, 8]


class Decoder(nn.Module):
    """(S [B,Cs,g,g] or None, code [B,8]) → image [B,3,32,32]. Without S it is an exclusive decoder."""

    def __init__(self, shared_ch: int, code_dim: int, widths: tuple[int, ...], cout: int, grid: int,
                 dropout: float = 0.0, reverse: float | None = None):
        super().__init__()
        self.grid = grid
        self.reverse = GradientReversal(reverse) if reverse is not None else nn.Identity()
        self.tile = Tile()
        self.net = nn.Sequential(*deconv_stack(shared_ch + code_dim, widths, cout, dropout=dropout))

    def forward(self, shared: torch.Tensor | None, code: torch.Tensor) -> torch.Tensor:
        code = self.reverse(code)
        if shared is None:
            h = code[:, :, None, None].expand(-1, -1, self.grid, self.grid)  # [B, 8, g, g]
        else:
            h = torch.cat([shared, self.tile(code, shared)], 1)  # [B, Cs + 8, g, g]
        return self.net(h)


class CondCritic(nn.Module):
    """WGAN critic D(img | cond): both images concatenated on channels, convs, one linear score."""

    def __init__(self, cin: int, widths: tuple[int, ...], image_size: int):
        super().__init__()
        side = image_size // 2 ** len(widths)
        self.net = nn.Sequential(*conv_stack(2 * cin, widths, norm="none"),  # no batch norm with a gradient penalty
                                 nn.Flatten(), nn.Linear(widths[-1] * side * side, 1))

    def forward(self, img: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([img, cond], 1)).squeeze(1)  # [B]


# ------------------------------------------------------------------------------ pure losses
def critic_loss(critic: CondCritic, real: torch.Tensor, fake: torch.Tensor, cond: torch.Tensor,
                gp_weight: float, drift: float) -> tuple[torch.Tensor, dict[str, float]]:
    """Eq. (3): E[D(fake|c)] − E[D(real|c)] + gp_weight·GP + drift·E[D(real|c)²]."""
    r, f = critic(real, cond), critic(fake.detach(), cond)
    loss = losses.wgan_d_loss(r, f) + drift * (r ** 2).mean()
    logs = {"w_dist": (r.mean() - f.mean()).item()}
    if gp_weight:
        gp = losses.gradient_penalty(critic, real, fake, cond)
        loss = loss + gp_weight * gp
        logs["gp"] = gp.item()
    return loss, logs


def shared_loss(s_a: torch.Tensor, s_b: torch.Tensor) -> torch.Tensor:
    """Eq. (1): L_S = ‖S^X − S^Y‖₁."""
    return (s_a - s_b).abs().mean()


def latent_recon_loss(s_rec: torch.Tensor, e_rec: torch.Tensor, s: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Eq. (2): ‖(S̃, Ẽ) − (S, z)‖₁ on the re-encoded translation (targets detached)."""
    return (s_rec - s.detach()).abs().mean() + (e_rec - z).abs().mean()


# ------------------------------------------------------------------------------ the method
class Disentangle(Translator):
    Config = DisentangleConfig
    name = "disentangle"
    inference_modules = ("enc", "dec")
    latent = "shared+exclusive"

    def __init__(self, cfg: DisentangleConfig):
        super().__init__(cfg)
        self.code_dim = self.exclusive_dim = cfg.exclusive_dim
        grid = cfg.image_size // 2 ** len(cfg.enc_widths)
        if grid * 2 ** (len(cfg.dec_widths) + 1) != cfg.image_size:
            raise ValueError("decoder depth must undo the encoder's downsampling")
        c, k = cfg.channels, cfg.exclusive_dim
        rev = cfg.grl_lambda if cfg.grl else None
        self.enc = nn.ModuleDict({s: Encoder(c, cfg.enc_widths, cfg.shared_channels, k, cfg.image_size) for s in SIDES})
        self.dec = nn.ModuleDict({s: Decoder(cfg.shared_channels, k, cfg.dec_widths, c, grid, cfg.dropout) for s in SIDES})
        # exdec[s] generates side-s images from the OTHER side's exclusive code
        self.exdec = nn.ModuleDict({s: Decoder(0, k, cfg.exdec_widths, c, grid, reverse=rev) for s in SIDES})
        self.critic = nn.ModuleDict({s: CondCritic(c, cfg.critic_widths, cfg.image_size) for s in SIDES})
        self.excritic = nn.ModuleDict({s: CondCritic(c, cfg.excritic_widths, cfg.image_size) for s in SIDES})
        self.dz = nn.ModuleDict({s: mlp([k, cfg.dz_hidden, cfg.dz_hidden, 1], act="lrelu") for s in SIDES})
        init_weights(self)

    # -------------------------------------------------------------- contract
    @classmethod
    def tiny_config(cls) -> DisentangleConfig:
        return DisentangleConfig(image_size=16, enc_widths=(8, 16), shared_channels=4, dec_widths=(8,),
                                 exdec_widths=(4,), critic_widths=(8, 8), excritic_widths=(4, 4), dz_hidden=8,
                                 batch_size=4, steps=2, eval_limit=40)

    @property
    def domain_names(self) -> tuple[str, str]:
        return dataset_info(self.cfg.dataset).domain_names

    @property
    def data_seed(self) -> int:
        return int(self.cfg.data_seed)

    @classmethod
    def load_data(cls, cfg: DisentangleConfig, root, split: str) -> Domains:
        """Paired views; evaluation splits also carry the generative factors (grey digit, both colours)
        that the analogy metric renders its exact ground truth from."""
        d = get_domains(cfg.dataset, root, split, cfg.data_seed, size=cfg.image_size)
        tensors = {k: d[k] for k in ("A", "B", "label_A", "label_B")}
        if split != "train":
            fac = cdcb_factors(root, split, cfg.data_seed)
            tensors |= {"grey": torch.from_numpy(fac["grey"]), "colour_A": torch.from_numpy(fac["A"]),
                        "colour_B": torch.from_numpy(fac["B"])}
        return Domains(tensors, groups={"pair": list(tensors)})

    def configure_optimizers(self) -> dict[str, torch.optim.Optimizer]:
        self.optimizers = {"gen": self.adam(self.enc, self.dec, self.exdec),
                           "critics": self.adam(self.critic, self.excritic, self.dz)}
        return self.optimizers

    # -------------------------------------------------------------- inference API (used by the app tabs)
    def encode(self, x: torch.Tensor, side: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(S [B,32,8,8], E [B,8]) of a side-``side`` batch in [-1, 1]; noisy only in training mode."""
        s, e = self.enc[side](x)
        if self.training and self.cfg.noise:
            s = s + self.cfg.noise_std * torch.randn_like(s)
            e = e + self.cfg.noise_std * torch.randn_like(e)
        return s, e

    def decode(self, shared: torch.Tensor, code: torch.Tensor, side: str) -> torch.Tensor:
        """Side-``side`` images [B,3,32,32] from S and that side's 8-d exclusive code."""
        return self.dec[side](shared, code)

    @torch.no_grad()
    def translate(self, x: torch.Tensor, direction: str = "a2b", *, seed: int | None = None,
                  code: torch.Tensor | None = None) -> torch.Tensor:
        """``G_d(S^src(x), z)``: ``code`` [d] or [N, d] sets z (the exclusive code), else z ~ N(0, I) (``seed``)."""
        src, dst = self.check_direction(direction)
        s, _ = self.encode(x.to(self.device, torch.float32), src)
        if code is None:
            z = self.draw_code(len(x), seed)  # [N, 8]
        else:
            z = torch.as_tensor(code, dtype=torch.float32).reshape(-1, self.code_dim).to(self.device).expand(len(x), -1)
        return self.decode(s, z, dst)

    # -------------------------------------------------------------- training
    def _forward(self, x: dict[str, torch.Tensor]) -> dict[str, Any]:
        """Everything both steps need: codes, translations, exclusive-decoder outputs."""
        out: dict[str, Any] = {"S": {}, "E": {}, "z": {}, "fake": {}, "exfake": {}}
        for s in SIDES:
            out["S"][s], out["E"][s] = self.encode(x[s], s)
        for s in SIDES:  # fake[t] = translation of side-s input into side t = OTHER[s]
            t = OTHER[s]
            z = torch.randn(len(x[s]), self.exclusive_dim, device=x[s].device)  # [B, 8]
            out["z"][t] = z
            out["fake"][t] = self.decode(out["S"][s], z, t)
            out["exfake"][t] = self.exdec[t](None, out["E"][s])
        return out

    def d_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        c = self.cfg
        with torch.no_grad():  # the critics' step needs the generated images, not their graph
            o = self._forward(batch)
        gp_w = c.gp_lambda * c.gp_every if step % c.gp_every == 0 else 0.0
        total, logs = 0.0, {}
        for t in SIDES:  # critics of side-t images, conditioned on the paired side-s input
            s = OTHER[t]
            l_img, lg = critic_loss(self.critic[t], batch[t], o["fake"][t], batch[s], gp_w, c.drift)
            l_ex, lx = critic_loss(self.excritic[t], batch[t], o["exfake"][t], batch[s], gp_w, c.drift)
            e = o["E"][s].detach()
            l_z = losses.gan_d_loss(self.dz[s](torch.randn_like(e)), self.dz[s](e))
            total = total + l_img + l_ex + l_z
            logs |= {f"D_{t}": l_img.item(), f"Dex_{t}": l_ex.item(), f"Dz_{s}": l_z.item(), f"wdist_{t}": lg["w_dist"]}
        self.optimize("critics", total)
        return logs

    def g_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        c = self.cfg
        critics = [*self.critic.parameters(), *self.excritic.parameters(), *self.dz.parameters()]
        for p in critics:  # critics' grads are not needed here
            p.requires_grad_(False)
        o = self._forward(batch)
        S, E = o["S"], o["E"]
        zero = torch.zeros((), device=batch["A"].device)
        terms = {"gan": zero, "ex": zero, "z": zero, "S": zero, "auto": zero, "recon": zero}
        for t in SIDES:
            s = OTHER[t]
            terms["gan"] = terms["gan"] + losses.wgan_g_loss(self.critic[t](o["fake"][t], batch[s]))
            terms["ex"] = terms["ex"] + losses.wgan_g_loss(self.excritic[t](o["exfake"][t], batch[s]))
            terms["z"] = terms["z"] + losses.gan_g_loss(self.dz[s](E[s]))
            if c.cross_auto or c.normal_auto:  # autoencoder of side s: x' = dec_s(S^other or S^s, E^s)
                shared = S[s] if c.normal_auto else S[t]
                terms["auto"] = terms["auto"] + losses.recon_loss(batch[s], self.decode(shared, E[s], s))
            if c.l_recon:
                s_rec, e_rec = self.encode(o["fake"][t], t)
                terms["recon"] = terms["recon"] + latent_recon_loss(s_rec, e_rec, S[s], o["z"][t])
        if c.l_s:
            terms["S"] = shared_loss(S["A"], S["B"])
        total = (c.w_gan * (terms["gan"] + c.w_z * terms["z"]) + c.w_ex * terms["ex"]
                 + c.w_l1 * (terms["S"] + terms["auto"] + terms["recon"]))
        self.optimize("gen", total)
        for p in critics:
            p.requires_grad_(True)
        logs = {f"G_{k}": v.item() for k, v in terms.items()}
        logs["E_std_A"], logs["E_std_B"] = E["A"].std().item(), E["B"].std().item()
        return logs

    # -------------------------------------------------------------- metrics
    def judge_names(self) -> dict[str, str]:
        return {"digits": dataset_info(self.cfg.dataset).judge}

    @torch.no_grad()
    def compute_metrics(self, data, judges, limit=None) -> dict[str, float]:
        """The paper's MNIST metrics: see :func:`xdomain.metrics.disentangle.evaluate_disentangle`."""
        return evaluate_disentangle(self, data, judges.get("digits"), limit)

    def model_card(self) -> str:
        c = self.cfg
        gen = count_params(self.enc) + count_params(self.dec) + count_params(self.exdec)
        return (
            "Cross-domain disentanglement (Gonzalez-Garcia et al., NeurIPS 2018) on MNIST-CD (side A: digit in a "
            "random colour on black) ↔ MNIST-CB (side B: white digit on a random-colour background), paired views "
            f"of the same MNIST digit, colours seeded by `data_seed={c.data_seed}`.\n\n"
            "**Scaled for CPU.** The paper uses 256×256 inputs, 5-conv encoders (64…512), S = 8×8×512, 5-deconv "
            "decoders with dropout and 15 epochs. Here: 32×32 inputs; encoders of "
            f"{len(c.enc_widths)} stride-2 convs {'-'.join(map(str, c.enc_widths))}, S = "
            f"{c.image_size // 2 ** len(c.enc_widths)}²×{c.shared_channels} (3×3 conv head), E = {c.exclusive_dim}-d "
            f"(fully connected head, as in the paper); decoders {'-'.join(map(str, c.dec_widths))}-3 (dropout "
            f"{c.dropout}); exclusive decoders {'-'.join(map(str, c.exdec_widths))}-3 behind a gradient reversal "
            f"layer (λ = {c.grl_lambda}) with their own conditional critics; WGAN-GP critics "
            f"{'-'.join(map(str, c.critic_widths))} conditioned on the input image, gradient penalty applied every "
            f"{c.gp_every} steps (scaled), drift term {c.drift}; D_z MLP {c.dz_hidden}-{c.dz_hidden}. "
            f"{gen / 1e6:.2f}M trainable generator-side parameters (the published weights keep encoders and "
            f"decoders only). Loss weights w_GAN={c.w_gan}, w_Ex={c.w_ex}, w_L1={c.w_l1}, Adam {c.lr}.\n\n"
            "Recall@1 is reported twice: `*_label` counts a hit when the nearest neighbour in the other domain "
            "shows the same digit (the reading that reproduces the paper's pixel and exclusive baselines), "
            "`*_exact` only when it is the paired image itself. Analogy distances are RMS pixel errors in [0, 1] "
            "units ×10⁻² against the exact ground truth (query digit rendered in the reference's colour).\n\n"
            "Data: MNIST (LeCun, Cortes & Burges), CC BY-SA 3.0."
        )
