"""The three relation-discovery models of DiscoGAN §2.3–2.4, as network-agnostic wiring.

Kim et al., *Learning to Discover Cross-Domain Relations with Generative Adversarial Networks*,
ICML 2017 (``../shared/papers/discogan_kim2017.txt``), compare three ways of learning a mapping
G_AB from domain A to domain B without paired data (Figure 2, Figure 4):

=============  =========================  ==================================================
variant        networks                   losses
=============  =========================  ==================================================
``gan``        G_AB, D_B                  L_G = L_GAN_B
                                          L_D = L_D_B
``gan_recon``  G_AB, G_BA, D_B            L_G = L_GAN_B + L_CONST_A                    (Eq. 5)
                                          L_D = L_D_B                                   (Eq. 6)
``discogan``   G_AB, G_BA, D_A, D_B       L_G = L_GAN_B + L_CONST_A + L_GAN_A + L_CONST_B (Eq. 7)
                                          L_D = L_D_A + L_D_B                           (Eq. 8)
=============  =========================  ==================================================

with (Eq. 1–4)::

    x_AB = G_AB(x_A)      x_ABA = G_BA(x_AB)      x_BA = G_BA(x_B)      x_BAB = G_AB(x_BA)
    L_CONST_A = d(x_ABA, x_A)                 L_CONST_B = d(x_BAB, x_B)
    L_GAN_B   = −E_xA[log D_B(x_AB)]          L_GAN_A   = −E_xB[log D_A(x_BA)]
    L_D_B     = −E_xB[log D_B(x_B)] − E_xA[log(1 − D_B(x_AB))]     (L_D_A likewise)

Paper symbol → code name: G_AB ↔ ``nets["G_AB"]``, G_BA ↔ ``nets["G_BA"]``, D_A/D_B ↔
``nets["D_A"]``/``nets["D_B"]``, d ↔ the ``recon`` callable, L_GAN_B ↔ log key ``"gan_B"``,
L_CONST_A ↔ ``"const_A"``, L_D_B ↔ ``"d_B"`` (and the A-side counterparts).

Nothing here knows whether the nets are 2-D MLPs (the toy lab, :mod:`xdomain.methods.toy2d`) or
image encoders/decoders: the functions take any callables, so the image DiscoGAN reuses them
unchanged. In the paper's DiscoGAN the two "copies" of G_AB (and of G_BA) share parameters; here
that is simply the same module called twice, so the tie cannot drift.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import torch

from xdomain.losses import gan_d_loss, gan_g_loss

Net = Callable[[torch.Tensor], torch.Tensor]
Recon = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

GENERATORS = ("G_AB", "G_BA")
DISCRIMINATORS = ("D_B", "D_A")


@dataclass(frozen=True)
class VariantSpec:
    """Which networks a variant builds and which loss terms enter L_G and L_D."""

    name: str
    nets: tuple[str, ...]  # in build order: shared nets first, so equal seeds give equal inits
    g_terms: tuple[str, ...]  # subset of ("gan_B", "const_A", "gan_A", "const_B")
    d_terms: tuple[str, ...]  # subset of ("d_B", "d_A")
    summary: str

    @property
    def generators(self) -> tuple[str, ...]:
        return tuple(n for n in self.nets if n in GENERATORS)

    @property
    def discriminators(self) -> tuple[str, ...]:
        return tuple(n for n in self.nets if n in DISCRIMINATORS)

    @property
    def has(self) -> frozenset[str]:
        return frozenset(self.nets)


VARIANTS: dict[str, VariantSpec] = {
    "gan": VariantSpec(
        "gan", ("G_AB", "D_B"), ("gan_B",), ("d_B",),
        "standard GAN taking x_A instead of noise (Fig. 2a)"),
    "gan_recon": VariantSpec(
        "gan_recon", ("G_AB", "D_B", "G_BA"), ("gan_B", "const_A"), ("d_B",),
        "GAN with a reconstruction loss (Fig. 2b)"),
    "discogan": VariantSpec(
        "discogan", ("G_AB", "D_B", "G_BA", "D_A"), ("gan_B", "const_A", "gan_A", "const_B"), ("d_B", "d_A"),
        "DiscoGAN: two coupled GAN+reconstruction models (Fig. 2c)"),
}


def get_variant(name: str) -> VariantSpec:
    if name not in VARIANTS:
        raise ValueError(f"unknown variant {name!r}; choose one of {', '.join(VARIANTS)}")
    return VARIANTS[name]


def translations(spec: VariantSpec, nets: Mapping[str, Net], x_a: torch.Tensor, x_b: torch.Tensor,
                 *, cycle: bool = True) -> dict[str, torch.Tensor]:
    """The forward passes a variant needs: ``AB`` always; ``ABA`` / ``BA`` / ``BAB`` when used."""
    out = {"AB": nets["G_AB"](x_a)}
    if cycle and "const_A" in spec.g_terms:
        out["ABA"] = nets["G_BA"](out["AB"])
    if "gan_A" in spec.g_terms or "const_B" in spec.g_terms:
        out["BA"] = nets["G_BA"](x_b)
        if cycle and "const_B" in spec.g_terms:
            out["BAB"] = nets["G_AB"](out["BA"])
    return out


def generator_loss(spec: VariantSpec, nets: Mapping[str, Net], x_a: torch.Tensor, x_b: torch.Tensor, recon: Recon,
                   *, weights: Mapping[str, float] | None = None, adv: Callable[[torch.Tensor], torch.Tensor] = gan_g_loss,
                   ) -> tuple[torch.Tensor, dict[str, float], dict[str, torch.Tensor]]:
    """L_G of the variant → ``(loss, {term: float}, translations)``; ``weights`` default to 1 (as in the paper)."""
    w = weights or {}
    t = translations(spec, nets, x_a, x_b)
    terms: dict[str, torch.Tensor] = {}
    for term in spec.g_terms:
        if term == "gan_B":
            terms[term] = adv(nets["D_B"](t["AB"]))
        elif term == "gan_A":
            terms[term] = adv(nets["D_A"](t["BA"]))
        elif term == "const_A":
            terms[term] = recon(x_a, t["ABA"])
        elif term == "const_B":
            terms[term] = recon(x_b, t["BAB"])
        else:
            raise KeyError(f"unknown generator loss term {term!r}")
    loss = sum(w.get(k, 1.0) * v for k, v in terms.items())
    logs = {k: float(v.detach()) for k, v in terms.items()}
    logs["L_G"] = float(loss.detach())
    return loss, logs, t


def discriminator_loss(spec: VariantSpec, nets: Mapping[str, Net], x_a: torch.Tensor, x_b: torch.Tensor,
                       fakes: Mapping[str, torch.Tensor] | None = None,
                       *, adv: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = gan_d_loss,
                       ) -> tuple[torch.Tensor, dict[str, float]]:
    """L_D of the variant. Fakes (``AB``/``BA``) are computed under no_grad unless given; they are detached."""
    if fakes is None:
        with torch.no_grad():
            fakes = translations(spec, nets, x_a, x_b, cycle=False)
    terms: dict[str, torch.Tensor] = {}
    for term in spec.d_terms:
        if term == "d_B":
            terms[term] = adv(nets["D_B"](x_b), nets["D_B"](fakes["AB"].detach()))
        elif term == "d_A":
            terms[term] = adv(nets["D_A"](x_a), nets["D_A"](fakes["BA"].detach()))
        else:
            raise KeyError(f"unknown discriminator loss term {term!r}")
    loss = sum(terms.values())
    logs = {k: float(v.detach()) for k, v in terms.items()}
    logs["L_D"] = float(loss.detach())
    return loss, logs


class VariantGAN:
    """Mixin for a :class:`~xdomain.methods.base.TwoDomainGAN` trained with one of :data:`VARIANTS`
    (DiscoGAN on images, the 2-D toy lab): the steps are written once, here; a method builds the nets
    named by ``self.spec.nets`` and may override :meth:`augment`, :meth:`loss_weights`, :meth:`recon`
    and :meth:`after_g_step`."""

    spec: VariantSpec

    def use_variant(self, name: str) -> VariantSpec:
        """Pick the variant; sets the generator / discriminator names and the directions it translates."""
        self.spec = get_variant(name)
        self.generator_names, self.discriminator_names = self.spec.generators, self.spec.discriminators
        self.directions = ("a2b", "b2a") if "G_BA" in self.spec.nets else ("a2b",)
        return self.spec

    @property
    def nets(self) -> dict[str, torch.nn.Module]:
        return {n: getattr(self, n) for n in self.spec.nets}

    def augment(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, torch.Tensor]:
        return batch

    def loss_weights(self) -> dict[str, float]:
        return {}

    def recon(self, x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
        from xdomain.losses import recon_loss

        return recon_loss(x, x_hat, self.cfg.recon)

    def after_g_step(self) -> None:
        """Called after every G update (e.g. DiscoGAN's weight averaging)."""

    def d_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        b = self.augment(batch, step)
        loss, logs = discriminator_loss(self.spec, self.nets, b["A"], b["B"])
        self.optimize("D", loss)
        return logs

    def g_step(self, batch: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        b = self.augment(batch, step)
        with self.d_frozen():  # D only routes the gradient
            loss, logs, _ = generator_loss(self.spec, self.nets, b["A"], b["B"], self.recon, weights=self.loss_weights())
            self.optimize("G", loss)
        self.after_g_step()
        return logs
