"""A test-only *image* translator, to show what adding a method takes: this one file (the method on the
two-domain core), its registry lines (:func:`register`) and its config — nothing else in the repo.

Domain A: dark 8×8 grey squares, domain B: light ones. G_AB and G_BA are 1×1 convolutions, D_A and D_B
small conv discriminators from the shared blocks; losses are the non-saturating GAN loss plus L1 cycle
terms, as a DiscoGAN would have them.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from xdomain import registry
from xdomain.config import BaseConfig
from xdomain.data import domains
from xdomain.losses import gan_d_loss, gan_g_loss, recon_loss
from xdomain.methods.base import Domains, TwoDomainGAN
from xdomain.nn.blocks import conv_discriminator

NAME = "tiny-image"
CHECKPOINT = "tiny-image-dark-light"
DATASET = "tiny_dark_light"


@dataclass
class TinyImageConfig(BaseConfig):
    dataset: str = DATASET
    image_size: int = 8
    channels: int = 1
    steps: int = 4
    batch_size: int = 8
    eval_limit: int = 16


def dark_light(root=None, split: str = "train", seed: int = 0, size: int = 8) -> dict:
    g = torch.Generator().manual_seed(seed * 10 + {"train": 0, "val": 1, "test": 2}[split])
    a = (torch.rand(32, 1, size, size, generator=g) * 0.4 - 1.0)  # dark
    b = (torch.rand(32, 1, size, size, generator=g) * 0.4 + 0.6)  # light
    return {"A": a, "B": b}


class TinyImage(TwoDomainGAN):
    Config = TinyImageConfig
    name = NAME
    inference_modules = ("G_AB", "G_BA")
    generator_names = ("G_AB", "G_BA")
    discriminator_names = ("D_A", "D_B")
    domain_names = ("Dark", "Light")

    def __init__(self, cfg: TinyImageConfig):
        super().__init__(cfg)
        self.G_AB = nn.Sequential(nn.Conv2d(1, 1, 1), nn.Tanh())
        self.G_BA = nn.Sequential(nn.Conv2d(1, 1, 1), nn.Tanh())
        self.D_A = conv_discriminator(1, (4,), cfg.image_size)
        self.D_B = conv_discriminator(1, (4,), cfg.image_size)

    @classmethod
    def tiny_config(cls) -> TinyImageConfig:
        return TinyImageConfig()

    @classmethod
    def load_data(cls, cfg, root, split: str) -> Domains:
        d = domains.get_domains(cfg.dataset, root, split, cfg.seed, size=cfg.image_size)
        return Domains({"A": d["A"], "B": d["B"]})

    def d_step(self, batch, step):
        with torch.no_grad():
            ab, ba = self.G_AB(batch["A"]), self.G_BA(batch["B"])
        loss = gan_d_loss(self.D_B(batch["B"]), self.D_B(ab)) + gan_d_loss(self.D_A(batch["A"]), self.D_A(ba))
        self.optimize("D", loss)
        return {"d": loss.item()}

    def g_step(self, batch, step):
        with self.d_frozen():
            ab, ba = self.G_AB(batch["A"]), self.G_BA(batch["B"])
            loss = (gan_g_loss(self.D_B(ab)) + gan_g_loss(self.D_A(ba))
                    + recon_loss(batch["A"], self.G_BA(ab), "l1") + recon_loss(batch["B"], self.G_AB(ba), "l1"))
            self.optimize("G", loss)
        return {"g": loss.item()}

    @torch.no_grad()
    def translate(self, x, direction="a2b", *, seed=None, code=None):
        self.check_direction(direction)
        return (self.G_AB if direction == "a2b" else self.G_BA)(x.to(self.device, torch.float32))

    @torch.no_grad()
    def compute_metrics(self, data, judges, limit=None):
        return {"mean_ab": float(self.translate(data["A"][:limit]).mean())}


def register() -> None:
    """The registry lines a new method adds: the method, its dataset, its checkpoint in the Translate tab."""
    registry.register_method(registry.MethodSpec(NAME, f"{__name__}:TinyImage", "none (test-only)",
                                                 "test-only dark ↔ light squares", title="Tiny"))
    domains.register_dataset(DATASET)(dark_light)
    registry.register_checkpoint(registry.CheckpointSpec(CHECKPOINT, NAME, DATASET, "test-only",
                                                         tabs=("translate",), label="Dark ↔ Light squares (test)"))


def unregister() -> None:
    registry.CHECKPOINTS.pop(CHECKPOINT, None)
    registry.METHODS.pop(NAME, None)
    domains.DATASETS.pop(DATASET, None)
